//! marketing's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::OneofObject;
use chrono::DateTime;
use chrono::Utc;
use rust_decimal::Decimal;

use crate::graphql::marketing::*;

/// One rule: exactly one of these.
#[derive(OneofObject)]
pub enum SegmentRuleInput {
    /// Lives in one of these cities (any letter case).
    City(Vec<String>),
    HasTag(String),
    IsCustomer(bool),
    CreatedWithinDays(u32),
    /// Wrote to the business, or had an activity logged, in the last N days.
    InteractedWithinDays(u32),
    /// Neither wrote nor had an activity in the last N days.
    NotInteractedWithinDays(u32),
    /// Has written at least N messages.
    MessageCountAtLeast(u32),
    /// Has paid at least this much (MXN) on stamped invoices.
    TotalSpentAtLeast(Decimal),
    /// Has a lead in this pipeline stage.
    LeadInStage(ID),
}

#[derive(InputObject)]
pub struct SegmentDefinitionInput {
    #[graphql(default)]
    pub r#match: SegmentMatch,
    pub rules: Vec<SegmentRuleInput>,
}

#[derive(InputObject, Default)]
pub struct RecipientFilter {
    pub statuses: Option<Vec<RecipientStatus>>,
    pub clicked: Option<bool>,
    pub unsubscribed: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateSegmentInput {
    pub name: String,
    /// Freeze the members now instead of evaluating the rules each time.
    #[graphql(default)]
    pub r#static: bool,
    pub definition: SegmentDefinitionInput,
}

#[derive(InputObject)]
pub struct UpdateSegmentInput {
    pub id: ID,
    pub name: Option<String>,
    pub definition: Option<SegmentDefinitionInput>,
}

#[derive(InputObject)]
pub struct SegmentRef {
    pub id: ID,
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub name: String,
    pub channel_id: ID,
    pub segment_id: ID,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub template_id: Option<ID>,
    pub template_variables: Option<Vec<String>>,
    /// Recipients per batch job.
    pub batch_size: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub id: ID,
    pub name: Option<String>,
    pub channel_id: Option<ID>,
    pub segment_id: Option<ID>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub template_id: Option<ID>,
    pub template_variables: Option<Vec<String>>,
    pub batch_size: Option<i32>,
}

#[derive(InputObject)]
pub struct ScheduleCampaignInput {
    pub id: ID,
    pub at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct CampaignRef {
    pub id: ID,
}
