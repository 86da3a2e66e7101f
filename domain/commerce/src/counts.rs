//! Stocktakes: a location is counted (over hours, by several people), the differences
//! with what the ledger says are reviewed, and posting turns them into adjustments in one
//! transaction. Variants nobody counted are left as they are.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tianguis_entity::commerce::{stock_count_lines as lines, stock_counts as counts, stock_levels};
use tianguis_kernel::rules::optional_text;
use uuid::Uuid;

use crate::amounts::{self, from_milli};
use crate::catalog::unit_of;
use crate::db::{TenantTx, stamped};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::stock::{Move, MovementKind, active_location, apply_moves, variants_with_products};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use counts::Model as StockCount;
pub use lines::Model as StockCountLine;

tianguis_kernel::stored_enum! {
    pub enum CountStatus {
        /// Being counted.
        Open = "open",
        /// Its differences are adjustments now.
        Posted = "posted",
        Cancelled = "cancelled",
    }
}

/// Starts counting a location.
pub async fn start(
    deps: &Deps,
    ctx: &TenantCtx,
    location_id: Uuid,
    note: Option<String>,
) -> Result<StockCount> {
    ctx.require(Permission::InventoryAdjust)?;
    let note = optional_text(note.as_deref(), "note", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let location = active_location(&tx, location_id, "locationId").await?;
    let count = tx
        .insert(counts::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            location_id: Set(location.id),
            status: Set(CountStatus::Open.key().into()),
            note: Set(note),
            posted_at: Set(None),
            actor_id: Set(ctx.actor.id()),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.stock_count.started",
        ("stock_count", Some(count.id)),
        serde_json::json!({ "locationId": location.id }),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

async fn open_count(tx: &TenantTx, id: Uuid) -> Result<StockCount> {
    let count = tx.get::<counts::Entity>(id, "stock count").await?;
    if count.status != CountStatus::Open.key() {
        return Err(Error::invalid("id", "the count is no longer open"));
    }
    Ok(count)
}

/// Records what was counted of some variants; counting a variant again replaces its figure.
pub async fn record(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    counted: Vec<(Uuid, Decimal)>,
) -> Result<Vec<Reviewed>> {
    ctx.require(Permission::InventoryAdjust)?;
    if counted.is_empty() || counted.len() > 1_000 {
        return Err(Error::invalid("lines", "1 to 1,000 lines"));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let count = open_count(&tx, id).await?;
    let ids: Vec<Uuid> = counted.iter().map(|(v, _)| *v).collect();
    let (variants, products) = variants_with_products(&tx, &ids, "variantId").await?;
    let mut rows = Vec::with_capacity(counted.len());
    for (variant_id, quantity) in &counted {
        let product = &products[&variants[variant_id].product_id];
        if !product.track_stock {
            return Err(Error::invalid(
                "variantId",
                "a service has no stock to count",
            ));
        }
        let milli = if quantity.is_zero() {
            0
        } else {
            amounts::quantity_milli(*quantity, unit_of(product)?, "quantity")?
        };
        rows.push(stamped(
            tx.now(),
            lines::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id),
                count_id: Set(count.id),
                variant_id: Set(*variant_id),
                counted_milli: Set(milli),
                expected_milli: Set(None),
                ..Default::default()
            },
        ));
    }
    lines::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                lines::Column::TenantId,
                lines::Column::CountId,
                lines::Column::VariantId,
            ])
            .update_columns([lines::Column::CountedMilli, lines::Column::UpdatedAt])
            .to_owned(),
        )
        .exec(&*tx)
        .await?;
    let found = reviewed(&tx, &count).await?;
    tx.commit().await?;
    Ok(found)
}

/// A count line with what the ledger holds now, for review before posting.
#[derive(Clone, Debug)]
pub struct Reviewed {
    pub line: StockCountLine,
    /// On hand now while open; on hand when posted once posted.
    pub on_hand_milli: i64,
}

