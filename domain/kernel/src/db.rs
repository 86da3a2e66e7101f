//! The one way to reach tenant data: a transaction bound to a tenant.
//!
//! [`TenantTx::select`] adds the tenant filter, so a query of tenant data cannot be written
//! without it. On PostgreSQL the transaction also switches to the row-level-security role
//! and sets `app.tenant_id`, so a forgotten filter still sees only this tenant's rows.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PrimaryKeyTrait, QueryFilter, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, Value,
};
use tianguis_entity::tenancy::tenants;
use tianguis_entity::{APP_ROLE, TenantOwned};
use uuid::Uuid;

use crate::ports::PubSub;
use crate::{Deps, Error, Result};

enum AfterCommit {
    /// In the ledger with the transaction's writes.
    Recorded(Uuid, String),
    Unrecorded(crate::ports::Job),
}

pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant_id: Uuid,
    /// The injected clock's time when the transaction began.
    now: chrono::DateTime<chrono::Utc>,
    pubsub: Arc<dyn PubSub>,
    /// Messages for live subscribers, sent only once the transaction has committed.
    outgoing: Vec<(String, Vec<u8>)>,
    events_wake: Arc<tokio::sync::Notify>,
    wake_dispatcher: bool,
    jobs: Arc<dyn crate::ports::JobQueue>,
    /// Jobs that act on what this transaction writes, queued once it has committed.
    jobs_after_commit: Vec<AfterCommit>,
    /// The workflow run whose step this transaction carries out; its events name it.
    caused_by_run: Option<Uuid>,
}

/// Sets a row's `updated_at`, and its `created_at` when `new`, to `now`: the one place
/// they are written. [`TenantTx::insert`] and [`TenantTx::update`] call it; writes outside a
/// tenant transaction, or in bulk, call it (or [`stamped`]) themselves.
pub fn stamp<A>(model: &mut A, now: chrono::DateTime<chrono::Utc>, new: bool)
where
    A: sea_orm::ActiveModelTrait,
    <A::Entity as EntityTrait>::Column: std::str::FromStr,
{
    use std::str::FromStr;
    let column = |name| <<A::Entity as EntityTrait>::Column as FromStr>::from_str(name).ok();
    if new && let Some(created) = column("created_at") {
        model.set(created, now.into());
    }
    if let Some(updated) = column("updated_at") {
        model.set(updated, now.into());
    }
}

/// Bulk updates set `updated_at` through [`touched`](Touched::touched), as single rows do
/// through [`stamp`].
pub trait Touched: Sized {
    fn touched(self, now: chrono::DateTime<chrono::Utc>) -> Self;
}

impl<E> Touched for sea_orm::UpdateMany<E>
where
    E: EntityTrait,
    E::Column: std::str::FromStr,
{
    fn touched(self, now: chrono::DateTime<chrono::Utc>) -> Self {
        use std::str::FromStr;
        match <E::Column as FromStr>::from_str("updated_at") {
            Ok(updated) => self.col_expr(updated, sea_orm::sea_query::Expr::value(now)),
            Err(_) => self,
        }
    }
}

/// A new row with its timestamps set to `now`.
pub fn stamped<A>(now: chrono::DateTime<chrono::Utc>, mut model: A) -> A
where
    A: sea_orm::ActiveModelTrait,
    <A::Entity as EntityTrait>::Column: std::str::FromStr,
{
    stamp(&mut model, now, true);
    model
}

