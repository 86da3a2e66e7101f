//! Workflows: "when X happens, do Y", configured by a business. A workflow is saved as a
//! new version each time it changes; runs keep the version they started with.

pub mod definition;
pub mod document;
pub mod runs;
mod steps;
pub mod testing;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tianguis_entity::automation::{workflow_versions, workflows};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::plans;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, rules, secrets};
pub use definition::{Definition, Trigger, TriggerKind};

/// Enabled workflows a plan includes.
pub const ENABLED_WORKFLOWS: plans::Resource = plans::Resource {
    noun: "enabled workflows",
    free: 5,
    pro: 200,
    count: |tx| {
        Box::pin(async move {
            Ok(tx
                .select::<workflows::Entity>()
                .filter(workflows::Column::Enabled.eq(true))
                .count(&**tx)
                .await?)
        })
    },
};

#[derive(Clone, Debug)]
pub struct Workflow {
    pub id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub version: i32,
    pub definition: Definition,
    /// For schedules: when the next run starts.
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<workflows::Model> for Workflow {
    type Error = Error;

    fn try_from(m: workflows::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            name: m.name,
            enabled: m.enabled,
            version: m.version,
            definition: stored_definition(m.definition)?,
            next_run_at: m.next_run_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub(crate) fn stored_definition(json: serde_json::Value) -> Result<Definition> {
    serde_json::from_value(json)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("a stored workflow definition: {e}")))
}

/// A workflow as saved, with its webhook URL's secret when one was just made: shown only
/// then.
pub struct Saved {
    pub workflow: Workflow,
    pub webhook_url: Option<String>,
}

pub struct WorkflowInput {
    pub name: String,
    pub enabled: bool,
    pub definition: Definition,
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: WorkflowInput) -> Result<Saved> {
    ctx.require(Permission::AutomationWrite)?;
    let name = rules::required_text(&input.name, "name", 200)?;
    definition::check(&input.definition)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    steps::check_references(&tx, &input.definition).await?;
    if input.enabled {
        plans::ensure_room(&tx, &ENABLED_WORKFLOWS).await?;
    }
    let id = Uuid::now_v7();
    let token =
        matches!(input.definition.trigger, Trigger::Webhook(_)).then(|| secrets::random_token(32));
    let next_run_at = next_run(&tx, &input.definition, tx.now()).await?;
    let row = tx
        .insert(workflows::ActiveModel {
            id: Set(id),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            enabled: Set(input.enabled),
            version: Set(1),
            trigger_kind: Set(input.definition.trigger.kind().key().to_owned()),
            event_type: Set(event_type(&input.definition)),
            cron: Set(cron(&input.definition)),
            next_run_at: Set(next_run_at),
            webhook_token_hash: Set(token.as_deref().map(secrets::sha256_hex)),
            definition: Set(to_json(&input.definition)?),
            rotation: Set(serde_json::json!({})),
            ..Default::default()
        })
        .await?;
    keep_version(&tx, &row).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.workflow.created",
        ("workflow", Some(id)),
        serde_json::json!({ "name": row.name, "trigger": row.trigger_kind, "enabled": row.enabled }),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved {
        webhook_url: token.map(|t| webhook_url(deps, ctx.tenant_id, id, &t)),
        workflow: row.try_into()?,
    })
}

pub struct WorkflowChanges {
    pub name: Option<String>,
    pub definition: Option<Definition>,
}

