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
use tianguis_domain::jobs::{DELIVER_WEBHOOK, SEND_EMAIL};
use tianguis_domain::ports::{Job, JobQueue};
use tianguis_domain::{Deps, automation::webhooks, email};
use uuid::Uuid;

/// Where jobs are stored.
#[derive(Clone)]
pub enum StoreBackend {
    Sqlite(apalis_sqlite::SqlitePool),
    Postgres(apalis_postgres::PgPool),
    Redis(redis::aio::ConnectionManager),
}

/// A store and the namespace its queues live under, so deployments (or test instances)
/// sharing one Redis or database never take each other's jobs.
#[derive(Clone)]
pub struct JobStore {
    backend: StoreBackend,
    namespace: String,
}

impl JobStore {
    pub fn new(backend: StoreBackend, namespace: impl Into<String>) -> Self {
        Self {
            backend,
            namespace: namespace.into(),
        }
    }

    /// The store's name, for logs.
    pub fn name(&self) -> &'static str {
        match self.backend {
            StoreBackend::Sqlite(_) => "sqlite",
            StoreBackend::Postgres(_) => "postgres",
            StoreBackend::Redis(_) => "redis",
        }
    }

    fn queue(&self, kind: &str) -> String {
        format!("{}:{kind}", self.namespace)
    }

    /// Creates the store's tables (SQL stores); Redis needs nothing.
    pub async fn setup(&self) -> anyhow::Result<()> {
        match &self.backend {
            StoreBackend::Sqlite(pool) => SqliteStorage::setup(pool).await?,
            StoreBackend::Postgres(pool) => PostgresStorage::setup(pool).await?,
            StoreBackend::Redis(_) => {}
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub tenant_id: Uuid,
    pub delivery_id: Uuid,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendEmail {
    pub email_id: Uuid,
}

/// How often an idle worker asks the store for due jobs. Without it a worker that found
/// nothing waits for its next heartbeat, and delayed jobs (retries) would run late.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Worker settings per job kind.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub deliver_webhook_concurrency: usize,
    pub send_email_concurrency: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            deliver_webhook_concurrency: 8,
            send_email_concurrency: 8,
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
    RedisStorage::new(conn.clone()).with_config(apalis_redis::Config::default().queue(queue))
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

impl ApalisQueue {
    async fn push<T>(&self, kind: &str, args: T, delay: Duration) -> anyhow::Result<()>
    where
        T: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static,
    {
        let queue = self.store.queue(kind);
        match &self.store.backend {
            StoreBackend::Sqlite(pool) => sqlite(pool, &queue).push_task(task(args, delay)).await?,
            StoreBackend::Postgres(pool) => {
                postgres(pool, &queue).push_task(task(args, delay)).await?
            }
            StoreBackend::Redis(conn) => {
                redis_store(conn, &queue)
                    .push_task(task(args, delay))
                    .await?
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobQueue for ApalisQueue {
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()> {
        match job {
            Job::DeliverWebhook {
                tenant_id,
                delivery_id,
            } => {
                self.push(
                    DELIVER_WEBHOOK,
                    DeliverWebhook {
                        tenant_id,
                        delivery_id,
                    },
                    delay,
                )
                .await
            }
            Job::SendEmail { email_id } => {
                self.push(SEND_EMAIL, SendEmail { email_id }, delay).await
            }
        }
    }
}

async fn deliver_webhook(job: DeliverWebhook, deps: Data<Deps>) -> Result<(), BoxDynError> {
    webhooks::deliver(&deps, job.tenant_id, job.delivery_id)
        .await
        .map_err(|e| Box::new(e) as BoxDynError)
}

async fn send_email(job: SendEmail, deps: Data<Deps>) -> Result<(), BoxDynError> {
    email::send(&deps, job.email_id)
        .await
        .map_err(|e| Box::new(e) as BoxDynError)
}

/// Registers a worker for one job kind on the store's backend.
macro_rules! register {
    ($monitor:expr, $store:expr, $instance:expr, $deps:expr, $kind:expr, $args:ty, $handler:expr, $concurrency:expr) => {{
        let queue = $store.queue($kind);
        let name = format!("{}-{}", $kind, $instance);
        let deps = $deps.clone();
        let concurrency = $concurrency;
        match $store.backend.clone() {
            StoreBackend::Sqlite(pool) => $monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(sqlite::<$args>(&pool, &queue).poll_with_interval(POLL_INTERVAL))
                    .concurrency(concurrency)
                    .data(deps.clone())
                    .build($handler)
            }),
            StoreBackend::Postgres(pool) => $monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(postgres::<$args>(&pool, &queue).poll_with_interval(POLL_INTERVAL))
                    .concurrency(concurrency)
                    .data(deps.clone())
                    .build($handler)
            }),
            StoreBackend::Redis(conn) => $monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(redis_store::<$args>(&conn, &queue).poll_with_interval(POLL_INTERVAL))
                    .concurrency(concurrency)
                    .data(deps.clone())
                    .build($handler)
            }),
        }
    }};
}

/// Runs the worker pool until `shutdown` resolves; running jobs finish first.
pub async fn run(
    store: JobStore,
    deps: Deps,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Worker names are unique per process: a store ties a running job to its worker, and a
    // restarted or second process must not pass for the one that died.
    let instance = Uuid::now_v7().simple().to_string();
    let monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    let monitor = register!(
        monitor,
        store,
        instance,
        deps,
        DELIVER_WEBHOOK,
        DeliverWebhook,
        deliver_webhook,
        settings.deliver_webhook_concurrency
    );
    let monitor = register!(
        monitor,
        store,
        instance,
        deps,
        SEND_EMAIL,
        SendEmail,
        send_email,
        settings.send_email_concurrency
    );
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}