impl TenantTx {
    pub async fn begin(deps: &Deps, tenant_id: Uuid) -> Result<Self> {
        let tx = begin_writable(&deps.db).await?;
        if tx.get_database_backend() == DbBackend::Postgres {
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)",
                [APP_ROLE.into(), tenant_id.to_string().into()],
            ))
            .await?;
        }
        Ok(Self {
            tx,
            tenant_id,
            now: deps.clock.now(),
            pubsub: deps.pubsub.clone(),
            outgoing: Vec::new(),
            events_wake: deps.events_wake.clone(),
            wake_dispatcher: false,
            jobs: deps.jobs.clone(),
            jobs_after_commit: Vec::new(),
            caused_by_run: None,
        })
    }

    /// Marks what this transaction writes as done by a workflow run's step, so the events it
    /// appends carry the run (the loop guard follows them).
    pub fn on_behalf_of_run(&mut self, run_id: Uuid) {
        self.caused_by_run = Some(run_id);
    }

    pub fn caused_by_run(&self) -> Option<Uuid> {
        self.caused_by_run
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    /// The time of the transaction, from the service's clock (which tests can move).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.now
    }

    /// Inserts a row with its timestamps set to the transaction's time.
    pub async fn insert<A>(
        &self,
        mut model: A,
    ) -> std::result::Result<<A::Entity as EntityTrait>::Model, sea_orm::DbErr>
    where
        A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
        <A::Entity as EntityTrait>::Column: std::str::FromStr,
    {
        stamp(&mut model, self.now, true);
        model.insert(&self.tx).await
    }

    /// Updates a row, its `updated_at` set to the transaction's time.
    pub async fn update<A>(
        &self,
        mut model: A,
    ) -> std::result::Result<<A::Entity as EntityTrait>::Model, sea_orm::DbErr>
    where
        A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
        <A::Entity as EntityTrait>::Column: std::str::FromStr,
    {
        stamp(&mut model, self.now, false);
        model.update(&self.tx).await
    }

    /// All of this tenant's rows of `E`.
    pub fn select<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant_id))
    }

    /// One of this tenant's rows of `E`, or NOT_FOUND naming `what`.
    pub async fn get<E>(&self, id: Uuid, what: &'static str) -> Result<E::Model>
    where
        E: TenantOwned,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        E::find_by_id(id)
            .filter(E::tenant_column().eq(self.tenant_id))
            .one(&self.tx)
            .await?
            .ok_or(Error::NotFound(what))
    }

    /// Reads one of the caller's rows of `E` in a transaction of its own, for a caller
    /// holding `permission`; NOT_FOUND naming `what` otherwise.
    pub async fn read_one<E>(
        deps: &crate::Deps,
        ctx: &crate::TenantCtx,
        permission: crate::Permission,
        id: Uuid,
        what: &'static str,
    ) -> Result<E::Model>
    where
        E: TenantOwned,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        ctx.require(permission)?;
        let tx = Self::begin(deps, ctx.tenant_id).await?;
        let found = tx.get::<E>(id, what).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// The caller's rows of `E` with these ids, in a transaction of their own, for a caller
    /// holding `permission`: one statement for a DataLoader's whole batch.
    pub async fn read_many<E>(
        deps: &crate::Deps,
        ctx: &crate::TenantCtx,
        permission: crate::Permission,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, E::Model>>
    where
        E: TenantOwned,
        E::Model: sea_orm::ModelTrait<Entity = E> + Sync,
    {
        ctx.require(permission)?;
        let tx = Self::begin(deps, ctx.tenant_id).await?;
        let found = tx.get_many::<E>(ids).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// As [`read_many`](Self::read_many), inside this transaction.
    pub async fn get_many<E>(
        &self,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, E::Model>>
    where
        E: TenantOwned,
        E::Model: sea_orm::ModelTrait<Entity = E> + Sync,
    {
        use sea_orm::{Iterable, PrimaryKeyToColumn};
        let id = E::PrimaryKey::iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("an entity without a primary key"))?
            .into_column();
        let rows = self
            .select::<E>()
            .filter(id.is_in(ids.iter().copied()))
            .all(&self.tx)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match sea_orm::ModelTrait::get(&row, id) {
                Value::Uuid(Some(key)) => Some((key, row)),
                _ => None,
            })
            .collect())
    }

    /// Every id names a `what` of this business: a reference taken from input, refused with
    /// BAD_USER_INPUT on `field` otherwise.
    pub async fn check_references<E>(
        &self,
        ids: &[Uuid],
        field: &'static str,
        what: &str,
    ) -> Result<()>
    where
        E: TenantOwned,
        E::Model: sea_orm::ModelTrait<Entity = E> + Sync,
    {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.get_many::<E>(ids).await?;
        match ids.iter().find(|id| !found.contains_key(id)) {
            Some(missing) => Err(Error::invalid(field, format!("no such {what} {missing}"))),
            None => Ok(()),
        }
    }

    /// Queues a message for live subscribers of `topic`, delivered after commit.
    pub fn publish_after_commit(&mut self, topic: String, payload: Vec<u8>) {
        self.outgoing.push((topic, payload));
    }

    /// Asks this process's event dispatcher to run once the transaction commits.
    pub(crate) fn wake_dispatcher_after_commit(&mut self) {
        self.wake_dispatcher = true;
    }

    /// Queues `job` once the transaction commits: it must not run before its rows exist. A
    /// job of this tenant is written to the ledger with the transaction, so a queue message
    /// lost after the commit leaves a queued entry that the sweep sends again; another's
    /// (an account email) cannot be under row-level security, and is recorded after commit.
    pub async fn enqueue_after_commit(&mut self, job: crate::ports::Job) -> Result<()> {
        if job.tenant_id() == Some(self.tenant_id) {
            let id = crate::jobs::record(&self.tx, &job, self.now, self.now).await?;
            self.jobs_after_commit
                .push(AfterCommit::Recorded(id, job.kind().to_owned()));
        } else {
            self.jobs_after_commit.push(AfterCommit::Unrecorded(job));
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        for job in self.jobs_after_commit {
            let queued = match job {
                AfterCommit::Recorded(id, kind) => {
                    self.jobs
                        .requeue(id, &kind, std::time::Duration::ZERO)
                        .await
                }
                AfterCommit::Unrecorded(job) => {
                    self.jobs.enqueue(job, std::time::Duration::ZERO).await
                }
            };
            // The committed rows are the durable record; the sweep finds what this loses.
            if let Err(err) = queued {
                tracing::warn!(error = %err, "queueing a job after commit failed");
            }
        }
        if self.wake_dispatcher {
            self.events_wake.notify_one();
        }
        for (topic, payload) in self.outgoing {
            // Live delivery is best effort; the committed change is what counts.
            if let Err(err) = self.pubsub.publish(&topic, payload).await {
                tracing::warn!(error = %err, topic, "publishing to subscribers failed");
            }
        }
        Ok(())
    }
}

