//! Activities (calls, emails, meetings, WhatsApp messages, notes) and tasks, which are
//! activities with an assignee, a due date and a done state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};
use tianguis_entity::crm::{activities, companies, contacts, leads};
use uuid::Uuid;

use super::rules;
use crate::db::{TenantTx, raw};
use crate::page::{Page, PageRequest, SortDirection, paginate_by};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use activities::Model as Activity;

tianguis_kernel::stored_enum! {
    pub enum Kind {
        Call = "call",
        Email = "email",
        Meeting = "meeting",
        Whatsapp = "whatsapp",
        Note = "note",
        Task = "task",
    }
}

/// How many of a lead's latest activities a list shows at most.
pub const RECENT_LIMIT: usize = 10;

#[derive(Clone, Debug, Default)]
pub struct ActivityInput {
    pub kind: Option<Kind>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub assignee_id: Option<Option<Uuid>>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Fills in the contact and company of the lead an activity is about, so the activity shows
/// on each of their timelines.
async fn link(
    tx: &TenantTx,
    model: &mut activities::ActiveModel,
    input: &ActivityInput,
) -> Result<()> {
    let mut contact_id = input.contact_id;
    let mut company_id = input.company_id;
    if let Some(id) = input.lead_id {
        let lead = tx
            .get::<leads::Entity>(id, "lead")
            .await
            .map_err(|_| Error::invalid("leadId", "no such lead"))?;
        model.lead_id = Set(Some(lead.id));
        contact_id = contact_id.or(lead.contact_id);
        company_id = company_id.or(lead.company_id);
    }
    if let Some(id) = contact_id {
        let contact = tx
            .get::<contacts::Entity>(id, "contact")
            .await
            .map_err(|_| Error::invalid("contactId", "no such contact"))?;
        model.contact_id = Set(Some(contact.id));
        company_id = company_id.or(contact.company_id);
    }
    if let Some(id) = company_id {
        tx.get::<companies::Entity>(id, "company")
            .await
            .map_err(|_| Error::invalid("companyId", "no such company"))?;
        model.company_id = Set(Some(id));
    }
    Ok(())
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: ActivityInput) -> Result<Activity> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let activity = create_in(&mut tx, ctx, input).await?;
    tx.commit().await?;
    Ok(activity)
}

/// Records an activity or task in the caller's transaction (a workflow's step).
pub async fn create_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: ActivityInput,
) -> Result<Activity> {
    let kind = input
        .kind
        .ok_or_else(|| Error::invalid("kind", "an activity has a kind"))?;
    let subject = required_text(input.subject.as_deref().unwrap_or_default(), "subject", 200)?;
    if input.lead_id.is_none() && input.contact_id.is_none() && input.company_id.is_none() {
        return Err(Error::invalid(
            "leadId",
            "an activity is about a lead, a contact or a company",
        ));
    }
    let is_task = kind == Kind::Task;
    let due_at = input.due_at.flatten();
    if !is_task && (due_at.is_some() || input.assignee_id.flatten().is_some()) {
        return Err(Error::invalid(
            "dueAt",
            "only tasks have a due date and an assignee",
        ));
    }
    let assignee = match input.assignee_id.flatten() {
        Some(id) => {
            super::contacts::check_owner(tx, id).await.map_err(|_| {
                Error::invalid(
                    "assigneeId",
                    "the assignee must be a member of this business",
                )
            })?;
            Some(id)
        }
        None if is_task => ctx.actor_user(),
        None => None,
    };
    let now = tx.now();
    let occurred_at = input.occurred_at.unwrap_or(now);
    let mut model = activities::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        kind: Set(kind.key().to_owned()),
        subject: Set(subject),
        body: Set(rules::optional_text(input.body.as_deref(), "body", 20_000)?.unwrap_or_default()),
        contact_id: Set(None),
        company_id: Set(None),
        lead_id: Set(None),
        author_id: Set(ctx.actor_user()),
        assignee_id: Set(assignee),
        due_at: Set(due_at),
        done_at: Set(None),
        occurred_at: Set(occurred_at),
        ..Default::default()
    };
    link(tx, &mut model, &input).await?;
    let activity = tx.insert(model).await?;
    if let Some(lead) = activity.lead_id {
        let last = (!is_task).then_some(occurred_at);
        super::leads::rescore_lead(tx, lead, last, now).await?;
    }
    audit::record(
        tx,
        ctx,
        &format!("crm.{}.created", noun(&activity)),
        (noun(&activity), Some(activity.id)),
        event_data(&activity),
    )
    .await?;
    Ok(activity)
}

