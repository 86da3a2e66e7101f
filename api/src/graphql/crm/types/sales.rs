//! CRM's GraphQL object types: sales.

use crate::graphql::common::*;
use crate::graphql::crm::*;
use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::LeadProposalsLoader;
use crate::graphql::loaders::PipelineStagesLoader;
use crate::graphql::loaders::RecentActivitiesLoader;
use crate::graphql::loaders::StageHistoryLoader;
use crate::graphql::loaders::StageLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Json;
use async_graphql::Object;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use tianguis_domain::crm::activities;
use tianguis_domain::crm::leads;
use tianguis_domain::crm::pipelines;
use tianguis_domain::crm::scoring;
use tianguis_domain::crm::timeline;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum LeadOrder {
    #[default]
    NewestFirst,
    OldestFirst,
    RecentlyUpdated,
    HighestValue,
    HighestScore,
}

/// Points for each lead source.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "SourcePointsInput")]
pub struct SourcePoints {
    pub source: LeadSource,
    pub points: i32,
}

/// Points once the expected value reaches `min` (major units, such as pesos).
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "BudgetPointsInput")]
pub struct BudgetPoints {
    pub min: i64,
    pub points: i32,
}

/// Points when the last activity is at most `days` old.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "RecencyPointsInput")]
pub struct RecencyPoints {
    pub days: i32,
    pub points: i32,
}

/// How lead scores are computed; the total is kept within 0–100.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "LeadScoringInput")]
pub struct LeadScoring {
    pub source_points: Vec<SourcePoints>,
    pub budget_points: Vec<BudgetPoints>,
    pub points_per_activity: i32,
    pub engagement_max: i32,
    pub engagement_window_days: i32,
    pub recency_points: Vec<RecencyPoints>,
    /// Up to this many points in proportion to the stage's win probability.
    pub stage_weight: i32,
}

impl From<scoring::ScoringConfig> for LeadScoring {
    fn from(c: scoring::ScoringConfig) -> Self {
        Self {
            source_points: c
                .source_points
                .iter()
                .map(|s| SourcePoints {
                    source: s.source.into(),
                    points: s.points,
                })
                .collect(),
            budget_points: c
                .budget_points
                .iter()
                .map(|b| BudgetPoints {
                    min: b.min,
                    points: b.points,
                })
                .collect(),
            points_per_activity: c.points_per_activity,
            engagement_max: c.engagement_max,
            engagement_window_days: c.engagement_window_days,
            recency_points: c
                .recency_points
                .iter()
                .map(|r| RecencyPoints {
                    days: r.days,
                    points: r.points,
                })
                .collect(),
            stage_weight: c.stage_weight,
        }
    }
}

impl From<LeadScoring> for scoring::ScoringConfig {
    fn from(c: LeadScoring) -> Self {
        Self {
            source_points: c
                .source_points
                .iter()
                .map(|s| scoring::SourcePoints {
                    source: s.source.into(),
                    points: s.points,
                })
                .collect(),
            budget_points: c
                .budget_points
                .iter()
                .map(|b| scoring::Threshold {
                    min: b.min,
                    points: b.points,
                })
                .collect(),
            points_per_activity: c.points_per_activity,
            engagement_max: c.engagement_max,
            engagement_window_days: c.engagement_window_days,
            recency_points: c
                .recency_points
                .iter()
                .map(|r| scoring::RecencyBand {
                    days: r.days,
                    points: r.points,
                })
                .collect(),
            stage_weight: c.stage_weight,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "pipelines::Outcome")]
pub enum StageOutcome {
    Open,
    Won,
    Lost,
}

pub struct Pipeline(pub pipelines::Pipeline);

#[Object]
impl Pipeline {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// In order.
    async fn stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Stage>> {
        Ok(load::<PipelineStagesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Stage)
            .collect())
    }
}

pub struct Stage(pub pipelines::Stage);

