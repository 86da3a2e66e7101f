//! Pipelines, leads, activities and tasks, lead scoring and the sales dashboard.

use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::crm::{activities, dashboard, leads, pipelines, scoring};

use super::records::{CustomFieldFilter, custom_filters, maybe, maybe_id, optional_id};
use super::types::{
    Activity, ActivityKind, Lead, LeadSource, LeadStatus, Money, Pipeline, Stage, StageOutcome,
};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{
    CompanyLoader, ContactLoader, RecentActivitiesLoader, StageLoader, UserLoader, feed,
};
use crate::graphql::tenancy::types::User;

#[derive(InputObject, Default)]
pub struct LeadFilter {
    pub pipeline_id: Option<ID>,
    pub stage_ids: Option<Vec<ID>>,
    pub statuses: Option<Vec<LeadStatus>>,
    pub owner_ids: Option<Vec<ID>>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub sources: Option<Vec<LeadSource>>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// Leads holding every one of these tags.
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Vec<CustomFieldFilter>>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Expected to close on or after this day.
    pub close_after: Option<NaiveDate>,
    /// Expected to close on or before this day.
    pub close_before: Option<NaiveDate>,
    /// A follow-up planned before this time.
    pub follow_up_before: Option<DateTime<Utc>>,
    /// The title, the contact's name, email or phone, or the company's name.
    pub search: Option<String>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum LeadOrder {
    #[default]
    NewestFirst,
    OldestFirst,
    RecentlyUpdated,
    HighestValue,
    HighestScore,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TaskState {
    Open,
    Done,
    /// Open and past the due date.
    Overdue,
}

#[derive(InputObject, Default)]
pub struct ActivityFilter {
    pub kinds: Option<Vec<ActivityKind>>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub author_id: Option<ID>,
    pub assignee_id: Option<ID>,
    /// Only tasks in this state.
    pub task_state: Option<TaskState>,
    pub due_before: Option<DateTime<Utc>>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct StageSummary {
    pub stage: Stage,
    pub count: u64,
    /// Expected value, one amount per currency.
    pub value: Vec<Money>,
    /// Expected value × win probability, per currency.
    pub weighted_value: Vec<Money>,
}

#[derive(SimpleObject)]
pub struct FunnelStep {
    pub stage: Stage,
    /// Leads created in the period that reached this stage or a later one.
    pub reached: u64,
}

#[derive(SimpleObject)]
pub struct ConversionFunnel {
    pub steps: Vec<FunnelStep>,
    /// Leads created in the period.
    pub created: u64,
    /// Leads won in the period.
    pub won: u64,
    /// Leads lost in the period.
    pub lost: u64,
    /// won ÷ (won + lost); null when none closed.
    pub win_rate: Option<f64>,
}

#[derive(SimpleObject)]
pub struct ActivityCount {
    pub kind: ActivityKind,
    pub count: u64,
}

pub struct UserActivity(dashboard::UserActivity);

#[Object]
impl UserActivity {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(
            crate::graphql::loaders::load::<UserLoader>(ctx, self.0.user_id)
                .await?
                .map(User::from),
        )
    }
    async fn counts(&self) -> Vec<ActivityCount> {
        self.0
            .counts
            .iter()
            .map(|(kind, count)| ActivityCount {
                kind: ActivityKind::parse(kind),
                count: *count,
            })
            .collect()
    }
    async fn tasks_completed(&self) -> u64 {
        self.0.tasks_completed
    }
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
                    source: LeadSource::parse(&s.source),
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
                    source: s.source.key().to_owned(),
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

fn ids(values: Option<Vec<ID>>, field: &'static str) -> async_graphql::Result<Vec<uuid::Uuid>> {
    values
        .unwrap_or_default()
        .iter()
        .map(|id| parse_id(id, field))
        .collect()
}

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    async fn pipelines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Pipeline>> {
        Ok(pipelines::list(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Pipeline)
            .collect())
    }

    /// A pipeline, or the default one.
    async fn pipeline(&self, ctx: &Context<'_>, id: Option<ID>) -> async_graphql::Result<Pipeline> {
        let id = optional_id(id.as_ref(), "id")?;
        Ok(Pipeline(
            pipelines::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Lead> {
        let id = parse_id(&id, "id")?;
        Ok(Lead(leads::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
        #[graphql(default)] order: LeadOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Lead>> {
        let f = filter.unwrap_or_default();
        let filter = leads::LeadFilter {
            pipeline_id: optional_id(f.pipeline_id.as_ref(), "pipelineId")?,
            stage_ids: ids(f.stage_ids, "stageIds")?,
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.key().to_owned())
                .collect(),
            owner_ids: ids(f.owner_ids, "ownerIds")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            sources: f
                .sources
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.key().to_owned())
                .collect(),
            min_score: f.min_score,
            max_score: f.max_score,
            tags: f.tags.unwrap_or_default(),
            custom_fields: custom_filters(f.custom_fields),
            created_after: f.created_after,
            created_before: f.created_before,
            close_after: f.close_after,
            close_before: f.close_before,
            follow_up_before: f.follow_up_before,
            search: f.search,
        };
        let order = match order {
            LeadOrder::NewestFirst => leads::LeadOrder::Newest,
            LeadOrder::OldestFirst => leads::LeadOrder::Oldest,
            LeadOrder::RecentlyUpdated => leads::LeadOrder::RecentlyUpdated,
            LeadOrder::HighestValue => leads::LeadOrder::HighestValue,
            LeadOrder::HighestScore => leads::LeadOrder::HighestScore,
        };
        // What the page's nodes will show is read with the page, in its transaction, and
        // handed to the loaders: a page costs the same few statements at any size.
        let node = ctx.look_ahead().field("edges").field("node");
        let include = leads::LeadIncludes {
            contacts: node.field("contact").exists(),
            companies: node.field("company").exists(),
            owners: node.field("owner").exists(),
            stages: node.field("stage").exists(),
            recent_activities: node.field("recentActivities").exists(),
        };
        let page = page_request(first, after, last, before)?;
        let (page, related) =
            leads::list_with(deps(ctx)?, tenant(ctx)?, filter, order, &page, include)
                .await
                .gql()?;
        feed::<ContactLoader>(ctx, related.contacts).await?;
        feed::<CompanyLoader>(ctx, related.companies).await?;
        feed::<UserLoader>(ctx, related.owners).await?;
        feed::<StageLoader>(ctx, related.stages).await?;
        feed::<RecentActivitiesLoader>(ctx, related.recent_activities).await?;
        Ok(connection(page, |l| l.id, Lead))
    }

    /// Activities newest first; overdue tasks most overdue first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Activity>> {
        let f = filter.unwrap_or_default();
        let filter = activities::ActivityFilter {
            kinds: f
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(|k| k.key().to_owned())
                .collect(),
            lead_id: optional_id(f.lead_id.as_ref(), "leadId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            author_id: optional_id(f.author_id.as_ref(), "authorId")?,
            assignee_id: optional_id(f.assignee_id.as_ref(), "assigneeId")?,
            task_state: f.task_state.map(|s| match s {
                TaskState::Open => activities::TaskState::Open,
                TaskState::Done => activities::TaskState::Done,
                TaskState::Overdue => activities::TaskState::Overdue,
            }),
            due_before: f.due_before,
            occurred_after: f.occurred_after,
            occurred_before: f.occurred_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = activities::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |a| a.id, Activity))
    }

    async fn lead_scoring(&self, ctx: &Context<'_>) -> async_graphql::Result<LeadScoring> {
        Ok(leads::get_scoring(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into())
    }

    /// Leads per stage with their value and weighted value.
    async fn pipeline_summary(
        &self,
        ctx: &Context<'_>,
        pipeline_id: Option<ID>,
    ) -> async_graphql::Result<Vec<StageSummary>> {
        let id = optional_id(pipeline_id.as_ref(), "pipelineId")?;
        let summary = dashboard::pipeline_summary(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?;
        Ok(summary
            .into_iter()
            .map(|s| StageSummary {
                stage: Stage(s.stage),
                count: s.count,
                value: s.value.into_iter().map(Money::from).collect(),
                weighted_value: s.weighted_value.into_iter().map(Money::from).collect(),
            })
            .collect())
    }

    /// How far the leads created in [from, to) got, and the win rate of those closed in it.
    async fn conversion_funnel(
        &self,
        ctx: &Context<'_>,
        pipeline_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<ConversionFunnel> {
        let id = optional_id(pipeline_id.as_ref(), "pipelineId")?;
        let f = dashboard::funnel(deps(ctx)?, tenant(ctx)?, id, from, to)
            .await
            .gql()?;
        Ok(ConversionFunnel {
            steps: f
                .steps
                .into_iter()
                .map(|s| FunnelStep {
                    stage: Stage(s.stage),
                    reached: s.reached,
                })
                .collect(),
            created: f.created,
            won: f.won,
            lost: f.lost,
            win_rate: f.win_rate,
        })
    }

    /// Activities per person and kind, and tasks completed, in [from, to).
    async fn activity_by_user(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<Vec<UserActivity>> {
        let rows = dashboard::activity_by_user(deps(ctx)?, tenant(ctx)?, from, to)
            .await
            .gql()?;
        Ok(rows.into_iter().map(UserActivity).collect())
    }

    /// Open tasks past their due date.
    async fn overdue_task_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        dashboard::overdue_task_count(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()
    }
}

#[derive(InputObject)]
pub struct StageInput {
    /// An existing stage to keep; absent for a new one.
    pub id: Option<ID>,
    pub name: String,
    /// Win probability in percent.
    pub probability: i32,
    #[graphql(default_with = "StageOutcome::Open")]
    pub outcome: StageOutcome,
}

fn stage_inputs(stages: Vec<StageInput>) -> async_graphql::Result<Vec<pipelines::StageInput>> {
    stages
        .into_iter()
        .map(|s| {
            Ok(pipelines::StageInput {
                id: optional_id(s.id.as_ref(), "stages")?,
                name: s.name,
                probability: s.probability,
                outcome: s.outcome.into(),
            })
        })
        .collect()
}

#[derive(InputObject)]
pub struct CreatePipelineInput {
    pub name: String,
    /// In order; one won and one lost stage at least.
    pub stages: Vec<StageInput>,
}

#[derive(InputObject)]
pub struct UpdatePipelineInput {
    pub id: ID,
    pub name: Option<String>,
    /// The new stages in order; stages left out are deleted.
    pub stages: Option<Vec<StageInput>>,
    /// Where the leads of deleted stages go: an index into `stages`.
    pub move_leads_to: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateLeadInput {
    pub title: String,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    #[graphql(default_with = "LeadSource::Other")]
    pub source: LeadSource,
    /// Defaults to the person creating the lead.
    pub owner_id: Option<ID>,
    /// Expected value in `currency` (the business's by default).
    pub value: Option<Decimal>,
    pub currency: Option<String>,
    pub expected_close_on: Option<NaiveDate>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// Defaults to the default pipeline.
    pub pipeline_id: Option<ID>,
    /// Defaults to the pipeline's first stage.
    pub stage_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct UpdateLeadInput {
    pub id: ID,
    pub title: Option<String>,
    pub contact_id: MaybeUndefined<ID>,
    pub company_id: MaybeUndefined<ID>,
    pub source: Option<LeadSource>,
    pub owner_id: MaybeUndefined<ID>,
    pub value: Option<Decimal>,
    pub currency: Option<String>,
    pub expected_close_on: MaybeUndefined<NaiveDate>,
    pub next_follow_up_at: MaybeUndefined<DateTime<Utc>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct MoveLeadInput {
    pub id: ID,
    pub stage_id: ID,
    /// Required when the stage's outcome is LOST.
    pub lost_reason: Option<String>,
}

#[derive(InputObject)]
pub struct LogActivityInput {
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    /// At least one of lead, contact and company. A lead's contact and company are filled in.
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Tasks: who does it (defaults to the creator).
    pub assignee_id: Option<ID>,
    /// Tasks: when it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// When it happened; defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct UpdateActivityInput {
    pub id: ID,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub assignee_id: MaybeUndefined<ID>,
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct SetTaskDoneInput {
    pub id: ID,
    #[graphql(default = true)]
    pub done: bool,
}

#[derive(InputObject)]
pub struct DeleteByIdInput {
    pub id: ID,
}

#[derive(Default)]
pub struct SalesMutation;

#[Object]
impl SalesMutation {
    async fn create_pipeline(
        &self,
        ctx: &Context<'_>,
        input: CreatePipelineInput,
    ) -> async_graphql::Result<Pipeline> {
        let stages = stage_inputs(input.stages)?;
        Ok(Pipeline(
            pipelines::create(deps(ctx)?, tenant(ctx)?, input.name, stages)
                .await
                .gql()?,
        ))
    }

    async fn update_pipeline(
        &self,
        ctx: &Context<'_>,
        input: UpdatePipelineInput,
    ) -> async_graphql::Result<Pipeline> {
        let id = parse_id(&input.id, "id")?;
        let stages = input.stages.map(stage_inputs).transpose()?;
        let move_to = input.move_leads_to.map(|i| i.max(0) as usize);
        Ok(Pipeline(
            pipelines::update(deps(ctx)?, tenant(ctx)?, id, input.name, stages, move_to)
                .await
                .gql()?,
        ))
    }

    async fn create_lead(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadInput,
    ) -> async_graphql::Result<Lead> {
        let cmd = leads::NewLead {
            fields: leads::LeadInput {
                title: Some(input.title),
                contact_id: Some(optional_id(input.contact_id.as_ref(), "contactId")?),
                company_id: Some(optional_id(input.company_id.as_ref(), "companyId")?),
                source: Some(input.source.key().to_owned()),
                owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?.map(Some),
                value: input.value,
                currency: input.currency,
                expected_close_on: input.expected_close_on.map(Some),
                next_follow_up_at: input.next_follow_up_at.map(Some),
                tags: input.tags,
                custom_fields: input.custom_fields.map(|j| j.0),
            },
            pipeline_id: optional_id(input.pipeline_id.as_ref(), "pipelineId")?,
            stage_id: optional_id(input.stage_id.as_ref(), "stageId")?,
        };
        Ok(Lead(
            leads::create(deps(ctx)?, tenant(ctx)?, cmd).await.gql()?,
        ))
    }

    async fn update_lead(
        &self,
        ctx: &Context<'_>,
        input: UpdateLeadInput,
    ) -> async_graphql::Result<Lead> {
        let id = parse_id(&input.id, "id")?;
        let fields = leads::LeadInput {
            title: input.title,
            contact_id: maybe_id(input.contact_id, "contactId")?,
            company_id: maybe_id(input.company_id, "companyId")?,
            source: input.source.map(|s| s.key().to_owned()),
            owner_id: maybe_id(input.owner_id, "ownerId")?,
            value: input.value,
            currency: input.currency,
            expected_close_on: maybe(input.expected_close_on),
            next_follow_up_at: maybe(input.next_follow_up_at),
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Lead(
            leads::update(deps(ctx)?, tenant(ctx)?, id, fields)
                .await
                .gql()?,
        ))
    }

    /// Moves a lead to a stage; a won stage makes its contact and company customers.
    async fn move_lead(
        &self,
        ctx: &Context<'_>,
        input: MoveLeadInput,
    ) -> async_graphql::Result<Lead> {
        let id = parse_id(&input.id, "id")?;
        let stage = parse_id(&input.stage_id, "stageId")?;
        Ok(Lead(
            leads::move_to_stage(deps(ctx)?, tenant(ctx)?, id, stage, input.lost_reason)
                .await
                .gql()?,
        ))
    }

    async fn delete_lead(
        &self,
        ctx: &Context<'_>,
        input: DeleteByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(leads::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Logs a call, email, meeting, WhatsApp message or note, or creates a task.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: LogActivityInput,
    ) -> async_graphql::Result<Activity> {
        let cmd = activities::ActivityInput {
            kind: Some(input.kind.key().to_owned()),
            subject: Some(input.subject),
            body: input.body,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?,
            assignee_id: Some(optional_id(input.assignee_id.as_ref(), "assigneeId")?),
            due_at: Some(input.due_at),
            occurred_at: input.occurred_at,
        };
        Ok(Activity(
            activities::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        input: UpdateActivityInput,
    ) -> async_graphql::Result<Activity> {
        let id = parse_id(&input.id, "id")?;
        let cmd = activities::ActivityInput {
            kind: None,
            subject: input.subject,
            body: input.body,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?,
            assignee_id: maybe_id(input.assignee_id, "assigneeId")?,
            due_at: maybe(input.due_at),
            occurred_at: input.occurred_at,
        };
        Ok(Activity(
            activities::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Marks a task done, or open again.
    async fn set_task_done(
        &self,
        ctx: &Context<'_>,
        input: SetTaskDoneInput,
    ) -> async_graphql::Result<Activity> {
        let id = parse_id(&input.id, "id")?;
        Ok(Activity(
            activities::set_done(deps(ctx)?, tenant(ctx)?, id, input.done)
                .await
                .gql()?,
        ))
    }

    async fn delete_activity(
        &self,
        ctx: &Context<'_>,
        input: DeleteByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(activities::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Replaces the scoring configuration; every open lead is rescored in the background.
    async fn set_lead_scoring(
        &self,
        ctx: &Context<'_>,
        input: LeadScoring,
    ) -> async_graphql::Result<LeadScoring> {
        Ok(leads::set_scoring(deps(ctx)?, tenant(ctx)?, input.into())
            .await
            .gql()?
            .into())
    }
}