impl Deref for TenantTx {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

/// Builds a raw statement written with PostgreSQL's `$n` placeholders for either backend.
pub fn raw(backend: DbBackend, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Begins a transaction for work at the edge, before a tenant is known (sign-up, log-in,
/// refresh). It runs as the connecting role, which sees the tables owned by it.
pub async fn begin_system(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    begin_writable(db).await
}

/// On SQLite a transaction takes the write lock when it begins (`BEGIN IMMEDIATE`), so a
/// second process on the same file (`tianguis seed`, `tianguis worker`) waits its turn
/// instead of failing when a read-then-write transaction cannot upgrade.
async fn begin_writable(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// The tenant's own row: its country, currency, time zone and locale.
pub async fn tenant_region<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> Result<tenants::Model> {
    tenants::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("tenant"))
}

/// The value an active model holds for a column, whether set by the use case or loaded:
/// reading a column nobody set is a bug, reported as an unexpected error, not a panic.
pub trait Current<V> {
    fn current(&self) -> Result<V>;
}

impl<V: Into<Value> + Clone> Current<V> for sea_orm::ActiveValue<V> {
    fn current(&self) -> Result<V> {
        self.try_as_ref().cloned().ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "a column of {} was read before it was set",
                std::any::type_name::<V>()
            ))
        })
    }
}
