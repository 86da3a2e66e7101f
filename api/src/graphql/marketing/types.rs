//! marketing's GraphQL object types.

use crate::graphql::common::stored;
use crate::graphql::common::user;
use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::crm::Contact;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use crate::graphql::loaders::CampaignMetricsLoader;
use crate::graphql::loaders::ChannelLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::SegmentLoader;
use crate::graphql::loaders::TemplateLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use crate::graphql::messaging::Channel;
use crate::graphql::messaging::ChannelKind;
use crate::graphql::messaging::MessageTemplate;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Json;
use async_graphql::Object;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::marketing::campaigns;
use tianguis_domain::marketing::segments;

use crate::graphql::marketing::*;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SegmentMatch {
    /// Every rule holds.
    #[default]
    All,
    /// At least one rule holds.
    Any,
}

pub(crate) fn definition(
    input: SegmentDefinitionInput,
) -> async_graphql::Result<segments::Definition> {
    use segments::Rule;
    let rules = input
        .rules
        .into_iter()
        .map(|rule| {
            Ok(match rule {
                SegmentRuleInput::City(values) => Rule::City { values },
                SegmentRuleInput::HasTag(tag) => Rule::HasTag { tag },
                SegmentRuleInput::IsCustomer(value) => Rule::IsCustomer { value },
                SegmentRuleInput::CreatedWithinDays(days) => Rule::CreatedWithinDays { days },
                SegmentRuleInput::InteractedWithinDays(days) => Rule::InteractedWithinDays { days },
                SegmentRuleInput::NotInteractedWithinDays(days) => {
                    Rule::NotInteractedWithinDays { days }
                }
                SegmentRuleInput::MessageCountAtLeast(count) => Rule::MessageCountAtLeast { count },
                SegmentRuleInput::TotalSpentAtLeast(amount) => Rule::TotalSpentAtLeast {
                    amount_minor: tianguis_domain::rules::money_minor(amount, "MXN", "rules")
                        .gql()?,
                },
                SegmentRuleInput::LeadInStage(id) => Rule::LeadInStage {
                    stage_id: parse_id(&id, "rules")?,
                },
            })
        })
        .collect::<async_graphql::Result<Vec<_>>>()?;
    Ok(segments::Definition {
        match_all: input.r#match == SegmentMatch::All,
        rules,
    })
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "segments::Kind")]
pub enum SegmentKind {
    /// Evaluated each time it is used.
    Dynamic,
    /// Members frozen when created or refrozen.
    Static,
}

pub struct Segment(pub segments::Segment);

#[Object]
impl Segment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> async_graphql::Result<SegmentKind> {
        stored(segments::Kind::from_stored, &self.0.kind)
    }
    /// The rules, as stored.
    async fn definition(&self) -> Json<serde_json::Value> {
        Json(self.0.rules.clone())
    }
    async fn frozen_at(&self) -> Option<DateTime<Utc>> {
        self.0.frozen_at
    }
    /// Contacts in the segment now; reachable on `channelKind` (an address, not opted out)
    /// when given.
    async fn contact_count(
        &self,
        ctx: &Context<'_>,
        channel_kind: Option<ChannelKind>,
    ) -> async_graphql::Result<u64> {
        segments::count(
            deps(ctx)?,
            tenant(ctx)?,
            &self.0,
            channel_kind.map(Into::into),
        )
        .await
        .gql()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct SegmentPreview {
    pub count: u64,
    /// The first few contacts.
    pub sample: Vec<Contact>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "campaigns::Status")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Sending,
    Paused,
    Completed,
    Cancelled,
}

#[derive(SimpleObject)]
pub struct CampaignMetrics {
    pub recipients: u64,
    /// Not sent yet.
    pub pending: u64,
    pub sent: u64,
    pub delivered: u64,
    /// Read (WhatsApp) or opened (email).
    pub read: u64,
    pub clicked: u64,
    pub failed: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    /// Skipped because the campaign was cancelled.
    pub cancelled: u64,
}

impl From<campaigns::Metrics> for CampaignMetrics {
    fn from(m: campaigns::Metrics) -> Self {
        Self {
            recipients: m.recipients,
            pending: m.pending,
            sent: m.sent,
            delivered: m.delivered,
            read: m.read,
            clicked: m.clicked,
            failed: m.failed,
            bounced: m.bounced,
            unsubscribed: m.unsubscribed,
            cancelled: m.cancelled,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "campaigns::RecipientStatus")]
pub enum RecipientStatus {
    Pending,
    Sending,
    Sent,
    Delivered,
    Read,
    Clicked,
    Unsubscribed,
    Failed,
    Bounced,
    Cancelled,
}

pub struct CampaignRecipient(pub(crate) campaigns::Recipient);

#[Object]
impl CampaignRecipient {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// The email address or phone number it was sent to.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// How far it went: unsubscribed, clicked, read, delivered, sent, or what stopped it.
    async fn status(&self) -> async_graphql::Result<RecipientStatus> {
        campaigns::log_status(&self.0).gql().map(Into::into)
    }
    /// The delivery status alone.
    async fn delivery_status(&self) -> async_graphql::Result<RecipientStatus> {
        stored(campaigns::RecipientStatus::from_stored, &self.0.status)
    }
    /// Why it failed or bounced.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
    async fn clicked_at(&self) -> Option<DateTime<Utc>> {
        self.0.clicked_at
    }
    async fn unsubscribed_at(&self) -> Option<DateTime<Utc>> {
        self.0.unsubscribed_at
    }
}

pub struct Campaign(pub campaigns::Campaign);

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> async_graphql::Result<CampaignStatus> {
        stored(campaigns::Status::from_stored, &self.0.status)
    }
    async fn channel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Channel>> {
        Ok(load::<ChannelLoader>(ctx, self.0.channel_id)
            .await?
            .map(Channel))
    }
    async fn segment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Segment>> {
        Ok(load::<SegmentLoader>(ctx, self.0.segment_id)
            .await?
            .map(Segment))
    }
    /// Email campaigns. `{{first_name}}`, `{{last_name}}` and `{{name}}` are filled in.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// Email and SMS campaigns; links in email bodies are tracked.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// WhatsApp campaigns send an approved template.
    async fn template(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MessageTemplate>> {
        Ok(load_opt::<TemplateLoader>(ctx, self.0.template_id)
            .await?
            .map(MessageTemplate))
    }
    async fn template_variables(&self) -> Vec<String> {
        self.0
            .template_variables
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
    async fn batch_size(&self) -> i32 {
        self.0.batch_size
    }
    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Frozen when the campaign started.
    async fn recipient_count(&self) -> i32 {
        self.0.recipient_count
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.created_by).await
    }
    async fn metrics(&self, ctx: &Context<'_>) -> async_graphql::Result<CampaignMetrics> {
        Ok(load::<CampaignMetricsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into())
    }
    /// The recipient log, in the order they were frozen.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn recipients(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecipientFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<CampaignRecipient>> {
        let f = filter.unwrap_or_default();
        let filter = campaigns::RecipientFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            clicked: f.clicked,
            unsubscribed: f.unsubscribed,
        };
        let page = page_request(first, after, last, before)?;
        let page = campaigns::recipients(deps(ctx)?, tenant(ctx)?, self.0.id, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |r| r.id, CampaignRecipient))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
