//! Stock: locations, what each holds of each variant, and the append-only ledger of
//! movements that is the only way those levels change.
//!
//! A level is changed by one conditional statement, so concurrent sales of the last unit
//! cannot both take it: on PostgreSQL the `UPDATE … WHERE on_hand + delta >= 0` waits for
//! the row lock and re-checks the condition on the committed value; on SQLite writers are
//! serialised by the immediate transaction. Exactly one wins, the other answers CONFLICT.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, TryIntoModel,
};
use tianguis_entity::commerce::{
    product_variants, products, stock_levels, stock_locations, stock_movements,
};
use tianguis_kernel::rules::{EmailAddress, money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::amounts::{self, from_milli};
use crate::catalog::{Product, Variant, require_catalog_read, unit_of};
use crate::db::{TenantTx, Touched, raw, stamped};
use crate::email::NewEmail;
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, tenancy};

pub use stock_levels::Model as StockLevel;
pub use stock_locations::Model as Location;
pub use stock_movements::Model as Movement;

tianguis_kernel::stored_enum! {
    pub enum LocationKind {
        Store = "store",
        Warehouse = "warehouse",
    }
}

tianguis_kernel::stored_enum! {
    pub enum MovementKind {
        Receipt = "receipt",
        Sale = "sale",
        Return = "return",
        Adjustment = "adjustment",
        TransferIn = "transfer_in",
        TransferOut = "transfer_out",
        /// Merma: spoiled, broken or trimmed away.
        Waste = "waste",
    }
}

// ---- locations ----

#[derive(Clone, Debug, Default)]
pub struct LocationInput {
    pub name: Option<String>,
    pub kind: Option<LocationKind>,
    pub alert_emails: Option<Vec<String>>,
    pub active: Option<bool>,
}

fn apply_location(model: &mut stock_locations::ActiveModel, input: LocationInput) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    if let Some(kind) = input.kind {
        model.kind = Set(kind.key().into());
    }
    if let Some(emails) = input.alert_emails {
        if emails.len() > 10 {
            return Err(Error::invalid("alertEmails", "at most 10 addresses"));
        }
        let emails: Vec<String> = emails
            .iter()
            .map(|e| EmailAddress::parse(e, "alertEmails").map(|e| e.as_str().to_owned()))
            .collect::<Result<_>>()?;
        model.alert_emails = Set(serde_json::json!(emails));
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

fn location_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_stock_locations_name",
        "stock_locations.tenant_id, stock_locations.name",
        "name",
        "a location with this name exists",
    )
}

