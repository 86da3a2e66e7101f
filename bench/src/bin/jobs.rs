//! Worker-pool throughput on the configured job store.
//!
//!   cargo run --release -p tianguis-bench --bin jobs -- noop 20000
//!   cargo run --release -p tianguis-bench --bin jobs -- email 5000
//!
//! The store follows the application's settings: SQLite by default, PostgreSQL with
//! DATABASE_URL, Redis with REDIS_URL (TIANGUIS_JOB_STORE chooses when both are set).
//! Jobs are enqueued first with no worker running, then the pool is started and the time
//! until the last one is done is measured, so the two rates are reported apart.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use sea_orm::{ConnectionTrait, Statement};
use tianguis::{Components, Config};
use tianguis_bench::SmtpSink;
use tianguis_domain::email::{Branding, NewEmail, queue};
use tianguis_domain::jobs::Noop;
use tianguis_domain::ports::{Job, SystemClock};

/// Enqueues in flight at once.
const ENQUEUE_CONCURRENCY: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let scenario = args.get(1).map_or("noop", String::as_str).to_owned();
    let count: usize = args.get(2).map_or(Ok(10_000), |n| n.parse())?;
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").map_or(Ok(64), |n| n.parse())?;

    let mut config = Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    config.job_namespace = format!("bench-{}", uuid::Uuid::new_v4().simple());
    for queue in ["noop", "send_email"] {
        config
            .workers
            .concurrency
            .insert(queue.to_owned(), concurrency);
    }
    let sink = SmtpSink::start(16)?;
    config.smtp_url = Some(tianguis::config::Secret::new(sink.url.clone()));
    let components = Components::build(&config, Arc::new(SystemClock)).await?;
    let deps = components.state.deps.clone();
    let started = chrono::Utc::now();

    let enqueue_start = Instant::now();
    let jobs: Vec<Job> = match scenario.as_str() {
        "noop" => (0..count).map(|_| Job::new(Noop)).collect(),
        "email" => {
            let mut jobs = Vec::with_capacity(count);
            for i in 0..count {
                let to = format!("customer{i}@example.mx");
                jobs.push(
                    queue(
                        &deps.db,
                        NewEmail {
                            at: chrono::Utc::now(),
                            tenant_id: None,
                            to: &to,
                            locale: "es-MX",
                            branding: &Branding::tianguis(),
                            template: &tianguis_domain::tenancy::emails::VerifyEmail {
                                name: "Cliente",
                                link: "https://app.example/v?token=x",
                            },
                        },
                    )
                    .await?,
                );
            }
            jobs
        }
        other => anyhow::bail!("unknown scenario {other}: noop or email"),
    };
    let results: Vec<anyhow::Result<()>> = stream::iter(jobs)
        .map(|job| deps.jobs.enqueue(job, Duration::ZERO))
        .buffer_unordered(ENQUEUE_CONCURRENCY)
        .collect()
        .await;
    for result in results {
        result?;
    }
    let enqueue_secs = enqueue_start.elapsed().as_secs_f64();

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let run_start = Instant::now();
    let background = tokio::spawn(async move { components.run_background(stop_rx).await });
    let done_sql = format!(
        "SELECT count(*) AS n FROM job_runs WHERE kind = '{}' AND status = 'succeeded' AND created_at >= '{}'",
        if scenario == "noop" {
            "noop"
        } else {
            "send_email"
        },
        started.format("%Y-%m-%d %H:%M:%S%.6f+00:00"),
    );
    loop {
        let done = if scenario == "email" {
            sink.received.load(Ordering::Relaxed)
        } else {
            let row = deps
                .db
                .query_one_raw(Statement::from_string(
                    deps.db.get_database_backend(),
                    done_sql.clone(),
                ))
                .await?
                .ok_or_else(|| anyhow::anyhow!("no count"))?;
            row.try_get::<i64>("", "n")? as usize
        };
        if done >= count {
            break;
        }
        if run_start.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("only {done} of {count} done after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run_secs = run_start.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    background.await??;

    let store = tianguis_bench::job_store_name(&config);
    println!(
        "scenario={scenario} store={store} count={count} concurrency={concurrency} \
         enqueue={:.0}/s processed={:.0}/s ({run_secs:.2} s)",
        count as f64 / enqueue_secs,
        count as f64 / run_secs,
    );
    Ok(())
}
