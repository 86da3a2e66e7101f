//! The background worker pool, on apalis. Where jobs are kept is configuration: the
//! embedded SQLite database, PostgreSQL, or Redis. Handlers are thin: they call one domain
//! use case, which is idempotent, so a job run twice does its work once.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tianguis_domain::Deps;
use tianguis_domain::jobs;

use tianguis_domain::ports::{Clock, Job, JobQueue};
use tianguis_domain::registry::Queue;
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

/// What the queue store carries: the id of the job's ledger row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRef {
    pub job_id: Uuid,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

fn duration_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Counters and durations of job runs per kind, exposed with the process's other metrics.
#[derive(Clone)]
pub struct JobMetrics {
    runs: Family<RunLabels, Counter>,
    durations: Family<KindLabels, Histogram, fn() -> Histogram>,
}

impl Default for JobMetrics {
    fn default() -> Self {
        Self {
            runs: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
        }
    }
}

impl JobMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "job_runs",
            "Job runs by kind and outcome",
            self.runs.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Time a job run took, by kind",
            self.durations.clone(),
        );
    }

    async fn time<F>(&self, kind: &str, run: F) -> tianguis_domain::Result<()>
    where
        F: Future<Output = tianguis_domain::Result<()>>,
    {
        let started = std::time::Instant::now();
        let result = run.await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.runs
            .get_or_create(&RunLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        self.durations
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
        if let Err(err) = &result {
            tracing::error!(kind, error = ?err, "job failed");
        }
        result
    }
}

/// How often an idle worker asks the store for due jobs. Without it a worker that found
/// nothing waits for its next heartbeat, and delayed jobs (retries) would run late.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Worker settings: how many jobs of each queue run at once, and the heartbeat.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// Concurrency per queue name, where it differs from the queue's own default.
    pub concurrency: HashMap<String, usize>,
    /// How often a worker tells the store it is alive. A worker silent for
    /// [`MISSED_HEARTBEATS`] of these is dead, and its running jobs go back to the queue.
    pub heartbeat: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: HashMap::new(),
            heartbeat: Duration::from_secs(20),
        }
    }
}

impl WorkerSettings {
    /// How many jobs of `queue` a worker process runs at once.
    pub fn concurrency_of(&self, queue: &Queue) -> usize {
        self.concurrency
            .get(queue.name)
            .copied()
            .unwrap_or(queue.concurrency)
            .max(1)
    }
}

pub const MISSED_HEARTBEATS: usize = 3;

/// Evaluates `$body` once per backend with `$storage` bound to a function that opens the
/// store's storage of `$queue`: the backends' storages are different types, so the body is
/// written once and expanded in each arm.
macro_rules! per_backend {
    ($backend:expr, $args:ty, $queue:expr, $heartbeat:expr, |$storage:ident| $body:expr) => {{
        let queue: String = $queue;
        let heartbeat: Duration = $heartbeat;
        macro_rules! config {
            ($config:ty) => {
                <$config>::default()
                    .queue(&queue)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(MISSED_HEARTBEATS)
            };
        }
        match $backend {
            StoreBackend::Sqlite(pool) => {
                let $storage = move || {
                    SqliteStorage::<$args>::new(&pool).with_config(config!(apalis_sqlite::Config))
                };
                $body
            }
            StoreBackend::Postgres(pool) => {
                let $storage = move || {
                    PostgresStorage::<$args>::new(&pool)
                        .with_config(config!(apalis_postgres::Config))
                };
                $body
            }
            StoreBackend::Redis(conn) => {
                let $storage = move || {
                    RedisStorage::<$args, redis::aio::ConnectionManager>::new(conn.clone())
                        .with_config(config!(apalis_redis::Config))
                };
                $body
            }
        }
    }};
}

