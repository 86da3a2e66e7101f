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
