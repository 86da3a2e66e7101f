//! The outside world as the domain sees it; `integrations` holds the real implementations.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

/// Fan-out of live events to subscribers, across every replica when Redis is configured.
#[async_trait::async_trait]
pub trait PubSub: Send + Sync {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> anyhow::Result<()>;
    async fn subscribe(&self, topic: &str) -> anyhow::Result<BoxStream<'static, Vec<u8>>>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

/// Counts hits per key in fixed windows, shared by every replica when Redis is configured.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> anyhow::Result<RateDecision>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Work for the background pool. Payloads hold ids; handlers load fresh state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Job {
    DeliverWebhook {
        tenant_id: uuid::Uuid,
        delivery_id: uuid::Uuid,
    },
    SendEmail {
        tenant_id: Option<uuid::Uuid>,
        email_id: uuid::Uuid,
    },
    /// Recomputes lead scores of a tenant: all open leads, or only those time may change.
    RescoreLeads {
        tenant_id: uuid::Uuid,
        stale_only: bool,
    },
    /// Daily upkeep across tenants: expire overdue proposals, rescore leads as time passes.
    DailyMaintenance,
    /// Does nothing: measures the pool's own cost (ledger and store round trips).
    Noop,
}

impl Job {
    /// The job's kind, as shown in the admin view and in metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::DeliverWebhook { .. } => crate::jobs::DELIVER_WEBHOOK,
            Job::SendEmail { .. } => crate::jobs::SEND_EMAIL,
            Job::RescoreLeads { .. } | Job::DailyMaintenance => crate::jobs::MAINTENANCE,
            Job::Noop => crate::jobs::NOOP,
        }
    }

    /// The business the job works for, if any: its admins see it.
    pub fn tenant_id(&self) -> Option<uuid::Uuid> {
        match self {
            Job::DeliverWebhook { tenant_id, .. } => Some(*tenant_id),
            Job::SendEmail { tenant_id, .. } => *tenant_id,
            Job::RescoreLeads { tenant_id, .. } => Some(*tenant_id),
            Job::DailyMaintenance | Job::Noop => None,
        }
    }
}

/// The durable job queue (SQLite, PostgreSQL or Redis, by configuration).
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Records `job` in the ledger and enqueues it to run after `delay`.
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()>;

    /// Enqueues an existing ledger entry again (a retry).
    async fn requeue(&self, job_id: uuid::Uuid, kind: &str, delay: Duration) -> anyhow::Result<()>;
}

/// What one HTTP POST of a webhook came back with.
#[derive(Clone, Debug)]
pub struct HttpOutcome {
    pub status: u16,
    pub body_excerpt: String,
}

/// Sends webhook requests. Errors are transport failures (refused, timed out, bad address).
#[async_trait::async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: String,
        timeout: Duration,
    ) -> anyhow::Result<HttpOutcome>;
}

/// A rendered email ready for the wire.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    /// Without angle brackets: `0190…@tianguis`.
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused this message for good (bad address, rejected content).
    #[error("rejected: {0}")]
    Permanent(String),
    /// Worth trying again (connection, timeout, temporary refusal).
    #[error("temporary failure: {0}")]
    Transient(String),
}

/// Sends email: over SMTP, or into a folder in the embedded mode.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
}
