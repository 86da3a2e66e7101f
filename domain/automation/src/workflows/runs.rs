//! Runs: started once per triggering event (a domain event, a schedule's tick, a call to
//! the webhook URL), advanced one step per transaction by the `AdvanceWorkflowRun` job,
//! each step logged. A wait is a queued job due at its time, so it outlives the process.

use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tianguis_entity::automation::{
    workflow_run_steps, workflow_runs, workflow_versions, workflows,
};
use tianguis_entity::crm::{contacts, leads};
use tianguis_entity::tenancy::tenants;
use uuid::Uuid;

use super::definition::{Definition, Instruction, Step, Trigger, compile};
use super::{TriggerKind, document, steps, stored_definition};
use crate::db::{TenantTx, Touched, stamped};
use crate::events::{DomainEvent, EventConsumer};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::plans::{self, Plan};
use crate::ports::Job;
use crate::registry::{JobKind, Queue};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, secrets};

tianguis_kernel::stored_enum! {
    pub enum RunStatus {
        /// Started, waiting for a worker (or for room under the plan's concurrent runs).
        Pending = "pending",
        Running = "running",
        /// Asleep until its wait is over.
        Waiting = "waiting",
        Succeeded = "succeeded",
        /// A step failed; retrying runs that step again.
        Failed = "failed",
        Cancelled = "cancelled",
        /// Not run: it was started by a chain of workflow runs longer than the loop guard
        /// allows, or past the plan's runs for the month.
        Stopped = "stopped",
    }
}

tianguis_kernel::stored_enum! {
    pub enum StepStatus {
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

/// A workflow's steps may start other workflows (a step moves a lead, which triggers
/// another), but a chain of more runs than this is stopped: it is a loop.
pub const MAX_DEPTH: i32 = 5;

/// Runs a plan includes each calendar month.
pub const RUNS_PER_MONTH: plans::Resource = plans::Resource {
    noun: "workflow runs a month",
    free: 1_000,
    pro: 100_000,
    count: |tx| Box::pin(async move { runs_this_month(&**tx, tx.tenant_id(), tx.now()).await }),
};

/// Runs a plan lets go on at once; more wait their turn.
pub const CONCURRENT_RUNS: plans::Resource = plans::Resource {
    noun: "workflow runs at once",
    free: 5,
    pro: 50,
    count: |tx| {
        Box::pin(async move {
            Ok(tx
                .select::<workflow_runs::Entity>()
                .filter(workflow_runs::Column::Status.eq(RunStatus::Running.key()))
                .count(&**tx)
                .await?)
        })
    },
};

/// How long a run waits for room under the plan's concurrent runs before trying again.
const NO_ROOM_RETRY: Duration = Duration::from_secs(5);

async fn runs_this_month<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    Ok(workflow_runs::Entity::find()
        .filter(workflow_runs::Column::TenantId.eq(tenant_id))
        .filter(workflow_runs::Column::CreatedAt.gte(month))
        .count(conn)
        .await?)
}

/// Takes a run as far as it can go now.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdvanceRun {
    pub tenant_id: Uuid,
    pub run_id: Uuid,
}

impl JobKind for AdvanceRun {
    const NAME: &'static str = "AdvanceWorkflowRun";
    const QUEUE: Queue = Queue::new("workflows", 8);
    fn tenant_id(&self) -> Option<Uuid> {
        Some(self.tenant_id)
    }
}

#[derive(Clone, Debug)]
pub struct Run {
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub version: i32,
    pub trigger: Value,
    pub contact_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub status: RunStatus,
    pub depth: i32,
    pub wake_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<workflow_runs::Model> for Run {
    type Error = Error;

    fn try_from(m: workflow_runs::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            workflow_id: m.workflow_id,
            version: m.version,
            trigger: m.trigger,
            contact_id: m.contact_id,
            lead_id: m.lead_id,
            status: RunStatus::from_stored(&m.status)?,
            depth: m.depth,
            wake_at: m.wake_at,
            error: m.error,
            created_at: m.created_at,
            finished_at: m.finished_at,
        })
    }
}