fn noun(activity: &Activity) -> &'static str {
    if activity.kind == Kind::Task.key() {
        "task"
    } else {
        "activity"
    }
}

fn event_data(a: &Activity) -> serde_json::Value {
    serde_json::json!({
        "kind": a.kind,
        "subject": a.subject,
        "leadId": a.lead_id,
        "contactId": a.contact_id,
        "companyId": a.company_id,
        "assigneeId": a.assignee_id,
        "dueAt": a.due_at,
        "doneAt": a.done_at,
    })
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ActivityInput,
) -> Result<Activity> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<activities::Entity>(id, "activity").await?;
    let is_task = current.kind == Kind::Task.key();
    let mut model: activities::ActiveModel = current.into();
    if let Some(subject) = &input.subject {
        model.subject = Set(required_text(subject, "subject", 200)?);
    }
    if input.body.is_some() {
        model.body =
            Set(rules::optional_text(input.body.as_deref(), "body", 20_000)?.unwrap_or_default());
    }
    if let Some(at) = input.occurred_at {
        model.occurred_at = Set(at);
    }
    if let Some(due) = input.due_at {
        if !is_task {
            return Err(Error::invalid("dueAt", "only tasks have a due date"));
        }
        model.due_at = Set(due);
    }
    if let Some(assignee) = input.assignee_id {
        if !is_task {
            return Err(Error::invalid("assigneeId", "only tasks have an assignee"));
        }
        if let Some(user) = assignee {
            super::contacts::check_owner(&tx, user).await.map_err(|_| {
                Error::invalid(
                    "assigneeId",
                    "the assignee must be a member of this business",
                )
            })?;
        }
        model.assignee_id = Set(assignee);
    }
    if input.lead_id.is_some() || input.contact_id.is_some() || input.company_id.is_some() {
        link(&tx, &mut model, &input).await?;
    }
    let now = deps.clock.now();
    let activity = tx.update(model).await?;
    if let Some(lead) = activity.lead_id {
        super::leads::rescore_lead(&tx, lead, (!is_task).then_some(activity.occurred_at), now)
            .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        &format!("crm.{}.updated", noun(&activity)),
        (noun(&activity), Some(activity.id)),
        event_data(&activity),
    )
    .await?;
    tx.commit().await?;
    Ok(activity)
}

/// Marks a task done (or open again).
pub async fn set_done(deps: &Deps, ctx: &TenantCtx, id: Uuid, done: bool) -> Result<Activity> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let task = tx.get::<activities::Entity>(id, "task").await?;
    if task.kind != Kind::Task.key() {
        return Err(Error::invalid("id", "only tasks are completed"));
    }
    let now = deps.clock.now();
    let mut model: activities::ActiveModel = task.into();
    model.done_at = Set(done.then_some(now));
    let task = tx.update(model).await?;
    let action = if done {
        "crm.task.completed"
    } else {
        "crm.task.reopened"
    };
    audit::record(
        &mut tx,
        ctx,
        action,
        ("task", Some(task.id)),
        event_data(&task),
    )
    .await?;
    tx.commit().await?;
    Ok(task)
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let activity = tx.get::<activities::Entity>(id, "activity").await?;
    activities::Entity::delete_by_id(activity.id)
        .exec(&*tx)
        .await?;
    if let Some(lead) = activity.lead_id {
        super::leads::rescore_lead(&tx, lead, None, deps.clock.now()).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        &format!("crm.{}.deleted", noun(&activity)),
        (noun(&activity), Some(activity.id)),
        event_data(&activity),
    )
    .await?;
    tx.commit().await?;
    Ok(activity.id)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Open,
    Done,
    Overdue,
}

