//! Segments: contacts chosen by rules (who they are, what they did, how they engaged, what
//! they bought), compiled to one SQL query. Dynamic segments are evaluated when used;
//! static ones freeze their members. Contacts opted out of a channel are never included
//! in an audience for it.

use chrono::TimeDelta;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Value,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::crm::contacts;
use tianguis_entity::marketing::{segment_members, segments};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::db::stamped;
use crate::messaging::ChannelKind;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::search::{custom, has_tag};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use segments::Model as Segment;

tianguis_kernel::stored_enum! {
    pub enum Kind {
        /// Its members are whoever matches its rules now.
        Dynamic = "dynamic",
        /// Its members were frozen when it was saved.
        Static = "static",
    }
}

/// One rule a contact must meet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Lives in one of the cities (any letter case).
    City {
        values: Vec<String>,
    },
    HasTag {
        tag: String,
    },
    IsCustomer {
        value: bool,
    },
    CreatedWithinDays {
        days: u32,
    },
    /// Wrote to the business, or had an activity logged, in the last N days.
    InteractedWithinDays {
        days: u32,
    },
    /// Neither wrote nor had an activity in the last N days.
    NotInteractedWithinDays {
        days: u32,
    },
    /// Has written at least N messages.
    MessageCountAtLeast {
        count: u32,
    },
    /// Has paid at least this much (MXN, minor units) on stamped invoices.
    TotalSpentAtLeast {
        amount_minor: i64,
    },
    /// Has a lead in the stage.
    LeadInStage {
        stage_id: Uuid,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// All rules must hold, or any one of them.
    pub match_all: bool,
    pub rules: Vec<Rule>,
}

const MAX_RULES: usize = 20;

