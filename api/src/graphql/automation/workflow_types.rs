//! Workflows, their runs and step logs as GraphQL objects.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tianguis_domain::automation::workflows::{self, runs, testing};

use crate::graphql::crm::{Contact, Lead};
use crate::graphql::loaders::{ContactLoader, LeadLoader, WorkflowRunStepsLoader, load, load_opt};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "workflows::TriggerKind")]
pub enum WorkflowTriggerKind {
    Event,
    Schedule,
    Webhook,
}

pub struct Workflow(pub workflows::Workflow);

#[Object]
impl Workflow {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Grows by one with each saved change; a run keeps the version it started with.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn trigger_kind(&self) -> WorkflowTriggerKind {
        self.0.definition.trigger.kind().into()
    }
    /// For event triggers.
    async fn event_type(&self) -> Option<&str> {
        match &self.0.definition.trigger {
            workflows::Trigger::Event(event) => Some(&event.event_type),
            _ => None,
        }
    }
    /// For schedules: when the next run starts.
    async fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_run_at
    }
    /// The definition, in the shape of `WorkflowDefinitionInput`: it can be sent back as is.
    async fn definition(&self) -> async_graphql::Result<Json<serde_json::Value>> {
        Ok(Json(serde_json::to_value(&self.0.definition)?))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct WorkflowPayload {
    pub workflow: Workflow,
    /// For webhook triggers, when the secret URL was just made: shown only here.
    pub webhook_url: Option<String>,
}

impl From<workflows::Saved> for WorkflowPayload {
    fn from(saved: workflows::Saved) -> Self {
        Self {
            workflow: Workflow(saved.workflow),
            webhook_url: saved.webhook_url,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "runs::RunStatus")]
pub enum WorkflowRunStatus {
    /// Waiting for a worker, or for room under the plan's runs at once.
    Pending,
    Running,
    /// Asleep until its wait is over.
    Waiting,
    Succeeded,
    /// A step failed; retrying runs that step again.
    Failed,
    Cancelled,
    /// Not run: a loop of workflows, or past the plan's runs for the month (see `error`).
    Stopped,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "runs::StepStatus")]
pub enum WorkflowStepStatus {
    Succeeded,
    Failed,
}

pub struct WorkflowRun(pub runs::Run);

#[Object]
impl WorkflowRun {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn workflow_id(&self) -> ID {
        self.0.workflow_id.into()
    }
    /// The workflow's version the run follows.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> WorkflowRunStatus {
        self.0.status.into()
    }
    /// What started it: `{id, type, subject, time, data}`.
    async fn trigger(&self) -> Json<&serde_json::Value> {
        Json(&self.0.trigger)
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
    }
    /// How many workflow runs led to the event that started this one.
    async fn depth(&self) -> i32 {
        self.0.depth
    }
    async fn wake_at(&self) -> Option<DateTime<Utc>> {
        self.0.wake_at
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The step log, in the order the steps ran.
    async fn steps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WorkflowRunStep>> {
        Ok(load::<WorkflowRunStepsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(WorkflowRunStep)
            .collect())
    }
}

pub struct WorkflowRunStep(pub runs::RunStep);

#[Object]
impl WorkflowRunStep {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Where the step sits in the definition: `2`, `3.then.0`.
    async fn path(&self) -> &str {
        &self.0.path
    }
    /// The step's name in `WorkflowStepInput`, or `branch`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn status(&self) -> WorkflowStepStatus {
        self.0.status.into()
    }
    async fn input(&self) -> Json<&serde_json::Value> {
        Json(&self.0.input)
    }
    async fn output(&self) -> Json<&serde_json::Value> {
        Json(&self.0.output)
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct WorkflowTest {
    /// Whether the trigger's filter and the conditions hold for the sample.
    pub starts: bool,
    pub steps: Vec<WorkflowTestStep>,
}

#[derive(SimpleObject)]
pub struct WorkflowTestStep {
    pub path: String,
    pub kind: String,
    /// What the step would do, in words.
    pub would: String,
    pub input: Json<serde_json::Value>,
}

impl From<testing::TestOutcome> for WorkflowTest {
    fn from(outcome: testing::TestOutcome) -> Self {
        Self {
            starts: outcome.starts,
            steps: outcome
                .steps
                .into_iter()
                .map(|s| WorkflowTestStep {
                    path: s.path,
                    kind: s.kind.to_owned(),
                    would: s.would,
                    input: Json(s.input),
                })
                .collect(),
        }
    }
}
