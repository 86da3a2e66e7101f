//! Domain events through a transactional outbox.
//!
//! A use case appends its events in its own transaction ([`append`]), so an event exists
//! exactly when its change does. The [`Dispatcher`] hands undispatched events to every
//! [`EventConsumer`] in id order per tenant, at least once, and stamps them dispatched in
//! the same transaction as the consumers' own writes. Consumers key their effects by event
//! id, so a redelivery after a crash changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::events::outbox_events;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::{TenantTx, raw};
use crate::ports::Job;
use crate::{Deps, Result};

/// The CloudEvents `source` of every event this service emits.
pub const SOURCE: &str = "/tianguis";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    pub time: DateTime<Utc>,
    pub data: serde_json::Value,
    /// The workflow run whose step wrote the change, if one did.
    #[serde(default)]
    pub caused_by_run: Option<Uuid>,
}

impl DomainEvent {
    /// The event as a CloudEvents 1.0 JSON document (structured mode).
    pub fn to_cloud_event(&self) -> serde_json::Value {
        serde_json::json!({
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.event_type,
            "subject": self.subject,
            "time": self.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "tenantid": self.tenant_id,
            "datacontenttype": "application/json",
            "data": self.data,
        })
    }
}

impl From<outbox_events::Model> for DomainEvent {
    fn from(m: outbox_events::Model) -> Self {
        Self {
            id: m.id,
            tenant_id: m.tenant_id,
            event_type: m.event_type,
            source: m.source,
            subject: m.subject,
            time: m.time,
            data: m.data,
            caused_by_run: m.caused_by_run_id,
        }
    }
}

/// Appends an event to the outbox in the use case's transaction.
pub async fn append(
    tx: &mut TenantTx,
    event_type: &str,
    subject: Option<String>,
    data: serde_json::Value,
    time: DateTime<Utc>,
) -> Result<()> {
    outbox_events::Entity::insert(outbox_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        event_type: Set(event_type.to_owned()),
        source: Set(SOURCE.to_owned()),
        subject: Set(subject),
        time: Set(time),
        data: Set(data),
        dispatched_at: Set(None),
        caused_by_run_id: Set(tx.caused_by_run()),
    })
    .exec_without_returning(&**tx)
    .await?;
    tx.wake_dispatcher_after_commit();
    Ok(())
}

/// Something that reacts to domain events: outgoing webhooks now; workflows and analytics
/// later.
#[async_trait::async_trait]
pub trait EventConsumer: Send + Sync {
    fn name(&self) -> &'static str;

    /// Runs inside the dispatcher's transaction at `now`; returns jobs to enqueue once it
    /// commits.
    async fn consume(
        &self,
        tx: &DatabaseTransaction,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>>;
}

/// How often a dispatcher looks for work whose job was lost.
const SWEEP_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Events a dispatcher takes from one tenant in one transaction.
const BATCH: u64 = 200;
/// How often a dispatcher looks for events written by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

#[derive(FromQueryResult)]
struct PendingTenant {
    tenant_id: Uuid,
}

/// Hands events to the consumers the contexts registered.
#[derive(Clone)]
pub struct Dispatcher {
    deps: Deps,
}

impl Dispatcher {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Dispatches what is pending now; returns how many events were handed out.
    pub async fn dispatch_pending(&self) -> Result<usize> {
        let backend = self.deps.db.get_database_backend();
        let tenants = PendingTenant::find_by_statement(raw(
            backend,
            "SELECT DISTINCT tenant_id FROM outbox_events WHERE dispatched_at IS NULL LIMIT 100",
            [],
        ))
        .all(&self.deps.db)
        .await?;
        let mut dispatched = 0;
        for tenant in tenants {
            dispatched += self.dispatch_tenant(tenant.tenant_id).await?;
        }
        Ok(dispatched)
    }

    /// Hands one tenant's pending events to the consumers, in order. On PostgreSQL a
    /// transaction-scoped advisory lock per tenant lets any number of dispatchers run: the
    /// one holding a tenant's lock delivers its events in order, the others skip that tenant.
    async fn dispatch_tenant(&self, tenant_id: Uuid) -> Result<usize> {
        let tx = self.deps.db.begin().await?;
        if tx.get_database_backend() == DbBackend::Postgres {
            #[derive(FromQueryResult)]
            struct Locked {
                locked: bool,
            }
            let locked = Locked::find_by_statement(raw(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked",
                [tenant_id.to_string().into()],
            ))
            .one(&tx)
            .await?
            .is_some_and(|l| l.locked);
            if !locked {
                return Ok(0);
            }
        }
        let events = outbox_events::Entity::find()
            .filter(outbox_events::Column::TenantId.eq(tenant_id))
            .filter(outbox_events::Column::DispatchedAt.is_null())
            .order_by_asc(outbox_events::Column::Id)
            .limit(BATCH)
            .all(&tx)
            .await?;
        let mut jobs = Vec::new();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        for event in events.into_iter().map(DomainEvent::from) {
            for consumer in self.deps.registry.consumers() {
                let follow_ups = consumer.consume(&tx, &event, self.deps.clock.now()).await.map_err(|err| {
                    tracing::error!(consumer = consumer.name(), event_id = %event.id, error = %err, "consumer failed");
                    err
                })?;
                for job in follow_ups {
                    // In the ledger with the dispatch itself: a lost queue message is swept.
                    let now = self.deps.clock.now();
                    let job_id = crate::jobs::record(&tx, &job, now, now).await?;
                    jobs.push((job_id, job.kind().to_owned()));
                }
            }
        }
        outbox_events::Entity::update_many()
            .col_expr(
                outbox_events::Column::DispatchedAt,
                sea_orm::sea_query::Expr::value(self.deps.clock.now()),
            )
            .filter(outbox_events::Column::Id.is_in(ids.clone()))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        for (job_id, kind) in jobs {
            if let Err(err) = self.deps.jobs.requeue(job_id, &kind, Duration::ZERO).await {
                tracing::warn!(error = %err, "queueing a follow-up job failed; the sweep will");
            }
        }
        Ok(ids.len())
    }

    /// Runs the lost-job sweep in one dispatcher at a time (an advisory lock on PostgreSQL).
    async fn sweep(&self) -> Result<usize> {
        if self.deps.db.get_database_backend() != DbBackend::Postgres {
            return crate::jobs::sweep(&self.deps).await;
        }
        let tx = self.deps.db.begin().await?;
        #[derive(FromQueryResult)]
        struct Locked {
            locked: bool,
        }
        let locked = Locked::find_by_statement(raw(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(hashtextextended('tianguis.sweep', 0)) AS locked",
            [],
        ))
        .one(&tx)
        .await?
        .is_some_and(|l| l.locked);
        let swept = if locked {
            crate::jobs::sweep(&self.deps).await?
        } else {
            0
        };
        tx.commit().await?;
        Ok(swept)
    }

    /// Dispatches until `shutdown` resolves: at once when this process writes events, and
    /// every poll interval for events written elsewhere.
    pub async fn run(self, wake: Arc<Notify>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        // A starting process sweeps at once: work lost with the one before it resumes now,
        // not a sweep interval later.
        let mut last_sweep = self.deps.clock.now() - SWEEP_EVERY;
        loop {
            if self.deps.clock.now() - last_sweep >= SWEEP_EVERY {
                last_sweep = self.deps.clock.now();
                if let Err(err) = self.sweep().await {
                    tracing::error!(error = %err, "sweeping for lost jobs failed");
                }
            }
            match self.dispatch_pending().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::error!(error = %err, "dispatching events failed"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }
}
