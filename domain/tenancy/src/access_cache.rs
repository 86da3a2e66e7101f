//! What a session may do, remembered for a short while so a request does not ask the
//! database who its caller is.
//!
//! Anything that changes access (a session ended, a member suspended, removed or given
//! another role, a role's permissions, a user disabled, a business's plan or status) calls
//! [`access_changed`] after it commits: this replica forgets at once, and every other one
//! when the notice reaches it through pub/sub (Redis in production), which is milliseconds.
//! The time to live bounds what a lost notice could cost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use uuid::Uuid;

use crate::plans::Plan;
use crate::{Deps, PermissionSet};

/// The pub/sub topic of access changes.
pub const ACCESS_CHANGED: &str = "tianguis.tenancy.access_changed";

/// Past this many sessions the cache starts over rather than grow.
const MAX_ENTRIES: usize = 100_000;

/// The claims a cached answer is for: session, membership, business and user.
pub(crate) type SessionKey = (Uuid, Uuid, Uuid, Uuid);

#[derive(Clone)]
pub(crate) struct Access {
    pub plan: Plan,
    pub permissions: PermissionSet,
}

pub struct AccessCache {
    ttl: Duration,
    entries: Mutex<HashMap<SessionKey, (Instant, Access)>>,
    /// Bumped by every change, so an answer read before a change is not kept after it.
    generation: AtomicU64,
    /// Sent with this replica's notices, which it has acted on already when they echo back.
    replica: Uuid,
}

impl AccessCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
            generation: AtomicU64::new(0),
            replica: Uuid::new_v4(),
        }
    }

    pub(crate) fn get(&self, key: &SessionKey) -> Option<Access> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, access)| access.clone())
    }

    /// Read before asking the database; pass it back to [`Self::insert`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn insert(&self, generation: u64, key: SessionKey, access: Access) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Checked under the lock that `forget_all` takes, so a change cannot slip between.
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), access));
    }

    pub fn forget_all(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

/// Tells every replica that access changed; call it after the change commits.
pub async fn access_changed(deps: &Deps) {
    let mut notice = Vec::new();
    if let Some(cache) = deps.registry.get::<AccessCache>() {
        cache.forget_all();
        notice = cache.replica.as_bytes().to_vec();
    }
    if let Err(err) = deps.pubsub.publish(ACCESS_CHANGED, notice).await {
        // The time to live still bounds how long other replicas trust what they hold.
        tracing::warn!(error = %err, "could not tell other replicas that access changed");
    }
}

/// Keeps this replica's cache in step with changes made on the others. Returns once it
/// listens, so nothing published after start-up is missed.
pub async fn follow_access_changes(deps: &Deps) -> anyhow::Result<()> {
    let mut changes = deps.pubsub.subscribe(ACCESS_CHANGED).await?;
    let registry = deps.registry.clone();
    tokio::spawn(async move {
        while let Some(notice) = changes.next().await {
            if let Some(cache) = registry.get::<AccessCache>()
                && notice != cache.replica.as_bytes()
            {
                cache.forget_all();
            }
        }
    });
    Ok(())
}
