//! The audit log: who did what to which record, when and from where. Every state-changing
//! use case calls [`record`] inside its transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tianguis_entity::tenancy::audit_logs;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::db::stamped;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Permission, Result, TenantCtx};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<audit_logs::Model> for AuditEntry {
    fn from(m: audit_logs::Model) -> Self {
        Self {
            id: m.id,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            action: m.action,
            subject_type: m.subject_type,
            subject_id: m.subject_id,
            ip: m.ip,
            user_agent: m.user_agent,
            request_id: m.request_id,
            data: m.data,
            created_at: m.created_at,
        }
    }
}

/// The pub/sub topic carrying a tenant's new audit entries to live subscribers.
pub fn topic(tenant_id: Uuid) -> String {
    format!("tenant.{tenant_id}.audit")
}

/// Records a state change in the use case's transaction: an audit entry (live subscribers
/// see it after commit) and the domain event of the same name in the outbox.
pub async fn record(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    action: &str,
    subject: (&str, Option<Uuid>),
    data: serde_json::Value,
) -> Result<()> {
    let model = stamped(
        tx.now(),
        audit_logs::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            actor_type: Set(ctx.actor.kind().to_owned()),
            actor_id: Set(ctx.actor.id()),
            action: Set(action.to_owned()),
            subject_type: Set(subject.0.to_owned()),
            subject_id: Set(subject.1),
            ip: Set(ctx.meta.ip.clone()),
            user_agent: Set(ctx.meta.user_agent.clone()),
            request_id: Set(Some(ctx.meta.request_id.clone()).filter(|r| !r.is_empty())),
            data: Set(data),
            ..Default::default()
        },
    );
    let inserted = audit_logs::Entity::insert(model)
        .exec_with_returning(&**tx)
        .await?;
    let subject_ref = subject.1.map(|id| format!("{}/{id}", subject.0));
    crate::events::append(
        tx,
        action,
        subject_ref,
        inserted.data.clone(),
        inserted.created_at,
    )
    .await?;
    let entry = AuditEntry::from(inserted);
    let payload = serde_json::to_vec(&entry).map_err(anyhow::Error::from)?;
    tx.publish_after_commit(topic(ctx.tenant_id), payload);
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: AuditFilter,
    direction: SortDirection,
    page: &PageRequest,
) -> Result<Page<AuditEntry>> {
    ctx.require(Permission::AuditRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<audit_logs::Entity>();
    if let Some(action) = filter.action {
        select = select.filter(audit_logs::Column::Action.eq(action));
    }
    if let Some(actor) = filter.actor_id {
        select = select.filter(audit_logs::Column::ActorId.eq(actor));
    }
    if let Some(subject_type) = filter.subject_type {
        select = select.filter(audit_logs::Column::SubjectType.eq(subject_type));
    }
    if let Some(subject) = filter.subject_id {
        select = select.filter(audit_logs::Column::SubjectId.eq(subject));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_logs::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(audit_logs::Column::CreatedAt.lt(until));
    }
    let page = paginate(&*tx, select, audit_logs::Column::Id, direction, page).await?;
    tx.commit().await?;
    Ok(page.map(AuditEntry::from))
}