pub fn check(definition: &Definition) -> Result<()> {
    if definition.rules.len() > MAX_RULES {
        return Err(Error::invalid(
            "rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    for rule in &definition.rules {
        let bad = match rule {
            Rule::City { values } => {
                values.is_empty() || values.iter().any(|v| v.trim().is_empty())
            }
            Rule::HasTag { tag } => tag.trim().is_empty(),
            Rule::CreatedWithinDays { days }
            | Rule::InteractedWithinDays { days }
            | Rule::NotInteractedWithinDays { days } => *days == 0 || *days > 3650,
            Rule::TotalSpentAtLeast { amount_minor } => *amount_minor < 0,
            Rule::MessageCountAtLeast { .. }
            | Rule::IsCustomer { .. }
            | Rule::LeadInStage { .. } => false,
        };
        if bad {
            return Err(Error::invalid(
                "rules",
                format!("the rule {rule:?} is not complete"),
            ));
        }
    }
    Ok(())
}

fn interacted(backend: DbBackend, since: chrono::DateTime<chrono::Utc>) -> SimpleExpr {
    custom(
        backend,
        "(EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = contacts.tenant_id AND m.contact_id = contacts.id AND m.direction = 'inbound' AND m.created_at >= ?) \
         OR EXISTS (SELECT 1 FROM activities a WHERE a.tenant_id = contacts.tenant_id AND a.contact_id = contacts.id AND a.occurred_at >= ?))",
        [Value::from(since), Value::from(since)],
    )
}

fn rule_condition(
    backend: DbBackend,
    now: chrono::DateTime<chrono::Utc>,
    rule: &Rule,
) -> SimpleExpr {
    let days_ago = |days: u32| now - TimeDelta::days(i64::from(days));
    match rule {
        Rule::City { values } => {
            let marks = vec!["?"; values.len()].join(", ");
            custom(
                backend,
                &format!("LOWER(contacts.city) IN ({marks})"),
                values.iter().map(|v| Value::from(v.trim().to_lowercase())),
            )
        }
        Rule::HasTag { tag } => has_tag(backend, "contacts", tag.trim()),
        Rule::IsCustomer { value } => {
            Expr::col((contacts::Entity, contacts::Column::IsCustomer)).eq(*value)
        }
        Rule::CreatedWithinDays { days } => {
            Expr::col((contacts::Entity, contacts::Column::CreatedAt)).gte(days_ago(*days))
        }
        Rule::InteractedWithinDays { days } => interacted(backend, days_ago(*days)),
        Rule::NotInteractedWithinDays { days } => interacted(backend, days_ago(*days)).not(),
        Rule::MessageCountAtLeast { count } => custom(
            backend,
            "(SELECT COUNT(*) FROM messages m WHERE m.tenant_id = contacts.tenant_id AND m.contact_id = contacts.id AND m.direction = 'inbound') >= ?",
            [Value::from(i64::from(*count))],
        ),
        Rule::TotalSpentAtLeast { amount_minor } => custom(
            backend,
            "(SELECT COALESCE(SUM(i.paid_minor), 0) FROM invoices i WHERE i.tenant_id = contacts.tenant_id AND i.contact_id = contacts.id AND i.status = 'stamped' AND i.currency = 'MXN') >= ?",
            [Value::from(*amount_minor)],
        ),
        Rule::LeadInStage { stage_id } => custom(
            backend,
            "EXISTS (SELECT 1 FROM leads l WHERE l.tenant_id = contacts.tenant_id AND l.contact_id = contacts.id AND l.stage_id = ?)",
            [Value::from(*stage_id)],
        ),
    }
}

/// The rules as one condition on `contacts`.
pub fn compile(
    backend: DbBackend,
    now: chrono::DateTime<chrono::Utc>,
    definition: &Definition,
) -> Condition {
    let mut condition = if definition.match_all {
        Condition::all()
    } else {
        Condition::any()
    };
    for rule in &definition.rules {
        condition = condition.add(rule_condition(backend, now, rule));
    }
    condition
}

/// Contacts reachable on `kind`: with an address for it and not opted out of it.
pub fn reachable(backend: DbBackend, kind: ChannelKind) -> Condition {
    let address = match kind {
        ChannelKind::Email => contacts::Column::Email,
        _ => contacts::Column::Phone,
    };
    Condition::all()
        .add(Expr::col((contacts::Entity, address)).is_not_null())
        .add(custom(
            backend,
            "NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.tenant_id = contacts.tenant_id AND o.contact_id = contacts.id AND o.channel_kind = ?)",
            [Value::from(kind.key())],
        ))
}

pub fn definition_of(segment: &Segment) -> Definition {
    serde_json::from_value(segment.rules.clone()).unwrap_or(Definition {
        match_all: true,
        rules: Vec::new(),
    })
}

/// The segment's contacts (reachable on `kind`, when given) as a condition on `contacts`.
pub fn members(
    backend: DbBackend,
    now: chrono::DateTime<chrono::Utc>,
    segment: &Segment,
    kind: Option<ChannelKind>,
) -> Condition {
    let base = if segment.kind == Kind::Static.key() {
        Condition::all().add(custom(
            backend,
            "contacts.id IN (SELECT sm.contact_id FROM segment_members sm WHERE sm.tenant_id = contacts.tenant_id AND sm.segment_id = ?)",
            [Value::from(segment.id)],
        ))
    } else {
        compile(backend, now, &definition_of(segment))
    };
    match kind {
        Some(kind) => Condition::all().add(base).add(reachable(backend, kind)),
        None => base,
    }
}

/// How many contacts the rules choose, and the first few of them.
pub struct Preview {
    pub count: u64,
    pub sample: Vec<contacts::Model>,
}

pub async fn preview(
    deps: &Deps,
    ctx: &TenantCtx,
    definition: Definition,
    kind: Option<ChannelKind>,
) -> Result<Preview> {
    ctx.require(Permission::CampaignsWrite)?;
    check(&definition)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut condition = compile(backend, tx.now(), &definition);
    if let Some(kind) = kind {
        condition = Condition::all()
            .add(condition)
            .add(reachable(backend, kind));
    }
    let select = tx.select::<contacts::Entity>().filter(condition);
    let count = select.clone().count(&*tx).await?;
    let sample = select
        .order_by_asc(contacts::Column::Id)
        .limit(5)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(Preview { count, sample })
}

async fn freeze(tx: &TenantTx, segment: &Segment) -> Result<()> {
    segment_members::Entity::delete_many()
        .filter(segment_members::Column::TenantId.eq(tx.tenant_id()))
        .filter(segment_members::Column::SegmentId.eq(segment.id))
        .exec(&**tx)
        .await?;
    let backend = tx.get_database_backend();
    let ids: Vec<Uuid> = tx
        .select::<contacts::Entity>()
        .filter(compile(backend, tx.now(), &definition_of(segment)))
        .select_only()
        .column(contacts::Column::Id)
        .into_tuple()
        .all(&**tx)
        .await?;
    let now = tx.now();
    for chunk in ids.chunks(1000) {
        segment_members::Entity::insert_many(chunk.iter().map(|contact_id| {
            stamped(
                now,
                segment_members::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    segment_id: Set(segment.id),
                    contact_id: Set(*contact_id),
                    ..Default::default()
                },
            )
        }))
        .exec_without_returning(&**tx)
        .await?;
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct SegmentInput {
    pub name: String,
    pub is_static: bool,
    pub definition: Definition,
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: SegmentInput) -> Result<Segment> {
    ctx.require(Permission::CampaignsWrite)?;
    check(&input.definition)?;
    let name = required_text(&input.name, "name", 120)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let now = tx.now();
    let segment = tx
        .insert(segments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            kind: Set(if input.is_static {
                Kind::Static
            } else {
                Kind::Dynamic
            }
            .key()
            .to_owned()),
            rules: Set(serde_json::to_value(&input.definition).map_err(anyhow::Error::from)?),
            frozen_at: Set(input.is_static.then_some(now)),
            ..Default::default()
        })
        .await?;
    if input.is_static {
        freeze(&tx, &segment).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "marketing.segment.created",
        ("segment", Some(segment.id)),
        serde_json::json!({ "name": segment.name, "kind": segment.kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(segment)
}

/// Changes a segment's name or rules; a static segment is frozen again from the new rules.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    definition: Option<Definition>,
) -> Result<Segment> {
    ctx.require(Permission::CampaignsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<segments::Entity>(id, "segment").await?;
    let mut model: segments::ActiveModel = current.clone().into();
    if let Some(name) = name {
        model.name = Set(required_text(&name, "name", 120)?);
    }
    let refreeze = definition.is_some() && current.kind == Kind::Static.key();
    if let Some(definition) = &definition {
        check(definition)?;
        model.rules = Set(serde_json::to_value(definition).map_err(anyhow::Error::from)?);
    }
    let now = tx.now();
    if refreeze {
        model.frozen_at = Set(Some(now));
    }
    let segment = tx.update(model).await?;
    if refreeze {
        freeze(&tx, &segment).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "marketing.segment.updated",
        ("segment", Some(id)),
        serde_json::json!({ "name": segment.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(segment)
}

/// Freezes a static segment's members again from its rules, as they stand now.
pub async fn refreeze(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Segment> {
    ctx.require(Permission::CampaignsWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<segments::Entity>(id, "segment").await?;
    if current.kind != Kind::Static.key() {
        return Err(Error::conflict(
            "id",
            "a dynamic segment is evaluated when used",
        ));
    }
    let mut model: segments::ActiveModel = current.into();
    model.frozen_at = Set(Some(tx.now()));
    let segment = model.update(&*tx).await?;
    freeze(&tx, &segment).await?;
    tx.commit().await?;
    Ok(segment)
}

/// Adds a contact to a static segment in the caller's transaction (a workflow's step);
/// true when the contact was not a member yet.
pub async fn add_member_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    segment_id: Uuid,
    contact_id: Uuid,
) -> Result<bool> {
    let segment = tx
        .get::<segments::Entity>(segment_id, "segment")
        .await
        .map_err(|_| Error::invalid("segmentId", "no such segment"))?;
    if segment.kind != Kind::Static.key() {
        return Err(Error::invalid(
            "segmentId",
            "only a static segment has members to add; a dynamic one follows its rules",
        ));
    }
    tx.get::<contacts::Entity>(contact_id, "contact").await?;
    let present = tx
        .select::<segment_members::Entity>()
        .filter(segment_members::Column::SegmentId.eq(segment_id))
        .filter(segment_members::Column::ContactId.eq(contact_id))
        .one(&**tx)
        .await?
        .is_some();
    if present {
        return Ok(false);
    }
    tx.insert(segment_members::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        segment_id: Set(segment_id),
        contact_id: Set(contact_id),
        ..Default::default()
    })
    .await?;
    audit::record(
        tx,
        ctx,
        "marketing.segment.member_added",
        ("segment", Some(segment_id)),
        serde_json::json!({ "contactId": contact_id }),
    )
    .await?;
    Ok(true)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Segment> {
    TenantTx::read_one::<segments::Entity>(deps, ctx, Permission::MessagingRead, id, "segment")
        .await
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Segment>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<segments::Entity>(),
        segments::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// How many contacts the segment holds now (reachable on `kind`, when given).
pub async fn count(
    deps: &Deps,
    ctx: &TenantCtx,
    segment: &Segment,
    kind: Option<ChannelKind>,
) -> Result<u64> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let count = tx
        .select::<contacts::Entity>()
        .filter(members(backend, tx.now(), segment, kind))
        .count(&*tx)
        .await?;
    tx.commit().await?;
    Ok(count)
}

/// The audience of a send: contact id and address, in id order.
pub(crate) async fn audience<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
    segment: &Segment,
    kind: ChannelKind,
) -> Result<Vec<(Uuid, String)>> {
    let backend = conn.get_database_backend();
    let rows: Vec<(Uuid, Option<String>, Option<String>)> = contacts::Entity::find()
        .filter(contacts::Column::TenantId.eq(tenant_id))
        .filter(members(backend, now, segment, Some(kind)))
        .select_only()
        .column(contacts::Column::Id)
        .column(contacts::Column::Email)
        .column(contacts::Column::Phone)
        .order_by_asc(contacts::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, email, phone)| {
            let address = match kind {
                ChannelKind::Email => email,
                _ => phone,
            }?;
            Some((id, address))
        })
        .collect())
}

pub async fn by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Segment>> {
    TenantTx::read_many::<segments::Entity>(deps, ctx, Permission::MessagingRead, ids).await
}