#[derive(Clone, Debug, Default)]
pub struct ActivityFilter {
    pub kinds: Vec<Kind>,
    pub lead_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub task_state: Option<TaskState>,
    pub due_before: Option<DateTime<Utc>>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
}

/// Activities newest first (by when they happened), or tasks by due date when filtering
/// on a task state.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: ActivityFilter,
    page: &PageRequest,
) -> Result<Page<Activity>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<activities::Entity>();
    if !filter.kinds.is_empty() {
        let kinds = filter.kinds.iter().map(|k| k.key());
        select = select.filter(activities::Column::Kind.is_in(kinds));
    }
    if let Some(id) = filter.lead_id {
        select = select.filter(activities::Column::LeadId.eq(id));
    }
    if let Some(id) = filter.contact_id {
        select = select.filter(activities::Column::ContactId.eq(id));
    }
    if let Some(id) = filter.company_id {
        select = select.filter(activities::Column::CompanyId.eq(id));
    }
    if let Some(id) = filter.author_id {
        select = select.filter(activities::Column::AuthorId.eq(id));
    }
    if let Some(id) = filter.assignee_id {
        select = select.filter(activities::Column::AssigneeId.eq(id));
    }
    let now = deps.clock.now();
    if let Some(state) = filter.task_state {
        select = select.filter(activities::Column::Kind.eq("task"));
        select = match state {
            TaskState::Open => select.filter(activities::Column::DoneAt.is_null()),
            TaskState::Done => select.filter(activities::Column::DoneAt.is_not_null()),
            TaskState::Overdue => select
                .filter(activities::Column::DoneAt.is_null())
                .filter(activities::Column::DueAt.lt(now)),
        };
    }
    if let Some(before) = filter.due_before {
        select = select.filter(activities::Column::DueAt.lt(before));
    }
    if let Some(after) = filter.occurred_after {
        select = select.filter(activities::Column::OccurredAt.gte(after));
    }
    if let Some(before) = filter.occurred_before {
        select = select.filter(activities::Column::OccurredAt.lt(before));
    }
    // Overdue tasks come most overdue first; everything else newest first.
    let page = if filter.task_state == Some(TaskState::Overdue) {
        paginate_by(
            &*tx,
            select,
            Some(activities::Column::DueAt),
            activities::Column::Id,
            SortDirection::Asc,
            page,
        )
        .await?
    } else {
        paginate_by(
            &*tx,
            select,
            Some(activities::Column::OccurredAt),
            activities::Column::Id,
            SortDirection::Desc,
            page,
        )
        .await?
    };
    tx.commit().await?;
    Ok(page)
}

/// The latest activities (not tasks) of each lead, newest first, at most [`RECENT_LIMIT`]
/// each: one statement for the whole batch, whatever the number of leads.
pub async fn recent_for_leads(
    deps: &Deps,
    ctx: &TenantCtx,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Activity>>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = recent_for_leads_in(&tx, lead_ids).await?;
    tx.commit().await?;
    Ok(found)
}

/// As [`recent_for_leads`], inside the caller's transaction.
pub(crate) async fn recent_for_leads_in(
    tx: &TenantTx,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Activity>>> {
    if lead_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders: Vec<String> = (0..lead_ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT * FROM (
           SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.lead_id ORDER BY a.occurred_at DESC, a.id DESC) AS recent_rank
           FROM activities a
           WHERE a.tenant_id = $1 AND a.kind <> 'task' AND a.lead_id IN ({})
         ) ranked WHERE recent_rank <= {RECENT_LIMIT} ORDER BY lead_id, recent_rank",
        placeholders.join(", ")
    );
    let mut values: Vec<sea_orm::Value> = vec![tx.tenant_id().into()];
    values.extend(lead_ids.iter().map(|id| sea_orm::Value::from(*id)));
    let rows = activities::Model::find_by_statement(raw(tx.get_database_backend(), &sql, values))
        .all(&**tx)
        .await?;
    Ok(super::group_by(rows, |a| a.lead_id))
}