pub async fn create_location(
    deps: &Deps,
    ctx: &TenantCtx,
    input: LocationInput,
) -> Result<Location> {
    ctx.require(Permission::CommerceWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model = stock_locations::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        kind: Set(LocationKind::Store.key().into()),
        alert_emails: Set(serde_json::json!([])),
        active: Set(true),
        ..Default::default()
    };
    apply_location(&mut model, input)?;
    let location = tx.insert(model).await.map_err(location_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.location.created",
        ("location", Some(location.id)),
        serde_json::json!({ "name": location.name, "kind": location.kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(location)
}

pub async fn update_location(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: LocationInput,
) -> Result<Location> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: stock_locations::ActiveModel = tx
        .get::<stock_locations::Entity>(id, "location")
        .await?
        .into();
    apply_location(&mut model, input)?;
    let location = tx.update(model).await.map_err(location_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.location.updated",
        ("location", Some(location.id)),
        serde_json::json!({ "name": location.name, "active": location.active }),
    )
    .await?;
    tx.commit().await?;
    Ok(location)
}

pub async fn list_locations(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Location>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<stock_locations::Entity>()
        .order_by_asc(stock_locations::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn locations_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Location>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<stock_locations::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

pub fn alert_emails_of(location: &Location) -> Vec<String> {
    tianguis_kernel::rules::tags_of(&location.alert_emails)
}

/// An active location of the business, or an error naming `field`.
pub(crate) async fn active_location(
    tx: &TenantTx,
    id: Uuid,
    field: &'static str,
) -> Result<Location> {
    let location = tx
        .get::<stock_locations::Entity>(id, "location")
        .await
        .map_err(|_| Error::invalid(field, "no such location"))?;
    if !location.active {
        return Err(Error::invalid(field, "the location is closed"));
    }
    Ok(location)
}

// ---- the ledger ----

/// One change to apply to a variant's stock at a location.
pub(crate) struct Move<'a> {
    pub variant: &'a Variant,
    pub product: &'a Product,
    pub location: &'a Location,
    pub kind: MovementKind,
    /// Signed, in thousandths.
    pub quantity_milli: i64,
    pub unit_cost_minor: i64,
    pub reason: Option<String>,
    pub reference_id: Option<Uuid>,
    /// How much of the level's reservation this move consumes: what a fulfilled order
    /// takes, it no longer holds back.
    pub releases_milli: i64,
}

impl Move<'_> {
    /// A count or a loss records what is physically there, reservations or not; anything
    /// else leaves what confirmed orders hold back.
    fn respects_reservations(&self) -> bool {
        !matches!(self.kind, MovementKind::Adjustment | MovementKind::Waste)
    }
}

#[derive(FromQueryResult)]
struct Balance {
    on_hand_milli: i64,
}

/// Applies the moves in order and writes their ledger rows: the one way stock changes.
/// A move that would take a level below zero, for a product that does not allow back-orders,
/// fails with CONFLICT on `field` naming what is left. Moves of services are skipped.
pub(crate) async fn apply_moves(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    moves: &[Move<'_>],
    field: &'static str,
) -> Result<Vec<Movement>> {
    let backend = tx.get_database_backend();
    let mut rows = Vec::with_capacity(moves.len());
    let mut fell_low = Vec::new();
    for m in moves.iter().filter(|m| m.product.track_stock) {
        let guarded = m.quantity_milli < 0 && !m.product.allow_backorder;
        let balance = if guarded {
            Balance::find_by_statement(raw(
                backend,
                if m.respects_reservations() {
                    "UPDATE stock_levels SET on_hand_milli = on_hand_milli + $1,
                       reserved_milli = reserved_milli - $6, updated_at = $2
                     WHERE tenant_id = $3 AND variant_id = $4 AND location_id = $5
                       AND on_hand_milli + $1 >= reserved_milli - $6
                     RETURNING on_hand_milli"
                } else {
                    "UPDATE stock_levels SET on_hand_milli = on_hand_milli + $1,
                       reserved_milli = reserved_milli - $6, updated_at = $2
                     WHERE tenant_id = $3 AND variant_id = $4 AND location_id = $5
                       AND on_hand_milli + $1 >= 0
                     RETURNING on_hand_milli"
                },
                [
                    m.quantity_milli.into(),
                    tx.now().into(),
                    ctx.tenant_id.into(),
                    m.variant.id.into(),
                    m.location.id.into(),
                    m.releases_milli.into(),
                ],
            ))
            .one(&**tx)
            .await?
        } else {
            Balance::find_by_statement(raw(
                backend,
                "INSERT INTO stock_levels
                   (id, tenant_id, variant_id, location_id, on_hand_milli, reserved_milli,
                    created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $6)
                 ON CONFLICT (tenant_id, variant_id, location_id) DO UPDATE
                   SET on_hand_milli = stock_levels.on_hand_milli + excluded.on_hand_milli,
                       reserved_milli = stock_levels.reserved_milli - $7,
                       updated_at = excluded.updated_at
                 RETURNING on_hand_milli",
                [
                    Uuid::now_v7().into(),
                    ctx.tenant_id.into(),
                    m.variant.id.into(),
                    m.location.id.into(),
                    m.quantity_milli.into(),
                    tx.now().into(),
                    m.releases_milli.into(),
                ],
            ))
            .one(&**tx)
            .await?
        };
        let Some(balance) = balance else {
            let left = available(tx, m.variant.id, m.location.id).await?;
            return Err(Error::conflict(
                field,
                format!(
                    "{} ({}) has {} left at {}",
                    m.product.name,
                    m.variant.sku,
                    from_milli(left),
                    m.location.name
                ),
            ));
        };
        let after = balance.on_hand_milli;
        if let Some(threshold) = m.variant.low_stock_milli
            && after - m.quantity_milli >= threshold
            && after < threshold
        {
            fell_low.push((m, after, threshold));
        }
        rows.push(
            stamped(
                tx.now(),
                stock_movements::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    variant_id: Set(m.variant.id),
                    location_id: Set(m.location.id),
                    kind: Set(m.kind.key().into()),
                    quantity_milli: Set(m.quantity_milli),
                    balance_after_milli: Set(after),
                    unit_cost_minor: Set(m.unit_cost_minor),
                    reason: Set(m.reason.clone()),
                    reference_id: Set(m.reference_id),
                    actor_id: Set(ctx.actor.id()),
                    ..Default::default()
                },
            )
            .try_into_model()?,
        );
    }
    if !rows.is_empty() {
        stock_movements::Entity::insert_many(
            rows.iter().cloned().map(stock_movements::ActiveModel::from),
        )
        .exec_without_returning(&**tx)
        .await?;
    }
    for (m, after, threshold) in fell_low {
        raise_low_stock(deps, tx, ctx, m, after, threshold).await?;
    }
    Ok(rows)
}

/// Adds `quantity` to a counter column of the row `id` only while it stays within `limit`:
/// one statement, so two requests at once cannot both take the last of it. False when it
/// would have gone over.
pub(crate) async fn claim<E>(
    tx: &TenantTx,
    column: E::Column,
    id: Uuid,
    quantity: i64,
    limit: i64,
) -> Result<bool>
where
    E: EntityTrait,
    E::Column: std::str::FromStr,
{
    let claimed = E::update_many()
        .col_expr(column, Expr::col(column).add(quantity))
        .touched(tx.now())
        .filter(Expr::col("tenant_id").eq(tx.tenant_id()))
        .filter(Expr::col("id").eq(id))
        .filter(Expr::col(column).add(quantity).lte(limit))
        .exec(&**tx)
        .await?
        .rows_affected;
    Ok(claimed == 1)
}

/// What a location has of a variant that no confirmed order holds back.
pub(crate) async fn available(tx: &TenantTx, variant: Uuid, location: Uuid) -> Result<i64> {
    Ok(tx
        .select::<stock_levels::Entity>()
        .filter(stock_levels::Column::VariantId.eq(variant))
        .filter(stock_levels::Column::LocationId.eq(location))
        .one(&**tx)
        .await?
        .map_or(0, |l| l.on_hand_milli - l.reserved_milli))
}

/// Records `commerce.stock.low` and emails the location's alert addresses.
async fn raise_low_stock(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    m: &Move<'_>,
    after: i64,
    threshold: i64,
) -> Result<()> {
    audit::record(
        tx,
        ctx,
        "commerce.stock.low",
        ("variant", Some(m.variant.id)),
        serde_json::json!({
            "productId": m.product.id,
            "sku": m.variant.sku,
            "locationId": m.location.id,
            "onHand": from_milli(after),
            "threshold": from_milli(threshold),
        }),
    )
    .await?;
    let recipients = alert_emails_of(m.location);
    if recipients.is_empty() {
        return Ok(());
    }
    let (branding, locale) = tenancy::tenants::branding(&**tx, ctx.tenant_id).await?;
    let link = format!("{}/commerce/products/{}", deps.mail.app_url, m.product.id);
    let (on_hand, threshold) = (
        from_milli(after).to_string(),
        from_milli(threshold).to_string(),
    );
    for to in recipients {
        let job = crate::email::queue(
            &**tx,
            NewEmail {
                at: tx.now(),
                tenant_id: Some(ctx.tenant_id),
                to: &to,
                locale: &locale,
                branding: &branding,
                template: &crate::emails::LowStock {
                    product: &m.product.name,
                    sku: &m.variant.sku,
                    location: &m.location.name,
                    on_hand: &on_hand,
                    threshold: &threshold,
                    link: &link,
                },
            },
        )
        .await?;
        tx.enqueue_after_commit(job).await?;
    }
    Ok(())
}

/// The variants named and their products, read in two statements; an unknown one is an
/// error on `field`.
pub(crate) async fn variants_with_products(
    tx: &TenantTx,
    ids: &[Uuid],
    field: &'static str,
) -> Result<(HashMap<Uuid, Variant>, HashMap<Uuid, Product>)> {
    let variants = tx.get_many::<product_variants::Entity>(ids).await?;
    if let Some(missing) = ids.iter().find(|id| !variants.contains_key(id)) {
        return Err(Error::invalid(field, format!("no such variant {missing}")));
    }
    let product_ids: Vec<Uuid> = variants.values().map(|v| v.product_id).collect();
    let products = tx.get_many::<products::Entity>(&product_ids).await?;
    Ok((variants, products))
}

// ---- receiving, adjusting, transferring, waste ----

#[derive(Clone, Debug)]
pub struct ReceiptLine {
    pub variant_id: Uuid,
    pub quantity: rust_decimal::Decimal,
    pub unit_cost: rust_decimal::Decimal,
}

/// Stock received at a location at a cost: the levels go up and each variant's average
/// cost takes the new units in.
pub async fn receive(
    deps: &Deps,
    ctx: &TenantCtx,
    location_id: Uuid,
    lines: Vec<ReceiptLine>,
    reason: Option<String>,
) -> Result<Vec<Movement>> {
    ctx.require(Permission::CommerceWrite)?;
    if lines.is_empty() || lines.len() > 500 {
        return Err(Error::invalid("lines", "1 to 500 lines"));
    }
    let reason = optional_text(reason.as_deref(), "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let location = active_location(&tx, location_id, "locationId").await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(&tx, &ids, "variantId").await?;
    let mut parsed = Vec::with_capacity(lines.len());
    for line in &lines {
        let variant = &variants[&line.variant_id];
        let product = &products[&variant.product_id];
        let quantity = amounts::quantity_milli(line.quantity, unit_of(product)?, "quantity")?;
        let cost = money_minor(line.unit_cost, &variant.currency, "unitCost")?;
        parsed.push((line.variant_id, quantity, cost));
    }
    let rows = receive_in(deps, &mut tx, ctx, &location, &parsed, reason, None).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.stock.received",
        ("location", Some(location.id)),
        serde_json::json!({ "lines": rows.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Posts receipts of (variant, thousandths, unit cost) at a location inside the caller's
/// transaction: each variant's average cost takes them in, then the levels go up.
pub(crate) async fn receive_in(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    location: &Location,
    lines: &[(Uuid, i64, i64)],
    reason: Option<String>,
    reference_id: Option<Uuid>,
) -> Result<Vec<Movement>> {
    let ids: Vec<Uuid> = lines.iter().map(|(id, _, _)| *id).collect();
    let (mut variants, products) = variants_with_products(tx, &ids, "variantId").await?;
    for (variant_id, quantity, cost) in lines {
        let variant = variants.get_mut(variant_id).expect("read above");
        variant.cost_minor = take_in_cost(tx, variant, *quantity, *cost).await?;
    }
    let moves: Vec<Move> = lines
        .iter()
        .map(|(variant_id, quantity, cost)| {
            let variant = &variants[variant_id];
            Move {
                variant,
                product: &products[&variant.product_id],
                location,
                kind: MovementKind::Receipt,
                quantity_milli: *quantity,
                unit_cost_minor: *cost,
                reason: reason.clone(),
                reference_id,
                releases_milli: 0,
            }
        })
        .collect();
    apply_moves(deps, tx, ctx, &moves, "lines").await
}

/// The variant's new average cost once `quantity` more at `cost` is in, written in place.
/// The variant's row is locked first, so concurrent receipts average one after the other.
async fn take_in_cost(tx: &TenantTx, variant: &Variant, quantity: i64, cost: i64) -> Result<i64> {
    #[derive(FromQueryResult)]
    struct Held {
        cost_minor: i64,
    }
    let backend = tx.get_database_backend();
    let held = Held::find_by_statement(raw(
        backend,
        "UPDATE product_variants SET updated_at = $1 WHERE tenant_id = $2 AND id = $3
         RETURNING cost_minor",
        [tx.now().into(), tx.tenant_id().into(), variant.id.into()],
    ))
    .one(&**tx)
    .await?
    .ok_or(Error::NotFound("variant"))?;
    let total: i64 = tx
        .select::<stock_levels::Entity>()
        .filter(stock_levels::Column::VariantId.eq(variant.id))
        .all(&**tx)
        .await?
        .iter()
        .map(|l| l.on_hand_milli)
        .sum();
    let new_cost = average_cost(std::cmp::max(total, 0), held.cost_minor, quantity, cost);
    product_variants::Entity::update_many()
        .col_expr(
            product_variants::Column::CostMinor,
            sea_orm::sea_query::Expr::value(new_cost),
        )
        .filter(product_variants::Column::TenantId.eq(tx.tenant_id()))
        .filter(product_variants::Column::Id.eq(variant.id))
        .exec(&**tx)
        .await?;
    Ok(new_cost)
}

/// Weighted average of what is held and what comes in, rounded half away from zero.
pub fn average_cost(held_milli: i64, held_cost: i64, in_milli: i64, in_cost: i64) -> i64 {
    let total = i128::from(held_milli) + i128::from(in_milli);
    if total <= 0 {
        return in_cost;
    }
    crate::amounts::scaled(
        i128::from(held_milli) * i128::from(held_cost) + i128::from(in_milli) * i128::from(in_cost),
        total,
    )
}

/// A correction of the count (positive or negative) with its reason.
pub async fn adjust(
    deps: &Deps,
    ctx: &TenantCtx,
    location_id: Uuid,
    variant_id: Uuid,
    quantity: rust_decimal::Decimal,
    reason: String,
) -> Result<Movement> {
    single_move(
        deps,
        ctx,
        location_id,
        variant_id,
        quantity,
        reason,
        MovementKind::Adjustment,
    )
    .await
}

/// Stock lost to spoilage, breakage or trimming (merma).
pub async fn record_waste(
    deps: &Deps,
    ctx: &TenantCtx,
    location_id: Uuid,
    variant_id: Uuid,
    quantity: rust_decimal::Decimal,
    reason: String,
) -> Result<Movement> {
    if quantity <= rust_decimal::Decimal::ZERO {
        return Err(Error::invalid("quantity", "quantity must be above zero"));
    }
    single_move(
        deps,
        ctx,
        location_id,
        variant_id,
        -quantity,
        reason,
        MovementKind::Waste,
    )
    .await
}

async fn single_move(
    deps: &Deps,
    ctx: &TenantCtx,
    location_id: Uuid,
    variant_id: Uuid,
    quantity: rust_decimal::Decimal,
    reason: String,
    kind: MovementKind,
) -> Result<Movement> {
    ctx.require(Permission::InventoryAdjust)?;
    let reason = required_text(&reason, "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let location = active_location(&tx, location_id, "locationId").await?;
    let (variants, products) = variants_with_products(&tx, &[variant_id], "variantId").await?;
    let variant = &variants[&variant_id];
    let product = &products[&variant.product_id];
    if !product.track_stock {
        return Err(Error::invalid("variantId", "a service has no stock"));
    }
    let quantity = amounts::signed_quantity_milli(quantity, unit_of(product)?, "quantity")?;
    if quantity == 0 {
        return Err(Error::invalid("quantity", "quantity cannot be zero"));
    }
    let moves = [Move {
        variant,
        product,
        location: &location,
        kind,
        quantity_milli: quantity,
        unit_cost_minor: variant.cost_minor,
        reason: Some(reason),
        reference_id: None,
        releases_milli: 0,
    }];
    let mut rows = apply_moves(deps, &mut tx, ctx, &moves, "quantity").await?;
    let movement = rows
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no movement written"))?;
    audit::record(
        &mut tx,
        ctx,
        &format!("commerce.stock.{}", kind.key()),
        ("variant", Some(variant.id)),
        serde_json::json!({
            "locationId": location.id,
            "quantity": from_milli(quantity),
            "reason": movement.reason,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(movement)
}

#[derive(Clone, Debug)]
pub struct TransferLine {
    pub variant_id: Uuid,
    pub quantity: rust_decimal::Decimal,
}

/// Moves stock from one location to another: both sides in one transaction, and the
/// source never below zero.
pub async fn transfer(
    deps: &Deps,
    ctx: &TenantCtx,
    from: Uuid,
    to: Uuid,
    lines: Vec<TransferLine>,
    reason: Option<String>,
) -> Result<Vec<Movement>> {
    ctx.require(Permission::CommerceWrite)?;
    if from == to {
        return Err(Error::invalid("toLocationId", "pick another location"));
    }
    if lines.is_empty() || lines.len() > 500 {
        return Err(Error::invalid("lines", "1 to 500 lines"));
    }
    let reason = optional_text(reason.as_deref(), "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let source = active_location(&tx, from, "fromLocationId").await?;
    let target = active_location(&tx, to, "toLocationId").await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(&tx, &ids, "variantId").await?;
    let reference = Uuid::now_v7();
    let mut moves = Vec::with_capacity(lines.len() * 2);
    for line in &lines {
        let variant = &variants[&line.variant_id];
        let product = &products[&variant.product_id];
        let quantity = amounts::quantity_milli(line.quantity, unit_of(product)?, "quantity")?;
        // A transfer never takes more than is there, back-orders or not.
        let strict = Product {
            allow_backorder: false,
            ..product.clone()
        };
        for (location, kind, sign) in [
            (&source, MovementKind::TransferOut, -1),
            (&target, MovementKind::TransferIn, 1),
        ] {
            moves.push((variant, strict.clone(), location, kind, sign * quantity));
        }
    }
    let moves: Vec<Move> = moves
        .iter()
        .map(|(variant, product, location, kind, quantity)| Move {
            variant,
            product,
            location,
            kind: *kind,
            quantity_milli: *quantity,
            unit_cost_minor: variant.cost_minor,
            reason: reason.clone(),
            reference_id: Some(reference),
            releases_milli: 0,
        })
        .collect();
    let rows = apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.stock.transferred",
        ("location", Some(source.id)),
        serde_json::json!({ "to": target.id, "lines": lines.len(), "reference": reference }),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

// ---- reading ----

/// The currency the business keeps its costs in.
pub async fn currency(deps: &Deps, ctx: &TenantCtx) -> Result<String> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let currency = crate::db::tenant_region(&*tx, ctx.tenant_id)
        .await?
        .currency;
    tx.commit().await?;
    Ok(currency)
}

#[derive(Clone, Debug, Default)]
pub struct LevelFilter {
    pub location_id: Option<Uuid>,
    pub variant_id: Option<Uuid>,
    /// Only levels below their variant's low-stock threshold.
    pub low_only: bool,
}

pub async fn levels(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: LevelFilter,
    page: &PageRequest,
) -> Result<Page<StockLevel>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<stock_levels::Entity>();
    if let Some(location) = filter.location_id {
        select = select.filter(stock_levels::Column::LocationId.eq(location));
    }
    if let Some(variant) = filter.variant_id {
        select = select.filter(stock_levels::Column::VariantId.eq(variant));
    }
    if filter.low_only {
        select = select.filter(sea_orm::sea_query::Expr::cust(
            "stock_levels.on_hand_milli < (SELECT v.low_stock_milli FROM product_variants v \
             WHERE v.id = stock_levels.variant_id)",
        ));
    }
    let page = paginate(
        &*tx,
        select,
        stock_levels::Column::Id,
        SortDirection::Asc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// Each variant's levels at every location: one statement per batch.
pub async fn levels_of(
    deps: &Deps,
    ctx: &TenantCtx,
    variant_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<StockLevel>>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<stock_levels::Entity>()
        .filter(stock_levels::Column::VariantId.is_in(variant_ids.iter().copied()))
        .order_by_asc(stock_levels::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.variant_id)))
}

#[derive(Clone, Debug, Default)]
pub struct MovementFilter {
    pub variant_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    pub kind: Option<MovementKind>,
    /// The ticket or transfer the movements belong to.
    pub reference_id: Option<Uuid>,
}

/// The ledger, newest first, with the currency its costs are in.
pub async fn movements(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: MovementFilter,
    page: &PageRequest,
) -> Result<(Page<Movement>, String)> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<stock_movements::Entity>();
    if let Some(variant) = filter.variant_id {
        select = select.filter(stock_movements::Column::VariantId.eq(variant));
    }
    if let Some(location) = filter.location_id {
        select = select.filter(stock_movements::Column::LocationId.eq(location));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(stock_movements::Column::Kind.eq(kind.key()));
    }
    if let Some(reference) = filter.reference_id {
        select = select.filter(stock_movements::Column::ReferenceId.eq(reference));
    }
    let page = paginate(
        &*tx,
        select,
        stock_movements::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    let currency = crate::db::tenant_region(&*tx, ctx.tenant_id)
        .await?
        .currency;
    tx.commit().await?;
    Ok((page, currency))
}

#[cfg(test)]
mod tests {
    use super::average_cost;

    #[test]
    fn the_average_cost_weighs_what_is_held_and_what_comes_in() {
        // 10 at $50.00 held, 30 in at $60.00: $57.50.
        assert_eq!(average_cost(10_000, 5_000, 30_000, 6_000), 5_750);
        // Nothing held (or less than nothing): the new cost.
        assert_eq!(average_cost(0, 9_999, 1_000, 4_200), 4_200);
        // 1 at $1.00 and 2 at $0.01: $0.34 (1.02 / 3 = 0.34).
        assert_eq!(average_cost(1_000, 100, 2_000, 1), 34);
    }
}
