//! The background worker pool, on apalis. Where jobs are kept is configuration: the
//! embedded SQLite database, PostgreSQL, or Redis. Handlers are thin: they call one domain
//! use case, which is idempotent, so a job run twice does its work once.

use std::future::Future;
use std::time::{Duration, SystemTime};

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use serde::{Deserialize, Serialize};
use tianguis_domain::jobs::DELIVER_WEBHOOK;
use tianguis_domain::ports::{Job, JobQueue};
use tianguis_domain::{Deps, automation::webhooks};
use uuid::Uuid;

/// Where jobs are stored.
#[derive(Clone)]
pub enum JobStore {
    Sqlite(apalis_sqlite::SqlitePool),
    Postgres(apalis_postgres::PgPool),
    Redis(redis::aio::ConnectionManager),
}

impl JobStore {
    /// The store's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            JobStore::Sqlite(_) => "sqlite",
            JobStore::Postgres(_) => "postgres",
            JobStore::Redis(_) => "redis",
        }
    }

    /// Creates the store's tables (SQL stores); Redis needs nothing.
    pub async fn setup(&self) -> anyhow::Result<()> {
        match self {
            JobStore::Sqlite(pool) => SqliteStorage::setup(pool).await?,
            JobStore::Postgres(pool) => PostgresStorage::setup(pool).await?,
            JobStore::Redis(_) => {}
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub tenant_id: Uuid,
    pub delivery_id: Uuid,
}

/// Worker settings per job kind.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub deliver_webhook_concurrency: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            deliver_webhook_concurrency: 8,
        }
    }
}

fn sqlite<T>(pool: &apalis_sqlite::SqlitePool, queue: &str) -> SqliteStorage<T> {
    SqliteStorage::new(pool).with_config(apalis_sqlite::Config::default().queue(queue))
}

fn postgres<T>(pool: &apalis_postgres::PgPool, queue: &str) -> PostgresStorage<T> {
    PostgresStorage::new(pool).with_config(apalis_postgres::Config::default().queue(queue))
}

fn redis_store<T>(
    conn: &redis::aio::ConnectionManager,
    queue: &str,
) -> RedisStorage<T, redis::aio::ConnectionManager> {
    RedisStorage::new(conn.clone())
        .with_config(apalis_redis::Config::default().queue(format!("tianguis:{queue}")))
}

/// The domain's job queue on the configured store.
#[derive(Clone)]
pub struct ApalisQueue {
    store: JobStore,
}

impl ApalisQueue {
    pub fn new(store: JobStore) -> Self {
        Self { store }
    }
}

/// A job that runs once; retries are the handler's decision (webhooks reschedule
/// themselves with backoff), and a job lost with a dead worker is re-enqueued by the store.
fn task<T>(args: T, delay: Duration) -> Task<T> {
    TaskBuilder::new(args)
        .run_at_time(SystemTime::now() + delay)
        .max_attempts(1)
        .build()
}

#[async_trait::async_trait]
impl JobQueue for ApalisQueue {
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()> {
        match job {
            Job::DeliverWebhook {
                tenant_id,
                delivery_id,
            } => {
                let args = DeliverWebhook {
                    tenant_id,
                    delivery_id,
                };
                match &self.store {
                    JobStore::Sqlite(pool) => {
                        sqlite(pool, DELIVER_WEBHOOK)
                            .push_task(task(args, delay))
                            .await?
                    }
                    JobStore::Postgres(pool) => {
                        postgres(pool, DELIVER_WEBHOOK)
                            .push_task(task(args, delay))
                            .await?
                    }
                    JobStore::Redis(conn) => {
                        redis_store(conn, DELIVER_WEBHOOK)
                            .push_task(task(args, delay))
                            .await?
                    }
                }
            }
        }
        Ok(())
    }
}

async fn deliver_webhook(job: DeliverWebhook, deps: Data<Deps>) -> Result<(), BoxDynError> {
    webhooks::deliver(&deps, job.tenant_id, job.delivery_id)
        .await
        .map_err(|e| Box::new(e) as BoxDynError)
}

/// Runs the worker pool until `shutdown` resolves; running jobs finish first.
pub async fn run(
    store: JobStore,
    deps: Deps,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let concurrency = settings.deliver_webhook_concurrency;
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    let monitor = match store {
        JobStore::Sqlite(pool) => monitor.register(move |_| {
            WorkerBuilder::new(DELIVER_WEBHOOK)
                .backend(sqlite::<DeliverWebhook>(&pool, DELIVER_WEBHOOK))
                .concurrency(concurrency)
                .data(deps.clone())
                .build(deliver_webhook)
        }),
        JobStore::Postgres(pool) => monitor.register(move |_| {
            WorkerBuilder::new(DELIVER_WEBHOOK)
                .backend(postgres::<DeliverWebhook>(&pool, DELIVER_WEBHOOK))
                .concurrency(concurrency)
                .data(deps.clone())
                .build(deliver_webhook)
        }),
        JobStore::Redis(conn) => monitor.register(move |_| {
            WorkerBuilder::new(DELIVER_WEBHOOK)
                .backend(redis_store::<DeliverWebhook>(&conn, DELIVER_WEBHOOK))
                .concurrency(concurrency)
                .data(deps.clone())
                .build(deliver_webhook)
        }),
    };
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}
