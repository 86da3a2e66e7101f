//! The job ledger. Every enqueued job gets a row here (kind, payload, tenant); the queue
//! store only carries the row's id. Workers claim the row before running and record how
//! it ended; admins list, retry and cancel their business's jobs through it, the same way
//! whichever store (SQLite, PostgreSQL, Redis) runs them.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tianguis_entity::jobs::job_runs;
use uuid::Uuid;

use crate::audit;
use crate::db::TenantTx;
use crate::db::Touched;
use crate::db::{stamp, stamped};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::ports::Job;
use crate::registry::{JobKind, Queue};
use crate::{Deps, Error, Permission, Result, TenantCtx};

/// Attempts a job gets when its handler fails unexpectedly, before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// The wait before the next attempt after `attempts` failed ones: 10 s, 40 s, 160 s, …
pub fn backoff(attempts: i32) -> Duration {
    Duration::from_secs(10) * 4u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 8) as u32)
}

crate::stored_enum! {
    /// Where a job is in its life.
    pub enum Status {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        /// Gave up after its attempts; kept with its last error, and retryable.
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

/// Writes the ledger row of a job about to be pushed to the queue store.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    job: &Job,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    job_runs::Entity::insert(stamped(
        now,
        job_runs::ActiveModel {
            id: Set(id),
            tenant_id: Set(job.tenant_id()),
            kind: Set(job.kind().to_owned()),
            payload: Set(job.payload().clone()),
            status: Set(Status::Queued.key().to_owned()),
            attempts: Set(0),
            last_error: Set(None),
            run_at: Set(run_at),
            started_at: Set(None),
            finished_at: Set(None),
            ..Default::default()
        },
    ))
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

/// Claims a job for running: its payload, or None when it was cancelled or has already
/// finished (a duplicate delivery of the queue message). A job still marked running was
/// interrupted with its worker and is claimed again.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Job>> {
    // One statement: the claim and the payload it returns.
    let claimed = job_runs::Entity::update_many()
        .col_expr(job_runs::Column::Status, Expr::value(Status::Running.key()))
        .col_expr(
            job_runs::Column::Attempts,
            Expr::col(job_runs::Column::Attempts).add(1),
        )
        .col_expr(job_runs::Column::StartedAt, Expr::value(now))
        .touched(now)
        .filter(job_runs::Column::Id.eq(id))
        .filter(job_runs::Column::Status.is_in([Status::Queued.key(), Status::Running.key()]))
        .exec_with_returning(conn)
        .await?;
    match claimed.into_iter().next() {
        Some(row) => Ok(Some(Job::stored(row.kind, row.tenant_id, row.payload))),
        None => Ok(None),
    }
}

/// What became of a run.
pub enum Outcome {
    Succeeded,
    /// Failed unexpectedly; run again after the returned delay, unless attempts are spent.
    Failed(String),
}

/// Records a run's end. Returns the delay after which the job must run again, if any: a
/// failed run is tried again until `max_attempts` (its queue's policy) are spent.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    outcome: Outcome,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<Duration>> {
    let error = match outcome {
        Outcome::Succeeded => {
            // The common case, in one statement.
            job_runs::Entity::update_many()
                .col_expr(
                    job_runs::Column::Status,
                    Expr::value(Status::Succeeded.key()),
                )
                .col_expr(job_runs::Column::FinishedAt, Expr::value(now))
                .col_expr(
                    job_runs::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .touched(now)
                .filter(job_runs::Column::Id.eq(id))
                .exec(conn)
                .await?;
            return Ok(None);
        }
        Outcome::Failed(error) => error,
    };
    let Some(row) = job_runs::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut model: job_runs::ActiveModel = row.clone().into();
    stamp(&mut model, now, false);
    model.last_error = Set(Some(error.chars().take(2000).collect()));
    let again = if row.attempts >= max_attempts {
        model.status = Set(Status::Failed.key().to_owned());
        model.finished_at = Set(Some(now));
        None
    } else {
        let delay = backoff(row.attempts);
        model.status = Set(Status::Queued.key().to_owned());
        model.run_at = Set(now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1)));
        Some(delay)
    };
    sea_orm::ActiveModelTrait::update(model, conn).await?;
    Ok(again)
}

