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
}

impl Job {
    /// The job's kind, as shown in the admin view and in metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::DeliverWebhook { .. } => crate::jobs::DELIVER_WEBHOOK,
        }
    }
}

/// The durable job queue (SQLite, PostgreSQL or Redis, by configuration).
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues `job` to run after `delay`.
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()>;
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
