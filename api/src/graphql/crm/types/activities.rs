//! CRM's GraphQL object types: activities, timelines and the dashboard.

use crate::graphql::common::*;
use crate::graphql::context::deps;
use crate::graphql::crm::*;
use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::LeadLoader;
use crate::graphql::loaders::UserLoader;
use crate::graphql::loaders::load_opt;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Object;
use async_graphql::SimpleObject;
use async_graphql::Union;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::crm::activities;
use tianguis_domain::crm::dashboard;
use tianguis_domain::crm::timeline;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TaskState {
    Open,
    Done,
    /// Open and past the due date.
    Overdue,
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

pub struct UserActivity(pub(crate) dashboard::UserActivity);

#[Object]
impl UserActivity {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(
            crate::graphql::loaders::load::<UserLoader>(ctx, self.0.user_id)
                .await?
                .map(User::from),
        )
    }
    async fn counts(&self) -> async_graphql::Result<Vec<ActivityCount>> {
        self.0
            .counts
            .iter()
            .map(|(kind, count)| {
                Ok(ActivityCount {
                    kind: activities::Kind::from_stored(kind).gql()?.into(),
                    count: *count,
                })
            })
            .collect()
    }
    async fn tasks_completed(&self) -> u64 {
        self.0.tasks_completed
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "activities::Kind")]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Whatsapp,
    Note,
    Task,
}

pub struct Activity(pub activities::Activity);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<ActivityKind> {
        stored(activities::Kind::from_stored, &self.0.kind)
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Tasks only.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }
    /// An open task past its due date.
    async fn is_overdue(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let now = deps(ctx)?.clock.now();
        Ok(self.0.kind == "task"
            && self.0.done_at.is_none()
            && self.0.due_at.is_some_and(|d| d < now))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
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
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.assignee_id).await
    }
}

/// One entry of a timeline.
#[derive(Union)]
pub enum TimelineEntry {
    Activity(Activity),
    StageChange(StageChange),
    Proposal(Box<Proposal>),
    Message(Box<crate::graphql::messaging::Message>),
}

impl TimelineEntry {
    /// The entry as GraphQL shows it; none for a kind of entry the schema does not know.
    pub(crate) fn from_domain(e: timeline::TimelineEntry) -> Option<Self> {
        use tianguis_domain::messaging::messages::TimelineMessage;
        Some(match e {
            timeline::TimelineEntry::Activity(a) => Self::Activity(Activity(a)),
            timeline::TimelineEntry::StageChange(c) => Self::StageChange(StageChange(c)),
            timeline::TimelineEntry::Proposal(p) => Self::Proposal(Box::new(Proposal(*p))),
            timeline::TimelineEntry::Other(o) => {
                let m = o.as_any().downcast_ref::<TimelineMessage>()?;
                Self::Message(Box::new(crate::graphql::messaging::Message(m.0.clone())))
            }
        })
    }
}