#[Object]
impl Stage {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn pipeline_id(&self) -> ID {
        self.0.pipeline_id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Win probability in percent.
    async fn probability(&self) -> i32 {
        self.0.probability
    }
    async fn outcome(&self) -> async_graphql::Result<StageOutcome> {
        stored(pipelines::Outcome::from_stored, &self.0.outcome)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "leads::Source")]
pub enum LeadSource {
    Web,
    Referral,
    Whatsapp,
    Event,
    Ads,
    Other,
}

/// A lead's status: the outcome of its stage.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "pipelines::Outcome")]
pub enum LeadStatus {
    Open,
    Won,
    Lost,
}

/// Why a lead has its score.
#[derive(SimpleObject)]
pub struct ScoreReason {
    /// source, budget, engagement, recency or stage.
    pub rule: String,
    pub points: i32,
    pub detail: String,
}

pub struct Lead(pub leads::Lead);

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn source(&self) -> async_graphql::Result<LeadSource> {
        stored(leads::Source::from_stored, &self.0.source)
    }
    /// Where the lead came from, as the page that brought it in said; none when unknown.
    async fn attribution(&self) -> Option<LeadAttribution> {
        let lead = &self.0;
        let any = [
            &lead.utm_source,
            &lead.utm_medium,
            &lead.utm_campaign,
            &lead.referrer,
        ]
        .iter()
        .any(|v| v.is_some());
        any.then(|| LeadAttribution {
            utm_source: lead.utm_source.clone(),
            utm_medium: lead.utm_medium.clone(),
            utm_campaign: lead.utm_campaign.clone(),
            referrer: lead.referrer.clone(),
        })
    }
    async fn status(&self) -> async_graphql::Result<LeadStatus> {
        stored(pipelines::Outcome::from_stored, &self.0.status)
    }
    /// Expected value.
    async fn value(&self) -> Money {
        money(self.0.value_minor, &self.0.currency)
    }
    async fn expected_close_on(&self) -> Option<NaiveDate> {
        self.0.expected_close_on
    }
    async fn next_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_follow_up_at
    }
    async fn lost_reason(&self) -> Option<&str> {
        self.0.lost_reason.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    /// 0 to 100, from the business's scoring configuration.
    async fn score(&self) -> i32 {
        self.0.score
    }
    async fn score_reasons(&self) -> Vec<ScoreReason> {
        leads::reasons_of(&self.0)
            .into_iter()
            .map(|r| ScoreReason {
                rule: r.rule,
                points: r.points,
                detail: r.detail,
            })
            .collect()
    }
    async fn last_activity_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activity_at
    }
    /// When it was won or lost.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load::<StageLoader>(ctx, self.0.stage_id).await?.map(Stage))
    }
    /// The latest activities (not tasks), newest first; at most 10.
    async fn recent_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 3)] limit: i32,
    ) -> async_graphql::Result<Vec<Activity>> {
        let limit = limit.clamp(0, activities::RECENT_LIMIT as i32) as usize;
        Ok(load::<RecentActivitiesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .take(limit)
            .map(Activity)
            .collect())
    }
    /// Every stage the lead entered, oldest first.
    async fn stage_history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StageChange>> {
        Ok(load::<StageHistoryLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(StageChange)
            .collect())
    }
    /// Newest first.
    async fn proposals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Proposal>> {
        Ok(load::<LeadProposalsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Proposal)
            .collect())
    }
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Lead(self.0.id), limit, before).await
    }
}

pub struct StageChange(pub leads::StageChange);

#[Object]
impl StageChange {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn lead_id(&self) -> ID {
        self.0.lead_id.into()
    }
    /// The stage the lead left; null when it was created.
    #[graphql(name = "fromStage")]
    async fn previous_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load_opt::<StageLoader>(ctx, self.0.from_stage_id)
            .await?
            .map(Stage))
    }
    async fn to_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load::<StageLoader>(ctx, self.0.to_stage_id)
            .await?
            .map(Stage))
    }
    /// user, api_key or system.
    async fn actor_type(&self) -> &str {
        &self.0.actor_type
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(ID::from)
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// UTM parameters and referrer of the page a lead came in through.
#[derive(SimpleObject)]
pub struct LeadAttribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
}
