//! One timeline per lead, contact or company: activities, stage changes, proposals and
//! the messages exchanged with its contacts, newest first.

use std::any::Any;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use tianguis_entity::crm::{activities, lead_stage_changes, leads, proposals};
use uuid::Uuid;

use super::activities::Activity;
use super::leads::StageChange;
use super::proposals::Proposal;
use crate::db::TenantTx;
use crate::registry::BoxFuture;
use crate::{Deps, Permission, Result, TenantCtx};

#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Lead(Uuid),
    Contact(Uuid),
    Company(Uuid),
}

#[derive(Clone, Debug)]
pub enum TimelineEntry {
    Activity(Activity),
    StageChange(StageChange),
    Proposal(Box<Proposal>),
    /// An entry from a context that builds on CRM (a conversation's message).
    Other(Arc<dyn TimelineItem>),
}

/// An entry another context adds to timelines.
pub trait TimelineItem: Any + Send + Sync + std::fmt::Debug {
    fn at(&self) -> DateTime<Utc>;
    fn id(&self) -> Uuid;
    fn as_any(&self) -> &dyn Any;
}

/// The contacts a timeline covers.
#[derive(Clone, Copy, Debug)]
pub enum Contacts {
    One(Uuid),
    OfCompany(Uuid),
}

/// A context that adds entries to timelines registers one of these
/// (`registry.provide::<Box<dyn TimelineSource>>(…)`).
pub trait TimelineSource: Send + Sync {
    /// Up to `limit` entries about `contacts` before `before`, newest first; none when the
    /// caller may not see them.
    fn entries<'a>(
        &'a self,
        tx: &'a TenantTx,
        ctx: &'a TenantCtx,
        contacts: Contacts,
        before: Option<DateTime<Utc>>,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<TimelineEntry>>>;
}

impl TimelineEntry {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            TimelineEntry::Activity(a) => a.occurred_at,
            TimelineEntry::StageChange(c) => c.created_at,
            TimelineEntry::Proposal(p) => p.created_at,
            TimelineEntry::Other(o) => o.at(),
        }
    }

    fn id(&self) -> Uuid {
        match self {
            TimelineEntry::Activity(a) => a.id,
            TimelineEntry::StageChange(c) => c.id,
            TimelineEntry::Proposal(p) => p.id,
            TimelineEntry::Other(o) => o.id(),
        }
    }
}

pub const MAX_ENTRIES: u64 = 100;

/// Up to `limit` entries that happened before `before` (all when absent), newest first.
/// Each source is read newest first up to the limit, then they are merged.
pub async fn entries(
    deps: &Deps,
    ctx: &TenantCtx,
    subject: Subject,
    before: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<TimelineEntry>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let limit = limit.clamp(1, MAX_ENTRIES);
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut activity_q = tx.select::<activities::Entity>();
    let mut proposal_q = tx.select::<proposals::Entity>();
    let mut change_q = tx.select::<lead_stage_changes::Entity>();
    // A contact's or company's timeline shows the stage changes of its leads.
    let stage_changes_of_leads = |column: leads::Column, id: Uuid| {
        lead_stage_changes::Column::LeadId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(leads::Column::Id)
                .from(leads::Entity)
                .and_where(leads::Column::TenantId.eq(ctx.tenant_id))
                .and_where(column.eq(id))
                .to_owned(),
        )
    };
    let contacts = match subject {
        Subject::Lead(id) => tx
            .get::<leads::Entity>(id, "lead")
            .await?
            .contact_id
            .map(Contacts::One),
        Subject::Contact(id) => Some(Contacts::One(id)),
        Subject::Company(id) => Some(Contacts::OfCompany(id)),
    };
    match subject {
        Subject::Lead(id) => {
            activity_q = activity_q.filter(activities::Column::LeadId.eq(id));
            proposal_q = proposal_q.filter(proposals::Column::LeadId.eq(id));
            change_q = change_q.filter(lead_stage_changes::Column::LeadId.eq(id));
        }
        Subject::Contact(id) => {
            tx.get::<tianguis_entity::crm::contacts::Entity>(id, "contact")
                .await?;
            activity_q = activity_q.filter(activities::Column::ContactId.eq(id));
            proposal_q = proposal_q.filter(proposals::Column::ContactId.eq(id));
            change_q = change_q.filter(stage_changes_of_leads(leads::Column::ContactId, id));
        }
        Subject::Company(id) => {
            tx.get::<tianguis_entity::crm::companies::Entity>(id, "company")
                .await?;
            activity_q = activity_q.filter(activities::Column::CompanyId.eq(id));
            proposal_q = proposal_q.filter(proposals::Column::CompanyId.eq(id));
            change_q = change_q.filter(stage_changes_of_leads(leads::Column::CompanyId, id));
        }
    }
    if let Some(before) = before {
        activity_q = activity_q.filter(activities::Column::OccurredAt.lt(before));
        proposal_q = proposal_q.filter(proposals::Column::CreatedAt.lt(before));
        change_q = change_q.filter(lead_stage_changes::Column::CreatedAt.lt(before));
    }
    let mut out: Vec<TimelineEntry> = activity_q
        .order_by_desc(activities::Column::OccurredAt)
        .limit(limit)
        .all(&*tx)
        .await?
        .into_iter()
        .map(TimelineEntry::Activity)
        .collect();
    out.extend(
        proposal_q
            .order_by_desc(proposals::Column::CreatedAt)
            .limit(limit)
            .all(&*tx)
            .await?
            .into_iter()
            .map(|p| TimelineEntry::Proposal(Box::new(p))),
    );
    out.extend(
        change_q
            .order_by_desc(lead_stage_changes::Column::CreatedAt)
            .limit(limit)
            .all(&*tx)
            .await?
            .into_iter()
            .map(TimelineEntry::StageChange),
    );
    if let Some(contacts) = contacts {
        for source in deps.registry.all::<Box<dyn TimelineSource>>() {
            out.extend(source.entries(&tx, ctx, contacts, before, limit).await?);
        }
    }
    tx.commit().await?;
    out.sort_by(|a, b| b.at().cmp(&a.at()).then(b.id().cmp(&a.id())));
    out.truncate(limit as usize);
    Ok(out)
}