impl Reviewed {
    /// Counted minus on hand: what posting adjusts (or adjusted).
    pub fn difference_milli(&self) -> i64 {
        self.line.counted_milli - self.on_hand_milli
    }
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<StockCount> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let count = tx.get::<counts::Entity>(id, "stock count").await?;
    tx.commit().await?;
    Ok(count)
}

/// The count with each line beside what the ledger holds.
pub async fn review(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<(StockCount, Vec<Reviewed>)> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let count = tx.get::<counts::Entity>(id, "stock count").await?;
    let found = reviewed(&tx, &count).await?;
    tx.commit().await?;
    Ok((count, found))
}

async fn reviewed(tx: &TenantTx, count: &StockCount) -> Result<Vec<Reviewed>> {
    let found = lines_in(tx, &[count.id])
        .await?
        .remove(&count.id)
        .unwrap_or_default();
    let levels: HashMap<Uuid, i64> = tx
        .select::<stock_levels::Entity>()
        .filter(stock_levels::Column::LocationId.eq(count.location_id))
        .filter(stock_levels::Column::VariantId.is_in(found.iter().map(|l| l.variant_id)))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|l| (l.variant_id, l.on_hand_milli))
        .collect();
    Ok(found
        .into_iter()
        .map(|line| Reviewed {
            on_hand_milli: line
                .expected_milli
                .unwrap_or_else(|| levels.get(&line.variant_id).copied().unwrap_or(0)),
            line,
        })
        .collect())
}

/// Posts the differences as adjustments, all in one transaction, and closes the count.
pub async fn post(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<StockCount> {
    ctx.require(Permission::InventoryAdjust)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let count = open_count(&tx, id).await?;
    let location = active_location(&tx, count.location_id, "id").await?;
    let found = reviewed(&tx, &count).await?;
    let ids: Vec<Uuid> = found.iter().map(|r| r.line.variant_id).collect();
    let (variants, products) = variants_with_products(&tx, &ids, "lines").await?;
    let reason = format!("Conteo {}", count.id);
    let moves: Vec<Move> = found
        .iter()
        .filter(|r| r.difference_milli() != 0)
        .map(|r| {
            let variant = &variants[&r.line.variant_id];
            Move {
                variant,
                product: &products[&variant.product_id],
                location: &location,
                kind: MovementKind::Adjustment,
                quantity_milli: r.difference_milli(),
                unit_cost_minor: variant.cost_minor,
                reason: Some(reason.clone()),
                reference_id: Some(count.id),
                releases_milli: 0,
            }
        })
        .collect();
    apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    for r in &found {
        lines::Entity::update_many()
            .col_expr(
                lines::Column::ExpectedMilli,
                sea_orm::sea_query::Expr::value(r.on_hand_milli),
            )
            .filter(lines::Column::TenantId.eq(ctx.tenant_id))
            .filter(lines::Column::Id.eq(r.line.id))
            .exec(&*tx)
            .await?;
    }
    let mut model: counts::ActiveModel = count.into();
    model.status = Set(CountStatus::Posted.key().into());
    model.posted_at = Set(Some(tx.now()));
    let count = tx.update(model).await?;
    let net: i64 = found.iter().map(Reviewed::difference_milli).sum();
    audit::record(
        &mut tx,
        ctx,
        "commerce.stock_count.posted",
        ("stock_count", Some(count.id)),
        serde_json::json!({ "lines": found.len(), "adjusted": moves.len(), "net": from_milli(net) }),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

/// Drops an open count without touching stock.
pub async fn cancel(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<StockCount> {
    ctx.require(Permission::InventoryAdjust)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let count = open_count(&tx, id).await?;
    let mut model: counts::ActiveModel = count.into();
    model.status = Set(CountStatus::Cancelled.key().into());
    let count = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.stock_count.cancelled",
        ("stock_count", Some(count.id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<StockCount>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<counts::Entity>(),
        counts::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

async fn lines_in(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<StockCountLine>>> {
    let rows = tx
        .select::<lines::Entity>()
        .filter(lines::Column::CountId.is_in(ids.iter().copied()))
        .order_by_asc(lines::Column::Id)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |row| Some(row.count_id)))
}