/// How long work may wait for its job before the sweep assumes the job was lost.
pub const LOST_AFTER: TimeDelta = TimeDelta::minutes(2);

/// Finds work whose job was lost (the process died between committing the work and
/// enqueuing its job, or the store lost the job) and enqueues it again. Every job it
/// enqueues is safe to run twice. Returns how many jobs it enqueued.
pub async fn sweep(deps: &Deps) -> Result<usize> {
    let cutoff = deps.clock.now() - LOST_AFTER;
    let mut enqueued = run_due_schedules(deps).await?;
    enqueued += deps.registry.run_sweeps(deps).await?;
    let stale_jobs = job_runs::Entity::find()
        .filter(job_runs::Column::Status.eq(Status::Queued.key()))
        .filter(job_runs::Column::RunAt.lt(cutoff))
        .all(&deps.db)
        .await?;
    for job in stale_jobs {
        deps.jobs.requeue(job.id, &job.kind, Duration::ZERO).await?;
        enqueued += 1;
    }
    if enqueued > 0 {
        tracing::warn!(enqueued, "re-enqueued work whose job was lost");
    }
    Ok(enqueued)
}

#[derive(Clone, Debug)]
pub struct JobRun {
    pub id: Uuid,
    pub kind: String,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<job_runs::Model> for JobRun {
    type Error = Error;

    fn try_from(m: job_runs::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            kind: m.kind,
            status: Status::from_stored(&m.status)?,
            attempts: m.attempts,
            last_error: m.last_error,
            run_at: m.run_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            created_at: m.created_at,
        })
    }
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    kind: Option<String>,
    status: Option<Status>,
    page: &PageRequest,
) -> Result<Page<JobRun>> {
    ctx.require(Permission::JobsAdmin)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<job_runs::Entity>();
    if let Some(kind) = kind {
        select = select.filter(job_runs::Column::Kind.eq(kind));
    }
    if let Some(status) = status {
        select = select.filter(job_runs::Column::Status.eq(status.key()));
    }
    let page = paginate(
        &*tx,
        select,
        job_runs::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(JobRun::try_from)
}

/// Runs a failed or cancelled job again, now.
pub async fn retry(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<JobRun> {
    ctx.require(Permission::JobsAdmin)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let row = tx.get::<job_runs::Entity>(id, "job").await?;
    let status = Status::from_stored(&row.status)?;
    if !matches!(status, Status::Failed | Status::Cancelled) {
        return Err(Error::conflict(
            "id",
            format!("the job is {status}; only failed or cancelled jobs can be retried"),
        ));
    }
    let now = deps.clock.now();
    let kind = row.kind.clone();
    let mut model: job_runs::ActiveModel = row.into();
    model.status = Set(Status::Queued.key().to_owned());
    model.run_at = Set(now);
    model.finished_at = Set(None);
    let row = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "jobs.job.retried",
        ("job", Some(id)),
        serde_json::json!({ "kind": kind }),
    )
    .await?;
    tx.commit().await?;
    deps.jobs.requeue(id, &kind, Duration::ZERO).await?;
    row.try_into()
}

/// Cancels a job that has not started; a running job cannot be stopped.
pub async fn cancel(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<JobRun> {
    ctx.require(Permission::JobsAdmin)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let row = tx.get::<job_runs::Entity>(id, "job").await?;
    let status = Status::from_stored(&row.status)?;
    if status != Status::Queued {
        return Err(Error::conflict(
            "id",
            format!("the job is {status}; only queued jobs can be cancelled"),
        ));
    }
    let now = deps.clock.now();
    let kind = row.kind.clone();
    let mut model: job_runs::ActiveModel = row.into();
    model.status = Set(Status::Cancelled.key().to_owned());
    model.finished_at = Set(Some(now));
    let row = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "jobs.job.cancelled",
        ("job", Some(id)),
        serde_json::json!({ "kind": kind }),
    )
    .await?;
    tx.commit().await?;
    row.try_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_fourfold_and_stays_bounded() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(40));
        assert_eq!(backoff(3), Duration::from_secs(160));
        assert!(backoff(100) <= Duration::from_secs(10 * 4u64.pow(8)));
    }
}

