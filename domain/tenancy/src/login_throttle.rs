//! Failed log-ins slow down, then stop, per account and per client address, on every
//! replica (the counters live in the shared rate limiter).
//!
//! Accounts are counted by the email typed, whether or not it has an account, so the
//! answers and their timing are the same for both: a delay that grows with each failure
//! past the free ones, then RATE_LIMITED until the window ends. When an account is locked
//! out its owner gets an email, sent off the request's path.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tianguis_entity::tenancy::users;

use crate::ports::RateDecision;
use crate::secrets::sha256_hex;
use crate::{Deps, Error, RequestMeta, Result};

/// How many failures are tolerated, and how the wait grows.
#[derive(Clone, Debug)]
pub struct LoginThrottle {
    /// Failures that cost nothing, per account and window.
    pub free_failures: u32,
    /// Failures after which the account is locked for the rest of the window.
    pub lock_after: u32,
    /// Failures per client address and window, over every account it tries.
    pub per_address: u32,
    pub window: Duration,
    /// The wait after the first failure past the free ones; it doubles with each further
    /// failure, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            free_failures: 3,
            lock_after: 10,
            per_address: 50,
            window: Duration::from_secs(15 * 60),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(16),
        }
    }
}

/// What the counters say about an attempt before the password is checked.
pub(crate) struct Attempt {
    account_key: String,
    address_key: Option<String>,
}

impl LoginThrottle {
    /// Refuses a locked account or address, and waits as long as earlier failures ask.
    pub(crate) async fn before(
        &self,
        deps: &Deps,
        email: &str,
        meta: &RequestMeta,
    ) -> Result<Attempt> {
        let attempt = Attempt {
            account_key: format!("login:account:{}", sha256_hex(&email.to_lowercase())),
            address_key: meta.ip.as_ref().map(|ip| format!("login:address:{ip}")),
        };
        let account_failures = self.failures(deps, &attempt.account_key).await;
        if account_failures >= self.lock_after {
            return Err(self.locked(&attempt.account_key, deps).await);
        }
        if let Some(address_key) = &attempt.address_key
            && self.failures(deps, address_key).await >= self.per_address
        {
            return Err(self.locked(address_key, deps).await);
        }
        if let Some(past_free) = account_failures.checked_sub(self.free_failures) {
            let delay = self
                .base_delay
                .saturating_mul(1 << past_free.min(16))
                .min(self.max_delay);
            tokio::time::sleep(delay).await;
        }
        Ok(attempt)
    }

    /// Counts a failure; the one that locks the account emails its owner, if it exists.
    pub(crate) async fn failed(&self, deps: &Deps, attempt: &Attempt, email: &str) {
        if let Some(address_key) = &attempt.address_key {
            self.count(deps, address_key, 1).await;
        }
        if self.count(deps, &attempt.account_key, 1).await == Some(self.lock_after) {
            let deps = deps.clone();
            let email = email.to_owned();
            let minutes = self.window.as_secs().div_ceil(60);
            tokio::spawn(async move {
                if let Err(err) = notify_lock_out(&deps, &email, minutes).await {
                    tracing::warn!(error = %err, "could not send the lock-out notice");
                }
            });
        }
    }

    async fn failures(&self, deps: &Deps, key: &str) -> u32 {
        self.count(deps, key, 0).await.unwrap_or(0)
    }

    /// The key's count after adding `cost`; none when the limiter is unreachable, which
    /// fails open like the request limits do.
    async fn count(&self, deps: &Deps, key: &str, cost: u32) -> Option<u32> {
        match deps
            .rate_limiter
            .take(key, cost, u32::MAX, self.window)
            .await
        {
            Ok(RateDecision::Allowed { remaining }) => Some(u32::MAX - remaining),
            Ok(RateDecision::Limited { .. }) => Some(u32::MAX),
            Err(err) => {
                tracing::warn!(error = %err, "login throttle unavailable");
                None
            }
        }
    }

    async fn locked(&self, key: &str, deps: &Deps) -> Error {
        // The window's end, read from the limiter with a zero-cost, zero-limit probe.
        let retry_after = match deps.rate_limiter.take(key, 0, 0, self.window).await {
            Ok(RateDecision::Limited { retry_after }) => retry_after,
            _ => self.window,
        };
        Error::RateLimited {
            retry_after_secs: retry_after.as_secs().max(1),
        }
    }
}

async fn notify_lock_out(deps: &Deps, email: &str, minutes: u64) -> Result<()> {
    let tx = crate::db::begin_system(&deps.db).await?;
    let Some(user) = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&tx)
        .await?
    else {
        return Ok(());
    };
    let job = crate::account::queue_account_email(
        &tx,
        deps,
        &user,
        &crate::emails::LoginLocked {
            name: &user.display_name,
            minutes,
        },
    )
    .await?;
    tx.commit().await?;
    deps.jobs.enqueue(job, Duration::ZERO).await?;
    Ok(())
}
