//! Messaging: channels (WhatsApp, SMS, email), one conversation per contact and channel,
//! its messages and internal notes, opt-outs, and WhatsApp message templates.

pub mod channels;
pub mod conversations;
pub mod inbound;
pub mod messages;
pub mod templates;
pub mod twilio;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_crm as crm;
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, error, events, page, plans,
    ports, registry, rules, search, secrets,
};

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tianguis_entity::marketing::campaign_recipients;
use tianguis_entity::messaging::messages as message_rows;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::registry::{BoxFuture, JobKind, Queue};

/// Provider settings shared by every business.
#[derive(Clone, Debug)]
pub struct MessagingSettings {
    /// The Meta app's secret: WhatsApp webhooks are signed with it.
    pub whatsapp_app_secret: Option<String>,
    /// What Meta must present when it verifies the webhook URL.
    pub whatsapp_verify_token: Option<String>,
    /// Recipients per SendCampaignBatch job.
    pub campaign_batch_size: u32,
    /// Campaign messages a business may send per second across all its channels.
    pub tenant_send_rate: u32,
    /// Messages a campaign batch has in flight at once.
    pub campaign_concurrency: usize,
}

impl Default for MessagingSettings {
    fn default() -> Self {
        Self {
            whatsapp_app_secret: None,
            whatsapp_verify_token: None,
            campaign_batch_size: 500,
            tenant_send_rate: 10_000,
            campaign_concurrency: 32,
        }
    }
}

/// How long after a contact's last message a business may write freely on WhatsApp.
pub const SERVICE_WINDOW: TimeDelta = TimeDelta::hours(24);

tianguis_kernel::stored_enum! {
    pub enum ChannelKind {
        Whatsapp = "whatsapp",
        Sms = "sms",
        Email = "email",
    }
}

/// What changed in a business's inbox, for live subscribers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InboxEvent {
    pub change: InboxChange,
    pub conversation_id: Uuid,
    pub message_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InboxChange {
    MessageAdded,
    MessageUpdated,
    ConversationUpdated,
}

/// The pub/sub topic of a business's inbox.
pub fn topic(tenant_id: Uuid) -> String {
    format!("inbox:{tenant_id}")
}

pub(crate) fn publish(
    tx: &mut TenantTx,
    change: InboxChange,
    conversation_id: Uuid,
    message_id: Option<Uuid>,
) {
    let event = InboxEvent {
        change,
        conversation_id,
        message_id,
    };
    if let Ok(payload) = serde_json::to_vec(&event) {
        let topic = topic(tx.tenant_id());
        tx.publish_after_commit(topic, payload);
    }
}

fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

/// Messages the business has sent this calendar month: conversation replies and campaign
/// messages, what the plan's monthly allowance counts.
/// Messages a plan includes each calendar month: replies and campaign messages.
pub const MESSAGES_PER_MONTH: plans::Resource = plans::Resource {
    noun: "messages a month",
    free: 1_000,
    pro: 50_000,
    count: |tx| Box::pin(sent_this_month(tx)),
};

/// Sends one queued conversation message through its channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendMessage {
    pub tenant_id: Uuid,
    pub message_id: Uuid,
}

impl JobKind for SendMessage {
    const NAME: &'static str = "SendMessage";
    /// Each waits on WhatsApp, Twilio or SMTP.
    const QUEUE: Queue = Queue::new("send_message", 8);
    fn tenant_id(&self) -> Option<Uuid> {
        Some(self.tenant_id)
    }
}

/// What else sent a message a provider reports on (a campaign) registers one of these
/// (`registry.provide::<Box<dyn DeliveryStatusListener>>(…)`), so that statuses arriving
/// by webhook reach it.
pub trait DeliveryStatusListener: Send + Sync {
    /// Applies `status` to the message the provider knows as `provider_id`; true when the
    /// listener sent it.
    fn apply<'a>(
        &'a self,
        tx: &'a TenantTx,
        provider_id: &'a str,
        report: DeliveryReport,
        error: Option<String>,
    ) -> BoxFuture<'a, Result<bool>>;
}

/// A contact's answer to something the business asked (a reminder's "1 to confirm").
#[derive(Clone, Debug)]
pub struct Reply {
    pub contact_id: Uuid,
    pub conversation_id: Uuid,
    pub channel: ChannelKind,
    /// The text, or the title of the button tapped.
    pub text: String,
}