#[derive(Clone, Debug)]
pub struct RunStep {
    pub id: Uuid,
    pub run_id: Uuid,
    pub path: String,
    pub kind: String,
    pub status: StepStatus,
    pub input: Value,
    pub output: Value,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<workflow_run_steps::Model> for RunStep {
    type Error = Error;

    fn try_from(m: workflow_run_steps::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            run_id: m.run_id,
            path: m.path,
            kind: m.kind,
            status: StepStatus::from_stored(&m.status)?,
            input: m.input,
            output: m.output,
            error: m.error,
            duration_ms: m.duration_ms,
            created_at: m.created_at,
        })
    }
}

/// The event as a run's document holds it.
pub(crate) fn trigger_of(event: &DomainEvent) -> Value {
    json!({
        "id": event.id,
        "type": event.event_type,
        "subject": event.subject,
        "time": event.time,
        "data": event.data,
    })
}

/// The contact and lead an event is about: its subject, else the ids its data carries.
pub(crate) fn subjects_of(subject: Option<&str>, data: &Value) -> (Option<Uuid>, Option<Uuid>) {
    let named = |kind: &str| {
        subject
            .and_then(|s| s.strip_prefix(kind))
            .and_then(|id| id.parse::<Uuid>().ok())
    };
    let carried = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
    };
    (
        named("contact/").or_else(|| carried("contactId")),
        named("lead/").or_else(|| carried("leadId")),
    )
}

/// The run's document: the trigger, and the contact and lead as they are now. A lead's
/// contact stands in when the trigger named only the lead.
pub(crate) async fn document_for<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    trigger: &Value,
    contact_id: Option<Uuid>,
    lead_id: Option<Uuid>,
) -> Result<(Value, Option<Uuid>, Option<Uuid>)> {
    let lead = match lead_id {
        Some(id) => {
            leads::Entity::find_by_id(id)
                .filter(leads::Column::TenantId.eq(tenant_id))
                .one(conn)
                .await?
        }
        None => None,
    };
    let contact_id = contact_id.or(lead.as_ref().and_then(|l| l.contact_id));
    let contact = match contact_id {
        Some(id) => {
            contacts::Entity::find_by_id(id)
                .filter(contacts::Column::TenantId.eq(tenant_id))
                .one(conn)
                .await?
        }
        None => None,
    };
    let document = json!({
        "event": trigger,
        "contact": contact.as_ref().map(|c| json!({
            "id": c.id,
            "firstName": c.first_name,
            "lastName": c.last_name,
            "name": format!("{} {}", c.first_name, c.last_name).trim(),
            "email": c.email,
            "phone": c.phone,
            "city": c.city,
            "rfc": c.rfc,
            "companyId": c.company_id,
            "ownerId": c.owner_id,
            "tags": c.tags,
            "customFields": c.custom_fields,
            "isCustomer": c.is_customer,
        })),
        "lead": lead.as_ref().map(|l| json!({
            "id": l.id,
            "title": l.title,
            "status": l.status,
            "source": l.source,
            "stageId": l.stage_id,
            "pipelineId": l.pipeline_id,
            "ownerId": l.owner_id,
            "value": tianguis_kernel::money::Money::new(l.value_minor, &l.currency).amount().to_string(),
            "currency": l.currency,
            "score": l.score,
            "tags": l.tags,
            "customFields": l.custom_fields,
        })),
    });
    Ok((document, contact.map(|c| c.id), lead.map(|l| l.id)))
}

/// What starts a run.
pub(crate) struct Start<'a> {
    pub workflow: &'a workflows::Model,
    pub trigger_key: String,
    pub trigger: Value,
    pub contact_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub depth: i32,
}

