//! Fixed-window rate limiting: in memory for one process, in Redis for many.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tianguis_domain::ports::{RateDecision, RateLimiter};

/// Window number and time left in it, from wall-clock time so every replica agrees.
fn window(duration: Duration) -> (u64, Duration) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let size = duration.as_millis().max(1) as u64;
    (now / size, Duration::from_millis(size - now % size))
}

fn decide(count: u64, limit: u32, left: Duration) -> RateDecision {
    if count > u64::from(limit) {
        RateDecision::Limited { retry_after: left }
    } else {
        RateDecision::Allowed {
            remaining: limit.saturating_sub(count as u32),
        }
    }
}

#[derive(Default)]
pub struct InMemoryRateLimiter {
    counters: Mutex<HashMap<String, (u64, u64)>>,
}

/// Past this many keys, stale windows are swept on the next hit.
const SWEEP_AT: usize = 10_000;

#[async_trait::async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn take(
        &self,
        key: &str,
        cost: u32,
        limit: u32,
        duration: Duration,
    ) -> anyhow::Result<RateDecision> {
        let (current, left) = window(duration);
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if counters.len() > SWEEP_AT {
            counters.retain(|_, (w, _)| *w == current);
        }
        let entry = counters.entry(key.to_owned()).or_insert((current, 0));
        if entry.0 != current {
            *entry = (current, 0);
        }
        entry.1 += u64::from(cost);
        Ok(decide(entry.1, limit, left))
    }
}

pub struct RedisRateLimiter {
    conn: redis::aio::ConnectionManager,
}

impl RedisRateLimiter {
    pub fn new(conn: redis::aio::ConnectionManager) -> Self {
        Self { conn }
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn take(
        &self,
        key: &str,
        cost: u32,
        limit: u32,
        duration: Duration,
    ) -> anyhow::Result<RateDecision> {
        let (current, left) = window(duration);
        let redis_key = format!("tianguis:rl:{key}:{current}");
        let mut conn = self.conn.clone();
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&redis_key, cost)
            .expire(&redis_key, duration.as_secs().max(1) as i64 + 1)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(decide(count, limit, left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_hit_past_the_limit_is_refused_with_a_retry_time() {
        let limiter = InMemoryRateLimiter::default();
        let window = Duration::from_secs(3600);
        for expected_remaining in [1, 0] {
            assert_eq!(
                limiter.hit("k", 2, window).await.expect("hit"),
                RateDecision::Allowed {
                    remaining: expected_remaining
                }
            );
        }
        match limiter.hit("k", 2, window).await.expect("hit") {
            RateDecision::Limited { retry_after } => assert!(retry_after <= window),
            other => panic!("expected a limit, got {other:?}"),
        }
        assert!(matches!(
            limiter.hit("other", 2, window).await.expect("hit"),
            RateDecision::Allowed { .. }
        ));
    }
}