/// A context that asks contacts something registers one of these
/// (`registry.provide::<Box<dyn ReplyHandler>>(…)`). It sees every inbound text in the
/// transaction that stores it; a reply it takes is its answer, and is not also read as a
/// keyword such as CANCELAR opting the contact out.
pub trait ReplyHandler: Send + Sync {
    fn handle<'a>(
        &'a self,
        deps: &'a Deps,
        tx: &'a mut TenantTx,
        reply: &'a Reply,
    ) -> BoxFuture<'a, Result<bool>>;
}

/// Hands a provider's delivery status to every registered listener; true when one knew it.
pub(crate) async fn notify_delivery_status(
    deps: &Deps,
    tx: &TenantTx,
    provider_id: &str,
    report: DeliveryReport,
    error: Option<String>,
) -> Result<bool> {
    let mut known = false;
    for listener in deps.registry.all::<Box<dyn DeliveryStatusListener>>() {
        known |= listener
            .apply(tx, provider_id, report, error.clone())
            .await?;
    }
    Ok(known)
}

/// Messaging's job kind, its timeline entries and its sweep.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: SendMessage| async move {
        messages::deliver(&deps, job.tenant_id, job.message_id).await
    });
    registry.provide::<Box<dyn crm::timeline::TimelineSource>>(Box::new(messages::Timeline));
    registry.sweep("messaging.wake_snoozed", |deps| async move {
        conversations::wake_snoozed(&deps).await.map(|_| 0)
    });
}

pub async fn sent_this_month(tx: &TenantTx) -> Result<u64> {
    let since = month_start(tx.now());
    let replies = tx
        .select::<message_rows::Entity>()
        .filter(message_rows::Column::Direction.eq(messages::Direction::Outbound.key()))
        .filter(message_rows::Column::Status.ne(messages::Status::Failed.key()))
        .filter(message_rows::Column::CreatedAt.gte(since))
        .count(&**tx)
        .await?;
    let campaign = tx
        .select::<campaign_recipients::Entity>()
        .filter(campaign_recipients::Column::CreatedAt.gte(since))
        .filter(campaign_recipients::Column::Status.is_not_in(["failed", "cancelled"]))
        .count(&**tx)
        .await?;
    Ok(replies + campaign)
}

tianguis_kernel::stored_enum! {
    /// What a provider reports about a message it took.
    pub enum DeliveryReport {
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
    }
}

/// A message's place on its way out: queued (0), sending, sent, delivered, read (4); none
/// for the statuses nothing follows (failed, bounced, cancelled, received).
pub type DeliveryRank = Option<u8>;

impl DeliveryReport {
    fn rank(self) -> DeliveryRank {
        match self {
            DeliveryReport::Sent => Some(2),
            DeliveryReport::Delivered => Some(3),
            DeliveryReport::Read => Some(4),
            DeliveryReport::Failed => None,
        }
    }

    /// Whether the report moves a message (or campaign recipient) at `current` on: statuses
    /// only go forward, so a late `delivered` after `read` changes nothing; `failed` ends a
    /// message not yet read.
    pub fn advances(self, current: DeliveryRank) -> bool {
        match current {
            None | Some(4) => false,
            Some(_) if self == DeliveryReport::Failed => true,
            Some(now) => self.rank().is_some_and(|next| next > now),
        }
    }
}

/// The first `max` characters of a message, for the inbox list.
pub(crate) fn preview(text: &str) -> String {
    const MAX: usize = 120;
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX {
        line
    } else {
        line.chars().take(MAX - 1).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryReport::{Delivered, Failed, Read, Sent};
    use super::messages::Status;

    #[test]
    fn statuses_only_move_forward_and_failure_ends_an_unread_message() {
        assert!(Delivered.advances(Status::Sent.delivery_rank()));
        assert!(Read.advances(Status::Delivered.delivery_rank()));
        assert!(!Delivered.advances(Status::Read.delivery_rank()));
        assert!(!Sent.advances(Status::Delivered.delivery_rank()));
        assert!(Failed.advances(Status::Sent.delivery_rank()));
        assert!(Sent.advances(Status::Queued.delivery_rank()));
        assert!(!Failed.advances(Status::Read.delivery_rank()));
        assert!(!Read.advances(Status::Failed.delivery_rank()));
        assert!(!Delivered.advances(Status::Received.delivery_rank()));
    }
}