/// Records a run unless its trigger already started one. Returns the new run's id and the
/// job that advances it (none for a run stopped before it began).
pub(crate) async fn start(
    conn: &DatabaseTransaction,
    plan: Plan,
    runs_this_month: &mut u64,
    start: Start<'_>,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, Option<Job>)>> {
    let over_plan = plan
        .limit(&RUNS_PER_MONTH)
        .is_some_and(|limit| *runs_this_month >= limit);
    let (status, error) = if start.depth > MAX_DEPTH {
        (
            RunStatus::Stopped,
            Some(format!(
                "stopped by the loop guard: started by a chain of {} workflow runs, and at most {MAX_DEPTH} may follow one another",
                start.depth
            )),
        )
    } else if over_plan {
        (
            RunStatus::Stopped,
            Some(format!(
                "PLAN_LIMIT: the {} plan includes {} {}",
                plan.key(),
                plan.limit(&RUNS_PER_MONTH).unwrap_or_default(),
                RUNS_PER_MONTH.noun
            )),
        )
    } else {
        (RunStatus::Pending, None)
    };
    let id = Uuid::now_v7();
    let inserted = workflow_runs::Entity::insert(stamped(
        now,
        workflow_runs::ActiveModel {
            id: Set(id),
            tenant_id: Set(start.workflow.tenant_id),
            workflow_id: Set(start.workflow.id),
            version: Set(start.workflow.version),
            trigger_key: Set(start.trigger_key),
            trigger: Set(start.trigger),
            contact_id: Set(start.contact_id),
            lead_id: Set(start.lead_id),
            status: Set(status.key().to_owned()),
            depth: Set(start.depth),
            position: Set(0),
            wake_at: Set(None),
            finished_at: Set((status != RunStatus::Pending).then_some(now)),
            error: Set(error),
            ..Default::default()
        },
    ))
    .on_conflict(
        OnConflict::columns([
            workflow_runs::Column::TenantId,
            workflow_runs::Column::WorkflowId,
            workflow_runs::Column::TriggerKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    *runs_this_month += 1;
    let job = (status == RunStatus::Pending).then(|| {
        Job::new(AdvanceRun {
            tenant_id: start.workflow.tenant_id,
            run_id: id,
        })
    });
    Ok(Some((id, job)))
}

async fn plan_of<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> Result<Plan> {
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("business"))?;
    Plan::from_stored(&tenant.plan)
}

/// Starts the business's enabled workflows whose trigger is this event and whose
/// conditions hold, once per event.
pub struct WorkflowTrigger;

#[async_trait::async_trait]
impl EventConsumer for WorkflowTrigger {
    fn name(&self) -> &'static str {
        "workflows"
    }

    async fn consume(
        &self,
        tx: &DatabaseTransaction,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>> {
        let candidates = workflows::Entity::find()
            .filter(workflows::Column::TenantId.eq(event.tenant_id))
            .filter(workflows::Column::EventType.eq(event.event_type.as_str()))
            .filter(workflows::Column::Enabled.eq(true))
            .all(tx)
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let trigger = trigger_of(event);
        let (contact_id, lead_id) = subjects_of(event.subject.as_deref(), &event.data);
        let (document, contact_id, lead_id) =
            document_for(tx, event.tenant_id, &trigger, contact_id, lead_id).await?;
        let depth = match event.caused_by_run {
            Some(parent) => workflow_runs::Entity::find_by_id(parent)
                .filter(workflow_runs::Column::TenantId.eq(event.tenant_id))
                .one(tx)
                .await?
                .map_or(0, |run| run.depth + 1),
            None => 0,
        };
        let plan = plan_of(tx, event.tenant_id).await?;
        let mut this_month = runs_this_month(tx, event.tenant_id, now).await?;
        let mut jobs = Vec::new();
        for workflow in &candidates {
            let definition = stored_definition(workflow.definition.clone())?;
            if !starts(&definition, &document) {
                continue;
            }
            let started = start(
                tx,
                plan,
                &mut this_month,
                Start {
                    workflow,
                    trigger_key: format!("event:{}", event.id),
                    trigger: trigger.clone(),
                    contact_id,
                    lead_id,
                    depth,
                },
                now,
            )
            .await?;
            jobs.extend(started.and_then(|(_, job)| job));
        }
        Ok(jobs)
    }
}

/// Whether the trigger's filter and the workflow's conditions hold over the document.
pub(crate) fn starts(definition: &Definition, document: &Value) -> bool {
    let filter = match &definition.trigger {
        Trigger::Event(event) => event.filter.as_ref(),
        _ => None,
    };
    filter.is_none_or(|f| document::holds(f, document))
        && definition
            .conditions
            .as_ref()
            .is_none_or(|c| document::holds(c, document))
}

/// Starts the schedules that are due, each once: a schedule is claimed by moving its next
/// run forward in a conditional update.
pub async fn start_due_schedules(deps: &Deps) -> Result<usize> {
    let now = deps.clock.now();
    let due = workflows::Entity::find()
        .filter(workflows::Column::TriggerKind.eq(TriggerKind::Schedule.key()))
        .filter(workflows::Column::Enabled.eq(true))
        .filter(workflows::Column::NextRunAt.lte(now))
        .all(&deps.db)
        .await?;
    let mut started = 0;
    for workflow in due {
        let Some(due_at) = workflow.next_run_at else {
            continue;
        };
        let mut tx = TenantTx::begin(deps, workflow.tenant_id).await?;
        let definition = stored_definition(workflow.definition.clone())?;
        let next = super::next_run(&tx, &definition, now).await?;
        let claimed = workflows::Entity::update_many()
            .col_expr(workflows::Column::NextRunAt, Expr::value(next))
            .touched(now)
            .filter(workflows::Column::Id.eq(workflow.id))
            .filter(workflows::Column::NextRunAt.eq(due_at))
            .exec(&*tx)
            .await?
            .rows_affected;
        if claimed == 0 {
            continue;
        }
        let plan = plan_of(&*tx, workflow.tenant_id).await?;
        let mut this_month = runs_this_month(&*tx, workflow.tenant_id, now).await?;
        let trigger = json!({
            "type": "automation.schedule.due",
            "time": due_at,
            "data": { "scheduledFor": due_at },
        });
        let run = start(
            &tx,
            plan,
            &mut this_month,
            Start {
                workflow: &workflow,
                trigger_key: format!("schedule:{}", due_at.timestamp()),
                trigger,
                contact_id: None,
                lead_id: None,
                depth: 0,
            },
            now,
        )
        .await?;
        if let Some((_, Some(job))) = run {
            tx.enqueue_after_commit(job).await?;
            started += 1;
        }
        tx.commit().await?;
    }
    Ok(started)
}

/// A call to a workflow's webhook URL (`{tenant}.{workflow}.{secret}`): starts a run with
/// the JSON body as the event's data, once per idempotency key. Returns the run and
/// whether this call started it. An unknown, disabled or wrongly signed URL is NOT_FOUND.
pub async fn receive_webhook(
    deps: &Deps,
    token: &str,
    idempotency_key: Option<&str>,
    body: Value,
) -> Result<(Uuid, bool)> {
    let mut parts = token.splitn(3, '.');
    let (Some(tenant), Some(workflow), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::NotFound("workflow"));
    };
    let (Ok(tenant_id), Ok(workflow_id)) = (tenant.parse::<Uuid>(), workflow.parse::<Uuid>())
    else {
        return Err(Error::NotFound("workflow"));
    };
    if idempotency_key.is_some_and(|k| k.is_empty() || k.len() > 200) {
        return Err(Error::invalid("Idempotency-Key", "1 to 200 characters"));
    }
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let workflow = tx.get::<workflows::Entity>(workflow_id, "workflow").await?;
    let signed = workflow
        .webhook_token_hash
        .as_deref()
        .is_some_and(|hash| secrets::constant_time_eq(hash, &secrets::sha256_hex(secret)));
    if !signed || !workflow.enabled || workflow.trigger_kind != TriggerKind::Webhook.key() {
        return Err(Error::NotFound("workflow"));
    }
    let now = tx.now();
    let call_id = Uuid::now_v7();
    let key = format!(
        "webhook:{}",
        idempotency_key.map_or_else(|| call_id.to_string(), str::to_owned)
    );
    let trigger = json!({
        "id": call_id,
        "type": "automation.webhook.received",
        "time": now,
        "data": body,
    });
    let (contact_id, lead_id) = subjects_of(None, &trigger["data"]);
    let (_, contact_id, lead_id) =
        document_for(&*tx, tenant_id, &trigger, contact_id, lead_id).await?;
    let plan = plan_of(&*tx, tenant_id).await?;
    let mut this_month = runs_this_month(&*tx, tenant_id, now).await?;
    let started = start(
        &tx,
        plan,
        &mut this_month,
        Start {
            workflow: &workflow,
            trigger_key: key.clone(),
            trigger,
            contact_id,
            lead_id,
            depth: 0,
        },
        now,
    )
    .await?;
    let outcome = match started {
        Some((id, job)) => {
            if let Some(job) = job {
                tx.enqueue_after_commit(job).await?;
            }
            (id, true)
        }
        None => {
            let existing = tx
                .select::<workflow_runs::Entity>()
                .filter(workflow_runs::Column::WorkflowId.eq(workflow_id))
                .filter(workflow_runs::Column::TriggerKey.eq(key))
                .one(&*tx)
                .await?
                .ok_or(Error::NotFound("workflow run"))?;
            (existing.id, false)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Where a run stands after one transaction.
enum Progress {
    /// Go on with the next step.
    Next,
    /// Nothing more to do now: finished, failed, waiting, or another worker has it.
    Stop,
}

/// The AdvanceWorkflowRun job: runs steps until the run ends, waits or fails. Each step is
/// one transaction with its log entry and the run's new position, so a step whose
/// transaction committed is never done again, and one that did not is done once more.
pub async fn advance(deps: &Deps, tenant_id: Uuid, run_id: Uuid) -> Result<()> {
    let definition = {
        let tx = TenantTx::begin(deps, tenant_id).await?;
        let Some(run) = tx
            .select::<workflow_runs::Entity>()
            .filter(workflow_runs::Column::Id.eq(run_id))
            .one(&*tx)
            .await?
        else {
            return Ok(());
        };
        let version = tx
            .select::<workflow_versions::Entity>()
            .filter(workflow_versions::Column::WorkflowId.eq(run.workflow_id))
            .filter(workflow_versions::Column::Version.eq(run.version))
            .one(&*tx)
            .await?
            .ok_or(Error::NotFound("workflow version"))?;
        tx.commit().await?;
        stored_definition(version.definition)?
    };
    let program = compile(&definition.steps);
    while let Progress::Next = step_once(deps, tenant_id, run_id, &program).await? {}
    Ok(())
}

async fn step_once(
    deps: &Deps,
    tenant_id: Uuid,
    run_id: Uuid,
    program: &[Instruction<'_>],
) -> Result<Progress> {
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let now = tx.now();
    let Some(run) = tx
        .select::<workflow_runs::Entity>()
        .filter(workflow_runs::Column::Id.eq(run_id))
        .one(&*tx)
        .await?
    else {
        return Ok(Progress::Stop);
    };
    let status = RunStatus::from_stored(&run.status)?;
    match status {
        RunStatus::Pending | RunStatus::Running => {}
        RunStatus::Waiting if run.wake_at.is_none_or(|at| at <= now) => {}
        _ => return Ok(Progress::Stop),
    }
    if status != RunStatus::Running {
        let plan = plans::current(&tx).await?;
        let running = (CONCURRENT_RUNS.count)(&tx).await?;
        if plan
            .limit(&CONCURRENT_RUNS)
            .is_some_and(|limit| running >= limit)
        {
            tx.commit().await?;
            deps.jobs
                .enqueue(Job::new(AdvanceRun { tenant_id, run_id }), NO_ROOM_RETRY)
                .await?;
            return Ok(Progress::Stop);
        }
    }
    // The claim: of two workers holding the same run, the second finds it moved on.
    let claimed = workflow_runs::Entity::update_many()
        .col_expr(
            workflow_runs::Column::Status,
            Expr::value(RunStatus::Running.key()),
        )
        .col_expr(
            workflow_runs::Column::WakeAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .touched(now)
        .filter(workflow_runs::Column::Id.eq(run_id))
        .filter(workflow_runs::Column::Position.eq(run.position))
        .filter(workflow_runs::Column::Status.eq(run.status.as_str()))
        .exec(&*tx)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(Progress::Stop);
    }
    let mut position = usize::try_from(run.position).unwrap_or(usize::MAX);
    while let Some(Instruction::Jump { to }) = program.get(position) {
        position = *to;
    }
    let Some(instruction) = program.get(position) else {
        finish(&tx, run_id, RunStatus::Succeeded, None, now).await?;
        tx.commit().await?;
        return Ok(Progress::Stop);
    };
    let (document, _, _) =
        document_for(&*tx, tenant_id, &run.trigger, run.contact_id, run.lead_id).await?;
    let started = Instant::now();
    match instruction {
        Instruction::Jump { .. } => unreachable!("jumps are followed above"),
        Instruction::Branch {
            path,
            condition,
            otherwise,
        } => {
            let holds = document::holds(condition, &document);
            let next = if holds { position + 1 } else { *otherwise };
            log(
                &tx,
                &run,
                position,
                path,
                "branch",
                Ok(json!({ "holds": holds })),
                json!(condition),
                started,
            )
            .await?;
            move_to(&tx, run_id, next, now).await?;
            tx.commit().await?;
            Ok(Progress::Next)
        }
        Instruction::Run {
            path,
            step: Step::Wait(wait),
        } => {
            let until = match steps::wait_until(wait, &document, now) {
                Ok(until) => until,
                Err(err) => {
                    drop(tx);
                    return fail(deps, &run, position, path, "wait", json!(wait), err).await;
                }
            };
            log(
                &tx,
                &run,
                position,
                path,
                "wait",
                Ok(json!({ "until": until })),
                json!(wait),
                started,
            )
            .await?;
            move_to(&tx, run_id, position + 1, now).await?;
            if until <= now {
                tx.commit().await?;
                return Ok(Progress::Next);
            }
            workflow_runs::Entity::update_many()
                .col_expr(
                    workflow_runs::Column::Status,
                    Expr::value(RunStatus::Waiting.key()),
                )
                .col_expr(workflow_runs::Column::WakeAt, Expr::value(until))
                .filter(workflow_runs::Column::Id.eq(run_id))
                .exec(&*tx)
                .await?;
            // The wake-up is a job in the ledger, due at its time: it outlives this
            // process, and the sweep sends it again should its queue message be lost.
            let job = Job::new(AdvanceRun { tenant_id, run_id });
            let job_id = crate::jobs::record(&*tx, &job, now, until).await?;
            tx.commit().await?;
            let delay = (until - now).to_std().unwrap_or_default();
            if let Err(err) = deps.jobs.requeue(job_id, job.kind(), delay).await {
                tracing::warn!(error = %err, "queueing a workflow's wake-up failed; the sweep will");
            }
            Ok(Progress::Stop)
        }
        Instruction::Run {
            path,
            step: Step::CallWebhook(call),
        } => {
            // The call happens outside any transaction; the step is logged after it.
            let request = steps::webhook_request(&tx, &run, call, &document).await;
            tx.commit().await?;
            let outcome = match request {
                Ok(request) => steps::call_webhook(deps, request).await,
                Err(err) => Err(err),
            };
            let input = json!(call);
            match outcome {
                Ok(output) => {
                    let tx = TenantTx::begin(deps, tenant_id).await?;
                    let still_here = workflow_runs::Entity::update_many()
                        .col_expr(
                            workflow_runs::Column::Position,
                            Expr::value(position as i32 + 1),
                        )
                        .touched(now)
                        .filter(workflow_runs::Column::Id.eq(run_id))
                        .filter(workflow_runs::Column::Position.eq(run.position))
                        .filter(workflow_runs::Column::Status.eq(RunStatus::Running.key()))
                        .exec(&*tx)
                        .await?
                        .rows_affected;
                    if still_here == 0 {
                        return Ok(Progress::Stop);
                    }
                    log(
                        &tx,
                        &run,
                        position,
                        path,
                        "callWebhook",
                        Ok(output),
                        input,
                        started,
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(Progress::Next)
                }
                Err(err) => fail(deps, &run, position, path, "callWebhook", input, err).await,
            }
        }
        Instruction::Run { path, step } => {
            tx.on_behalf_of_run(run_id);
            let ctx = TenantCtx::workflow(tenant_id, run_id);
            let input = json!(step);
            match steps::execute(&mut tx, &ctx, &run, path, step, &document).await {
                Ok(output) => {
                    log(
                        &tx,
                        &run,
                        position,
                        path,
                        step.kind(),
                        Ok(output),
                        input,
                        started,
                    )
                    .await?;
                    move_to(&tx, run_id, position + 1, now).await?;
                    tx.commit().await?;
                    Ok(Progress::Next)
                }
                Err(err @ Error::Unexpected(_)) => Err(err),
                Err(err) => {
                    drop(tx);
                    fail(deps, &run, position, path, step.kind(), input, err).await
                }
            }
        }
    }
}

async fn move_to(tx: &TenantTx, run_id: Uuid, position: usize, now: DateTime<Utc>) -> Result<()> {
    workflow_runs::Entity::update_many()
        .col_expr(
            workflow_runs::Column::Position,
            Expr::value(position as i32),
        )
        .touched(now)
        .filter(workflow_runs::Column::Id.eq(run_id))
        .exec(&**tx)
        .await?;
    Ok(())
}

async fn finish(
    tx: &TenantTx,
    run_id: Uuid,
    status: RunStatus,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    workflow_runs::Entity::update_many()
        .col_expr(workflow_runs::Column::Status, Expr::value(status.key()))
        .col_expr(workflow_runs::Column::Error, Expr::value(error))
        .col_expr(workflow_runs::Column::FinishedAt, Expr::value(now))
        .col_expr(
            workflow_runs::Column::WakeAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .touched(now)
        .filter(workflow_runs::Column::Id.eq(run_id))
        .exec(&**tx)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn log(
    tx: &TenantTx,
    run: &workflow_runs::Model,
    position: usize,
    path: &str,
    kind: &str,
    outcome: std::result::Result<Value, String>,
    input: Value,
    started: Instant,
) -> Result<()> {
    let (status, output, error) = match outcome {
        Ok(output) => (StepStatus::Succeeded, output, None),
        Err(error) => (StepStatus::Failed, Value::Null, Some(error)),
    };
    tx.insert(workflow_run_steps::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(run.tenant_id),
        run_id: Set(run.id),
        position: Set(position as i32),
        path: Set(path.to_owned()),
        kind: Set(kind.to_owned()),
        status: Set(status.key().to_owned()),
        input: Set(input),
        output: Set(output),
        error: Set(error),
        duration_ms: Set(started.elapsed().as_millis() as i64),
        ..Default::default()
    })
    .await?;
    Ok(())
}

/// Records a failed step and stops the run there; retrying runs that step again.
async fn fail(
    deps: &Deps,
    run: &workflow_runs::Model,
    position: usize,
    path: &str,
    kind: &str,
    input: Value,
    err: Error,
) -> Result<Progress> {
    if let Error::Unexpected(_) = err {
        return Err(err);
    }
    let message = err.to_string();
    let tx = TenantTx::begin(deps, run.tenant_id).await?;
    let now = tx.now();
    log(
        &tx,
        run,
        position,
        path,
        kind,
        Err(message.clone()),
        input,
        Instant::now(),
    )
    .await?;
    finish(
        &tx,
        run.id,
        RunStatus::Failed,
        Some(format!("step {path} ({kind}): {message}")),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Progress::Stop)
}

/// Runs a failed run's failed step again, and on from there.
pub async fn retry(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Run> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let run = tx.get::<workflow_runs::Entity>(id, "workflow run").await?;
    if run.status != RunStatus::Failed.key() {
        return Err(Error::conflict(
            "id",
            format!(
                "the run is {}; only a failed run can be retried",
                run.status
            ),
        ));
    }
    let mut model: workflow_runs::ActiveModel = run.into();
    model.status = Set(RunStatus::Pending.key().to_owned());
    model.error = Set(None);
    model.finished_at = Set(None);
    let run = tx.update(model).await?;
    tx.enqueue_after_commit(Job::new(AdvanceRun {
        tenant_id: ctx.tenant_id,
        run_id: id,
    }))
    .await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.run.retried",
        ("workflow_run", Some(id)),
        json!({ "workflowId": run.workflow_id }),
    )
    .await?;
    tx.commit().await?;
    run.try_into()
}

/// Stops a run that has not finished; a step under way completes first.
pub async fn cancel(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Run> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let run = tx.get::<workflow_runs::Entity>(id, "workflow run").await?;
    let status = RunStatus::from_stored(&run.status)?;
    if !matches!(
        status,
        RunStatus::Pending | RunStatus::Running | RunStatus::Waiting
    ) {
        return Err(Error::conflict(
            "id",
            format!("the run is {status}; it has already ended"),
        ));
    }
    finish(&tx, id, RunStatus::Cancelled, None, tx.now()).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.run.cancelled",
        ("workflow_run", Some(id)),
        json!({ "workflowId": run.workflow_id }),
    )
    .await?;
    let run = tx.get::<workflow_runs::Entity>(id, "workflow run").await?;
    tx.commit().await?;
    run.try_into()
}

#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub workflow_id: Option<Uuid>,
    pub status: Option<RunStatus>,
    pub since: Option<DateTime<Utc>>,
    pub contact_id: Option<Uuid>,
}

/// Runs, newest first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: RunFilter,
    page: &PageRequest,
) -> Result<Page<Run>> {
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<workflow_runs::Entity>();
    if let Some(id) = filter.workflow_id {
        select = select.filter(workflow_runs::Column::WorkflowId.eq(id));
    }
    if let Some(status) = filter.status {
        select = select.filter(workflow_runs::Column::Status.eq(status.key()));
    }
    if let Some(since) = filter.since {
        select = select.filter(workflow_runs::Column::CreatedAt.gte(since));
    }
    if let Some(contact) = filter.contact_id {
        select = select.filter(workflow_runs::Column::ContactId.eq(contact));
    }
    let page = paginate(
        &*tx,
        select,
        workflow_runs::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(Run::try_from)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Run> {
    TenantTx::read_one::<workflow_runs::Entity>(
        deps,
        ctx,
        Permission::AutomationWrite,
        id,
        "workflow run",
    )
    .await?
    .try_into()
}

/// The step logs of several runs, in the order their steps ran: one statement.
pub async fn steps_of(
    deps: &Deps,
    ctx: &TenantCtx,
    run_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<RunStep>>> {
    use sea_orm::QueryOrder;
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<workflow_run_steps::Entity>()
        .filter(workflow_run_steps::Column::RunId.is_in(run_ids.iter().copied()))
        .order_by_asc(workflow_run_steps::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut by_run: std::collections::HashMap<Uuid, Vec<RunStep>> = Default::default();
    for row in rows {
        by_run.entry(row.run_id).or_default().push(row.try_into()?);
    }
    Ok(by_run)
}

/// Removes a workflow's runs and their logs (deleting the workflow).
pub(crate) async fn delete_of(tx: &TenantTx, workflow_id: Uuid) -> Result<()> {
    let runs: Vec<Uuid> = {
        use sea_orm::QuerySelect;
        tx.select::<workflow_runs::Entity>()
            .filter(workflow_runs::Column::WorkflowId.eq(workflow_id))
            .select_only()
            .column(workflow_runs::Column::Id)
            .into_tuple()
            .all(&**tx)
            .await?
    };
    for chunk in runs.chunks(500) {
        workflow_run_steps::Entity::delete_many()
            .filter(workflow_run_steps::Column::TenantId.eq(tx.tenant_id()))
            .filter(workflow_run_steps::Column::RunId.is_in(chunk.iter().copied()))
            .exec(&**tx)
            .await?;
    }
    workflow_runs::Entity::delete_many()
        .filter(workflow_runs::Column::TenantId.eq(tx.tenant_id()))
        .filter(workflow_runs::Column::WorkflowId.eq(workflow_id))
        .exec(&**tx)
        .await?;
    Ok(())
}
