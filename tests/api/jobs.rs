//! The worker pool: a job whose worker dies mid-run is run again by another worker.

use crate::fixtures::automation::{create_role, webhook_endpoint};
use crate::helpers::eventually;
use crate::helpers::*;
use crate::webhook_receiver::Receiver;
use serde_json::json;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use tianguis::config::JobStoreKind;

/// A `tianguis worker` process on the test app's database and job store.
fn spawn_worker(app: &TestApp, dir: &std::path::Path) -> tokio::process::Child {
    app.command(dir)
        .arg("worker")
        .env("TIANGUIS_JOB_HEARTBEAT_SECS", "1")
        .env("TIANGUIS_WEBHOOKS_ALLOW_PRIVATE", "true")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker process starts")
}

async fn killed_job_runs_again(store: JobStoreKind) {
    let app = TestApp::spawn_with(|c| {
        c.in_process_workers = false;
        c.job_store = store;
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    receiver.hang.store(true, Ordering::SeqCst);
    webhook_endpoint(&app, &owner, &receiver.url, json!(["tenancy.role.created"])).await;

    let mut doomed = spawn_worker(&app, dir.path());
    create_role(&app, &owner).await;
    // The delivery is under way in the first worker: kill it there, without warning.
    let first = receiver.next().await;
    doomed.kill().await.expect("killed");
    receiver.hang.store(false, Ordering::SeqCst);

    let _survivor = spawn_worker(&app, dir.path());
    eprintln!("killed a worker mid-delivery on the {store:?} store");
    let again = receiver.next().await;
    assert_eq!(
        again.event_id, first.event_id,
        "the interrupted job ran again"
    );
    let query = "{ webhookDeliveries { edges { node { eventId status } } } }";
    let done = eventually(&app, &owner, query, |s| {
        s["webhookDeliveries"]["edges"][0]["node"]["status"] == "SUCCEEDED"
    })
    .await;
    assert_eq!(
        done["webhookDeliveries"]["edges"][0]["node"]["eventId"],
        json!(first.event_id)
    );
}

/// Runs on PostgreSQL (database job store) and on Redis; SQLite is one process's database.
#[tokio::test]
async fn a_job_whose_worker_is_killed_runs_again_on_another_worker() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("needs PostgreSQL (TEST_DATABASE_URL): a second process shares the job store");
        return;
    }
    killed_job_runs_again(JobStoreKind::Database).await;
    if std::env::var("TEST_REDIS_URL").is_ok() {
        killed_job_runs_again(JobStoreKind::Redis).await;
    }
}

const JOBS: &str = "query($kind: String, $status: JobStatus) { jobs(kind: $kind, status: $status) {
    totalCount edges { node { id kind status attempts lastError runAt } } } }";

#[tokio::test]
async fn a_business_sees_and_manages_only_its_own_jobs() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    webhook_endpoint(&app, &owner, &receiver.url, json!(["tenancy.role.created"])).await;
    create_role(&app, &owner).await;
    receiver.next().await;
    let done = eventually(
        &app,
        &owner,
        "{ jobs(kind: \"deliver_webhook\") { edges { node { id status attempts } } } }",
        |s| s["jobs"]["edges"][0]["node"]["status"] == "SUCCEEDED",
    )
    .await;
    let job = &done["jobs"]["edges"][0]["node"];
    assert_eq!(job["attempts"], 1);
    let job_id = job["id"].clone();

    let other = app.sign_up().await;
    let theirs = app
        .ok(
            Some(&other.access_token),
            JOBS,
            json!({ "kind": "deliver_webhook" }),
        )
        .await;
    assert_eq!(theirs["jobs"]["totalCount"], 0);
    for mutation in ["retryJob", "cancelJob"] {
        let body = app
            .gql(
                Some(&other.access_token),
                &format!("mutation($id: ID!) {{ {mutation}(input: {{ id: $id }}) {{ id }} }}"),
                json!({ "id": job_id }),
            )
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{mutation}: {body}");
    }
    let finished = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { cancelJob(input: { id: $id }) { id } }",
            json!({ "id": job_id }),
        )
        .await;
    assert_eq!(
        error_code(&finished),
        "CONFLICT",
        "a finished job cannot be cancelled"
    );
    let viewer = app.join_as(&owner, "viewer").await;
    let denied = app.gql(Some(&viewer.access_token), JOBS, json!({})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
}

#[tokio::test]
async fn a_queued_job_can_be_cancelled_and_then_retried() {
    let app =
        TestApp::spawn_with(|c| c.webhooks.retry_base = std::time::Duration::from_secs(3600)).await;
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    webhook_endpoint(&app, &owner, &receiver.url, json!(["tenancy.role.created"])).await;
    create_role(&app, &owner).await;
    let first = receiver.next().await;
    // The failed attempt scheduled the next one an hour out.
    let queued = eventually(
        &app,
        &owner,
        "{ jobs(kind: \"deliver_webhook\", status: QUEUED) { edges { node { id } } } }",
        |s| s["jobs"]["edges"].as_array().is_some_and(|e| !e.is_empty()),
    )
    .await;
    let id = queued["jobs"]["edges"][0]["node"]["id"].clone();
    let cancelled = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { cancelJob(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancelled["cancelJob"]["status"], "CANCELLED");

    let retried = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { retryJob(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(retried["retryJob"]["status"], "QUEUED");
    let again = receiver.next().await;
    assert_eq!(
        again.event_id, first.event_id,
        "the retried job made the delivery attempt"
    );
}