/// Saves a change as the next version; runs already going keep theirs.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    changes: WorkflowChanges,
) -> Result<Saved> {
    ctx.require(Permission::AutomationWrite)?;
    if let Some(definition) = &changes.definition {
        definition::check(definition)?;
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<workflows::Entity>(id, "workflow").await?;
    let was_webhook = current.trigger_kind == TriggerKind::Webhook.key();
    let mut model: workflows::ActiveModel = current.clone().into();
    if let Some(name) = changes.name {
        model.name = Set(rules::required_text(&name, "name", 200)?);
    }
    let mut token = None;
    if let Some(definition) = changes.definition {
        steps::check_references(&tx, &definition).await?;
        let is_webhook = matches!(definition.trigger, Trigger::Webhook(_));
        if is_webhook && !was_webhook {
            token = Some(secrets::random_token(32));
            model.webhook_token_hash = Set(token.as_deref().map(secrets::sha256_hex));
        } else if !is_webhook {
            model.webhook_token_hash = Set(None);
        }
        model.trigger_kind = Set(definition.trigger.kind().key().to_owned());
        model.event_type = Set(event_type(&definition));
        model.cron = Set(cron(&definition));
        model.next_run_at = Set(next_run(&tx, &definition, tx.now()).await?);
        model.definition = Set(to_json(&definition)?);
        model.version = Set(current.version + 1);
        model.rotation = Set(serde_json::json!({}));
    }
    let row = tx.update(model).await?;
    if row.version != current.version {
        keep_version(&tx, &row).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "automation.workflow.updated",
        ("workflow", Some(id)),
        serde_json::json!({ "name": row.name, "version": row.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved {
        webhook_url: token.map(|t| webhook_url(deps, ctx.tenant_id, id, &t)),
        workflow: row.try_into()?,
    })
}

/// Turns a workflow on or off; off, its trigger starts nothing, and runs going on finish.
pub async fn set_enabled(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    enabled: bool,
) -> Result<Workflow> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<workflows::Entity>(id, "workflow").await?;
    if current.enabled == enabled {
        tx.commit().await?;
        return current.try_into();
    }
    if enabled {
        plans::ensure_room(&tx, &ENABLED_WORKFLOWS).await?;
    }
    let definition = stored_definition(current.definition.clone())?;
    let mut model: workflows::ActiveModel = current.into();
    model.enabled = Set(enabled);
    // A schedule switched back on starts from now, not from the runs it missed.
    model.next_run_at = Set(next_run(&tx, &definition, tx.now()).await?);
    let row = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        if enabled {
            "automation.workflow.enabled"
        } else {
            "automation.workflow.disabled"
        },
        ("workflow", Some(id)),
        serde_json::json!({ "name": row.name }),
    )
    .await?;
    tx.commit().await?;
    row.try_into()
}

/// A new secret for a webhook-triggered workflow's URL; the old URL stops working.
pub async fn rotate_webhook_secret(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Saved> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<workflows::Entity>(id, "workflow").await?;
    if current.trigger_kind != TriggerKind::Webhook.key() {
        return Err(Error::conflict(
            "id",
            "the workflow is not started by a webhook",
        ));
    }
    let token = secrets::random_token(32);
    let mut model: workflows::ActiveModel = current.into();
    model.webhook_token_hash = Set(Some(secrets::sha256_hex(&token)));
    let row = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.workflow.webhook_rotated",
        ("workflow", Some(id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved {
        webhook_url: Some(webhook_url(deps, ctx.tenant_id, id, &token)),
        workflow: row.try_into()?,
    })
}

/// Deletes a workflow with its versions and runs.
pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let row = tx.get::<workflows::Entity>(id, "workflow").await?;
    runs::delete_of(&tx, id).await?;
    workflow_versions::Entity::delete_many()
        .filter(workflow_versions::Column::TenantId.eq(ctx.tenant_id))
        .filter(workflow_versions::Column::WorkflowId.eq(id))
        .exec(&*tx)
        .await?;
    workflows::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.workflow.deleted",
        ("workflow", Some(id)),
        serde_json::json!({ "name": row.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Workflow> {
    TenantTx::read_one::<workflows::Entity>(deps, ctx, Permission::AutomationWrite, id, "workflow")
        .await?
        .try_into()
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Workflow>> {
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<workflows::Entity>(),
        workflows::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(Workflow::try_from)
}

/// The URL a webhook-triggered workflow answers on: tenant, workflow and secret.
fn webhook_url(deps: &Deps, tenant_id: Uuid, id: Uuid, token: &str) -> String {
    format!(
        "{}/webhooks/workflows/{tenant_id}.{id}.{token}",
        deps.mail.public_url.trim_end_matches('/')
    )
}

fn to_json(definition: &Definition) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(definition).map_err(anyhow::Error::from)?)
}

fn event_type(definition: &Definition) -> Option<String> {
    match &definition.trigger {
        Trigger::Event(event) => Some(event.event_type.trim().to_owned()),
        _ => None,
    }
}

fn cron(definition: &Definition) -> Option<String> {
    match &definition.trigger {
        Trigger::Schedule(schedule) => Some(schedule.cron.trim().to_owned()),
        _ => None,
    }
}

/// A schedule's next start after `after`, read in the business's time zone.
pub(crate) async fn next_run(
    tx: &TenantTx,
    definition: &Definition,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let Trigger::Schedule(schedule) = &definition.trigger else {
        return Ok(None);
    };
    let zone = crate::db::tenant_region(&**tx, tx.tenant_id())
        .await?
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    next_occurrence(&schedule.cron, zone, after).map(Some)
}

pub(crate) fn next_occurrence(
    cron: &str,
    zone: chrono_tz::Tz,
    after: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let schedule = definition::parse_cron(cron)?;
    schedule
        .find_next_occurrence(&after.with_timezone(&zone), false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid("trigger.schedule.cron", format!("no next time: {e}")))
}

async fn keep_version(tx: &TenantTx, row: &workflows::Model) -> Result<()> {
    tx.insert(workflow_versions::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(row.tenant_id),
        workflow_id: Set(row.id),
        version: Set(row.version),
        definition: Set(row.definition.clone()),
        ..Default::default()
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_read_in_the_business_time_zone() {
        let after: DateTime<Utc> = "2026-12-04T20:00:00Z".parse().expect("time");
        // 09:00 in Mexico City is 15:00 UTC; the next weekday is Monday the 7th.
        let next =
            next_occurrence("0 9 * * 1-5", chrono_tz::America::Mexico_City, after).expect("next");
        assert_eq!(
            next,
            "2026-12-07T15:00:00Z"
                .parse::<DateTime<Utc>>()
                .expect("time")
        );
    }
}