/// The domain's job queue on the configured store.
#[derive(Clone)]
pub struct ApalisQueue {
    store: JobStore,
    db: sea_orm::DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl ApalisQueue {
    /// `db` holds the job ledger; `clock` dates its entries.
    pub fn new(store: JobStore, db: sea_orm::DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { store, db, clock }
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

/// Pushing does not heartbeat; any value will do.
const PUSH_ONLY: Duration = Duration::from_secs(30);

impl ApalisQueue {
    async fn push<T>(&self, kind: &str, args: T, delay: Duration) -> anyhow::Result<()>
    where
        T: Serialize + for<'de> Deserialize<'de> + Send + Sync + Unpin + 'static,
    {
        per_backend!(
            self.store.backend.clone(),
            T,
            self.store.queue(kind),
            PUSH_ONLY,
            |storage| storage().push_task(task(args, delay)).await?
        );
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobQueue for ApalisQueue {
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()> {
        let now = self.clock.now();
        let run_at = now + chrono::TimeDelta::from_std(delay)?;
        let job_id = jobs::record(&self.db, &job, now, run_at).await?;
        self.push(job.kind(), JobRef { job_id }, delay).await
    }

    async fn requeue(&self, job_id: Uuid, kind: &str, delay: Duration) -> anyhow::Result<()> {
        self.push(kind, JobRef { job_id }, delay).await
    }
}

/// What every handler gets: the domain's dependencies and the metrics to record into.
#[derive(Clone)]
pub struct JobContext {
    pub deps: Deps,
    pub metrics: JobMetrics,
}

/// Runs one job from its ledger row: claims it, runs its kind's handler, records the
/// outcome and schedules the next attempt of a failed run. The queue store sees every run
/// succeed; the ledger holds what happened. One handler serves every queue.
async fn run_job(job: JobRef, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    let deps = &ctx.deps;
    let Some(claimed) = jobs::claim(&deps.db, job.job_id, deps.clock.now()).await? else {
        return Ok(());
    };
    let kind = claimed.kind().to_owned();
    let result = ctx
        .metrics
        .time(&kind, deps.registry.run(deps, &claimed))
        .await;
    let outcome = match result {
        Ok(()) => jobs::Outcome::Succeeded,
        Err(err) => jobs::Outcome::Failed(err.to_string()),
    };
    let max_attempts = deps
        .registry
        .queue(&kind)
        .map_or(jobs::MAX_ATTEMPTS, |q| q.max_attempts);
    let finished = jobs::finish(
        &deps.db,
        job.job_id,
        outcome,
        max_attempts,
        deps.clock.now(),
    );
    if let Some(delay) = finished.await? {
        deps.jobs.requeue(job.job_id, &kind, delay).await?;
    }
    Ok(())
}

/// Registers a worker for one job kind on the store's backend.
macro_rules! register {
    ($monitor:expr, $store:expr, $instance:expr, $deps:expr, $kind:expr, $args:ty, $handler:expr, $concurrency:expr, $heartbeat:expr) => {{
        let name = format!("{}-{}", $kind, $instance);
        let deps = $deps.clone();
        let concurrency = $concurrency;
        per_backend!(
            $store.backend.clone(),
            $args,
            $store.queue($kind),
            $heartbeat,
            |storage| $monitor.register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(storage().poll_with_interval(POLL_INTERVAL))
                    .concurrency(concurrency)
                    .data(deps.clone())
                    .build($handler)
            })
        )
    }};
}

/// Runs the worker pool until `shutdown` resolves; running jobs finish first.
pub async fn run(
    store: JobStore,
    deps: JobContext,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Worker names are unique per process: a store ties a running job to its worker, and a
    // restarted or second process must not pass for the one that died.
    let instance = Uuid::now_v7().simple().to_string();
    let mut monitor = Monitor::new().shutdown_timeout(Duration::from_secs(30));
    for queue in deps.deps.registry.queues() {
        // SQLite has one connection and one writer: parallel jobs there only wait on each
        // other, and the store's own bookkeeping then starves the handlers of the connection.
        let concurrency = match store.backend {
            StoreBackend::Sqlite(_) => 1,
            _ => settings.concurrency_of(queue),
        };
        monitor = register!(
            monitor,
            store,
            instance,
            deps,
            queue.name,
            JobRef,
            run_job,
            concurrency,
            settings.heartbeat
        );
    }
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await?;
    Ok(())
}