/// The daily maintenance runs at 06:00 UTC, after midnight across Mexico.
const DAILY_AT_HOUR: u32 = 6;

fn next_daily_run(after: DateTime<Utc>) -> DateTime<Utc> {
    let today = after
        .date_naive()
        .and_hms_opt(DAILY_AT_HOUR, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(after);
    if today > after {
        today
    } else {
        today + TimeDelta::days(1)
    }
}

/// Enqueues each recurring job that is due. A schedule is claimed by moving its next run
/// forward in one conditional update, so of several processes sweeping at once exactly one
/// enqueues it. A schedule seen for the first time is due at once.
async fn run_due_schedules(deps: &Deps) -> Result<usize> {
    use tianguis_entity::jobs::schedules;
    let now = deps.clock.now();
    let mut enqueued = 0;
    for (name, job) in [("daily_maintenance", Job::new(DailyMaintenance))] {
        schedules::Entity::insert(schedules::ActiveModel {
            name: Set(name.to_owned()),
            next_run_at: Set(now),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(schedules::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&deps.db)
        .await?;
        let claimed = schedules::Entity::update_many()
            .col_expr(
                schedules::Column::NextRunAt,
                Expr::value(next_daily_run(now)),
            )
            .filter(schedules::Column::Name.eq(name))
            .filter(schedules::Column::NextRunAt.lte(now))
            .exec(&deps.db)
            .await?
            .rows_affected;
        if claimed == 1 {
            deps.jobs.enqueue(job, Duration::ZERO).await?;
            enqueued += 1;
        }
    }
    Ok(enqueued)
}

/// Daily upkeep across tenants: each context's daily tasks (expire overdue proposals,
/// remind overdue installments, rescore leads as time passes, drop old telemetry).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DailyMaintenance;

/// Sweeps whole tenants: one at a time is enough and spares the database.
pub const MAINTENANCE: Queue = Queue::new("maintenance", 1);

impl JobKind for DailyMaintenance {
    const NAME: &'static str = "DailyMaintenance";
    const QUEUE: Queue = MAINTENANCE;
    fn tenant_id(&self) -> Option<Uuid> {
        None
    }
}

/// Does nothing: measures the pool's own cost (ledger and store round trips).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Noop;

impl JobKind for Noop {
    const NAME: &'static str = "Noop";
    const QUEUE: Queue = Queue::new("noop", 8);
    fn tenant_id(&self) -> Option<Uuid> {
        None
    }
}

/// The kernel's own job kinds and sweeps.
pub fn register(registry: &mut crate::Registry) {
    registry.job(|deps, DailyMaintenance| async move { deps.registry.run_daily(&deps).await });
    registry.job(|_, Noop| async { Ok(()) });
    registry.job(|deps, job: crate::email::SendEmail| async move {
        crate::email::send(&deps, job.email_id).await
    });
    registry.sweep("email.unsent", |deps| async move {
        crate::email::enqueue_unsent(&deps, deps.clock.now() - LOST_AFTER).await
    });
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    #[test]
    fn daily_runs_fall_at_six_utc() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            next_daily_run(at("2026-11-22T05:00:00Z")),
            at("2026-11-22T06:00:00Z")
        );
        assert_eq!(
            next_daily_run(at("2026-11-22T06:00:00Z")),
            at("2026-11-23T06:00:00Z")
        );
        assert_eq!(
            next_daily_run(at("2026-11-22T23:00:00Z")),
            at("2026-11-23T06:00:00Z")
        );
    }
}
