//! GraphQL of the background jobs a business's work produced: list, retry, cancel.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tianguis_domain::jobs;

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "jobs::Status")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    /// Gave up after its attempts; kept with its last error, and retryable.
    Failed,
    Cancelled,
}

#[derive(SimpleObject)]
pub struct Job {
    pub id: ID,
    /// `deliver_webhook`, `send_email`, …
    pub kind: String,
    pub status: JobStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When it runs (or ran) next.
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<jobs::JobRun> for Job {
    fn from(j: jobs::JobRun) -> Self {
        Self {
            id: j.id.into(),
            kind: j.kind,
            status: j.status.into(),
            attempts: j.attempts,
            last_error: j.last_error,
            run_at: j.run_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            created_at: j.created_at,
        }
    }
}

#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// The business's background jobs, newest first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        kind: Option<String>,
        status: Option<JobStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Job>> {
        let page = page_request(first, after, last, before)?;
        let status = status.map(Into::into);
        let page = jobs::list(deps(ctx)?, tenant(ctx)?, kind, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |j| j.id, Job::from))
    }
}

#[derive(InputObject)]
pub struct JobIdInput {
    pub id: ID,
}

#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Runs a failed or cancelled job again, now.
    async fn retry_job(&self, ctx: &Context<'_>, input: JobIdInput) -> async_graphql::Result<Job> {
        let id = parse_id(&input.id, "id")?;
        Ok(jobs::retry(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Cancels a job that has not started yet.
    async fn cancel_job(&self, ctx: &Context<'_>, input: JobIdInput) -> async_graphql::Result<Job> {
        let id = parse_id(&input.id, "id")?;
        Ok(jobs::cancel(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }
}
