//! Sales orders: taken through the API, at the point of sale, or by an agent inside a
//! conversation, and followed to payment and delivery.
//!
//! draft → confirmed (its stock reserved at its location) → paid → fulfilled (the stock
//! taken) → returned, or cancelled before fulfilment (the reservation released). Payments
//! may come in parts, by hand or through a Stripe Checkout page; refunds give back at most
//! what was paid. Prices include their taxes, as at the till; an order's discount is shared
//! over its lines so each line's taxes come out of what is actually charged.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TryIntoModel,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::commerce::{
    sales_order_lines as lines, sales_order_payments as payments, sales_orders as orders,
    stock_levels, stock_locations,
};
use tianguis_kernel::db::raw;
use tianguis_kernel::pricing::Tax;
use tianguis_kernel::rules::{from_minor, money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::amounts::{self, from_milli, line_figures};
use crate::catalog::{self, ProductStatus, ieps_of, require_catalog_read, unit_of};
use crate::db::{Current, TenantTx, Touched, stamped, tenant_region};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::price_lists::{self, PriceList};
use crate::stock::{Location, Move, MovementKind, apply_moves, variants_with_products};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use lines::Model as SalesOrderLine;
pub use orders::Model as SalesOrder;
pub use payments::Model as SalesOrderPayment;

tianguis_kernel::stored_enum! {
    pub enum OrderStatus {
        Draft = "draft",
        /// Its stock is held back for it.
        Confirmed = "confirmed",
        Paid = "paid",
        /// Handed over or shipped: its stock is taken.
        Fulfilled = "fulfilled",
        Cancelled = "cancelled",
        /// Everything delivered came back.
        Returned = "returned",
    }
}

tianguis_kernel::stored_enum! {
    pub enum OrderSource {
        Api = "api",
        /// Taken by an agent in a conversation.
        Inbox = "inbox",
        Pos = "pos",
    }
}

tianguis_kernel::stored_enum! {
    pub enum MoneyDirection {
        Payment = "payment",
        Refund = "refund",
    }
}

tianguis_kernel::stored_enum! {
    pub enum OrderPaymentMethod {
        Cash = "cash",
        /// A card on the store's terminal.
        Card = "card",
        Transfer = "transfer",
        /// Paid on a Stripe Checkout page; recorded when Stripe reports it.
        Stripe = "stripe",
    }
}

/// Lines one order may have.
pub const MAX_LINES: usize = 200;

#[derive(Clone, Debug)]
pub struct LineInput {
    pub variant_id: Option<Uuid>,
    /// A barcode or SKU.
    pub code: Option<String>,
    pub quantity: Decimal,
    /// Off the line, taxes included.
    pub discount: Option<Decimal>,
}

/// Where an order is delivered, as Mexican addresses are written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub recipient: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    /// Colonia.
    pub neighborhood: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
    /// How to find it: "portón negro, junto a la farmacia".
    pub directions: Option<String>,
}

impl Address {
    fn checked(self) -> Result<Self> {
        let postal_code = optional_text(
            self.postal_code.as_deref(),
            "deliveryAddress.postalCode",
            10,
        )?;
        if let Some(code) = &postal_code
            && !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        {
            return Err(Error::invalid(
                "deliveryAddress.postalCode",
                "a postal code is letters, digits, spaces and dashes",
            ));
        }
        let country = required_text(&self.country, "deliveryAddress.country", 2)?.to_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::invalid(
                "deliveryAddress.country",
                "the country is its two-letter ISO code, such as MX",
            ));
        }
        Ok(Address {
            recipient: optional_text(self.recipient.as_deref(), "deliveryAddress.recipient", 200)?,
            phone: optional_text(self.phone.as_deref(), "deliveryAddress.phone", 30)?,
            street: required_text(&self.street, "deliveryAddress.street", 300)?,
            neighborhood: optional_text(
                self.neighborhood.as_deref(),
                "deliveryAddress.neighborhood",
                200,
            )?,
            city: required_text(&self.city, "deliveryAddress.city", 200)?,
            state: optional_text(self.state.as_deref(), "deliveryAddress.state", 200)?,
            postal_code,
            country,
            directions: optional_text(
                self.directions.as_deref(),
                "deliveryAddress.directions",
                500,
            )?,
        })
    }
}

pub fn address_of(order: &SalesOrder) -> Option<Address> {
    order
        .delivery_address
        .clone()
        .and_then(|value| serde_json::from_value(value).ok())
}

#[derive(Clone, Debug, Default)]
pub struct OrderInput {
    /// Defaults to api, or inbox when a conversation is named.
    pub source: Option<OrderSource>,
    pub contact_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    /// Defaults to the business's first open store.
    pub location_id: Option<Uuid>,
    /// Defaults to the list the customer's tags give, else the catalog's prices.
    pub price_list_id: Option<Uuid>,
    pub lines: Vec<LineInput>,
    /// Off the whole order, taxes included.
    pub discount: Option<Decimal>,
    pub delivery_address: Option<Address>,
    pub notes: Option<String>,
}

/// Changes to a draft; `None` leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct OrderChanges {
    pub contact_id: Option<Option<Uuid>>,
    pub price_list_id: Option<Option<Uuid>>,
    pub location_id: Option<Uuid>,
    pub lines: Option<Vec<LineInput>>,
    pub discount: Option<Option<Decimal>>,
    pub delivery_address: Option<Option<Address>>,
    pub notes: Option<Option<String>>,
}

// ---- pricing ----

/// Prices `input` into line rows for `order`, sharing `discount` over the lines in
/// proportion to what each comes to; returns the rows and the order's subtotal.
async fn priced_lines(
    tx: &TenantTx,
    order: Uuid,
    currency: &str,
    input: &[LineInput],
    discount: i64,
    list: Option<&PriceList>,
) -> Result<(Vec<SalesOrderLine>, i64)> {
    if input.is_empty() || input.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let ids =
        catalog::resolve_variants(tx, input.iter().map(|l| (l.variant_id, l.code.as_deref())))
            .await?;
    let (variants, products) = variants_with_products(tx, &ids, "variantId").await?;
    let listed = price_lists::prices(tx, list, &ids).await?;
    // First each line on its own discount, to know what the order's discount is shared over.
    let mut drafted = Vec::with_capacity(input.len());
    for (line, id) in input.iter().zip(&ids) {
        let variant = &variants[id];
        let product = &products[&variant.product_id];
        if !variant.active || product.status != ProductStatus::Active.key() {
            return Err(Error::invalid(
                "lines",
                format!("{} ({}) is not for sale", product.name, variant.sku),
            ));
        }
        let quantity = amounts::quantity_milli(line.quantity, unit_of(product)?, "quantity")?;
        let own_discount = line
            .discount
            .map(|d| money_minor(d, currency, "discount"))
            .transpose()?
            .unwrap_or(0);
        let tax = Tax::from_stored(&product.tax)?;
        let ieps = ieps_of(product)?;
        let price = listed.get(id).copied().unwrap_or(variant.price_minor);
        let alone = line_figures(quantity, price, own_discount, tax, ieps, currency)?;
        drafted.push((
            variant,
            product,
            quantity,
            price,
            own_discount,
            tax,
            ieps,
            alone.total,
        ));
    }
    let subtotal: i64 = drafted.iter().map(|d| d.7).sum();
    if discount > subtotal {
        return Err(Error::invalid(
            "discount",
            "the order's discount cannot exceed what its lines come to",
        ));
    }
    // Shares rounded per line; the last line takes what rounding left, so they add up.
    let mut left = discount;
    let mut rows = Vec::with_capacity(drafted.len());
    let last = drafted.len() - 1;
    for (position, (variant, product, quantity, price, own, tax, ieps, alone)) in
        drafted.into_iter().enumerate()
    {
        let share = if position == last {
            left
        } else {
            std::cmp::min(amounts::share(discount, alone, subtotal), left)
        };
        left -= share;
        let figures = line_figures(quantity, price, own + share, tax, ieps, currency)?;
        rows.push(
            stamped(
                tx.now(),
                lines::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    order_id: Set(order),
                    position: Set(position as i32),
                    variant_id: Set(variant.id),
                    description: Set(crate::pos::describe(product, variant)),
                    sku: Set(variant.sku.clone()),
                    quantity_milli: Set(quantity),
                    unit: Set(product.unit.clone()),
                    unit_price_minor: Set(price),
                    discount_minor: Set(own),
                    order_discount_minor: Set(share),
                    total_minor: Set(figures.total),
                    base_minor: Set(figures.base),
                    iva_minor: Set(figures.iva),
                    ieps_minor: Set(figures.ieps),
                    tax: Set(product.tax.clone()),
                    ieps_rate: Set(product.ieps_rate.clone()),
                    sat_product_key: Set(product.sat_product_key.clone()),
                    sat_unit_key: Set(product.sat_unit_key.clone()),
                    returned_milli: Set(0),
                    ..Default::default()
                },
            )
            .try_into_model()?,
        );
    }
    Ok((rows, subtotal))
}

/// Writes `rows` as the order's lines, replacing any it had, and sets its totals.
async fn write_lines(
    tx: &TenantTx,
    model: &mut orders::ActiveModel,
    rows: Vec<SalesOrderLine>,
    subtotal: i64,
    discount: i64,
) -> Result<()> {
    let order_id = model.id.current()?;
    lines::Entity::delete_many()
        .filter(lines::Column::TenantId.eq(tx.tenant_id()))
        .filter(lines::Column::OrderId.eq(order_id))
        .exec(&**tx)
        .await?;
    model.subtotal_minor = Set(subtotal);
    model.discount_minor = Set(discount);
    model.total_minor = Set(rows.iter().map(|l| l.total_minor).sum());
    model.tax_minor = Set(rows.iter().map(|l| l.iva_minor + l.ieps_minor).sum());
    lines::Entity::insert_many(rows.into_iter().map(lines::ActiveModel::from))
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

async fn order_location(tx: &TenantTx, id: Option<Uuid>) -> Result<Location> {
    if let Some(id) = id {
        return crate::stock::active_location(tx, id, "locationId").await;
    }
    // The first open store, else the first open location of any kind.
    let open = tx
        .select::<stock_locations::Entity>()
        .filter(stock_locations::Column::Active.eq(true))
        .order_by_asc(stock_locations::Column::Id)
        .all(&**tx)
        .await?;
    open.iter()
        .find(|l| l.kind == crate::stock::LocationKind::Store.key())
        .or(open.first())
        .cloned()
        .ok_or_else(|| {
            Error::invalid(
                "locationId",
                "the business has no open location to sell from",
            )
        })
}

async fn check_contact(tx: &TenantTx, id: Uuid) -> Result<()> {
    tx.get::<tianguis_entity::crm::contacts::Entity>(id, "contact")
        .await
        .map(|_| ())
        .map_err(|_| Error::invalid("contactId", "no such contact"))
}

fn discount_minor(value: Option<Decimal>, currency: &str) -> Result<i64> {
    value
        .map(|d| money_minor(d, currency, "discount"))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn event_data(order: &SalesOrder) -> serde_json::Value {
    serde_json::json!({
        "number": order.number,
        "status": order.status,
        "source": order.source,
        "contactId": order.contact_id,
        "conversationId": order.conversation_id,
        "total": from_minor(order.total_minor, &order.currency),
        "paid": from_minor(order.paid_minor, &order.currency),
        "currency": order.currency,
    })
}

async fn record(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    action: &str,
    order: &SalesOrder,
) -> Result<()> {
    audit::record(
        tx,
        ctx,
        action,
        ("sales_order", Some(order.id)),
        event_data(order),
    )
    .await
}

// ---- writing orders ----

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: OrderInput) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let notes = optional_text(input.notes.as_deref(), "notes", 2_000)?;
    let address = input.delivery_address.map(Address::checked).transpose()?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(contact) = input.contact_id {
        check_contact(&tx, contact).await?;
    }
    let mut contact_id = input.contact_id;
    if let Some(conversation) = input.conversation_id {
        let conversation = tx
            .get::<tianguis_entity::messaging::conversations::Entity>(conversation, "conversation")
            .await
            .map_err(|_| Error::invalid("conversationId", "no such conversation"))?;
        // An order taken in a conversation is the conversation's contact's.
        if contact_id.is_some_and(|c| c != conversation.contact_id) {
            return Err(Error::invalid(
                "contactId",
                "the conversation is with another contact",
            ));
        }
        contact_id = Some(conversation.contact_id);
    }
    let source = input.source.unwrap_or(if input.conversation_id.is_some() {
        OrderSource::Inbox
    } else {
        OrderSource::Api
    });
    let location = order_location(&tx, input.location_id).await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let discount = discount_minor(input.discount, &currency)?;
    let id = Uuid::now_v7();
    let list = price_lists::applicable(&tx, input.price_list_id, contact_id).await?;
    let (rows, subtotal) =
        priced_lines(&tx, id, &currency, &input.lines, discount, list.as_ref()).await?;
    let number = tianguis_kernel::numbering::next_number(&tx, "sales_order", tx.now()).await?;
    let mut model = orders::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant_id),
        number: Set(number),
        source: Set(source.key().into()),
        status: Set(OrderStatus::Draft.key().into()),
        contact_id: Set(contact_id),
        conversation_id: Set(input.conversation_id),
        location_id: Set(location.id),
        price_list_id: Set(list.map(|l| l.id)),
        currency: Set(currency),
        subtotal_minor: Set(0),
        discount_minor: Set(0),
        total_minor: Set(0),
        tax_minor: Set(0),
        paid_minor: Set(0),
        refunded_minor: Set(0),
        delivery_address: Set(address
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?),
        notes: Set(notes),
        checkout_id: Set(None),
        checkout_url: Set(None),
        checkout_amount_minor: Set(None),
        invoice_id: Set(None),
        created_by: Set(ctx.actor_user()),
        confirmed_at: Set(None),
        paid_at: Set(None),
        fulfilled_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    };
    // The lines reference the order: its row goes first, with totals the lines give.
    let totals: i64 = rows.iter().map(|l| l.total_minor).sum();
    model.total_minor = Set(totals);
    let order = tx.insert(model).await?;
    let mut model: orders::ActiveModel = order.into();
    write_lines(&tx, &mut model, rows, subtotal, discount).await?;
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.created", &order).await?;
    tx.commit().await?;
    Ok(order)
}

/// Changes a draft: its lines, discount, customer, location, address or notes.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    changes: OrderChanges,
) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    if order.status != OrderStatus::Draft.key() {
        return Err(Error::conflict(
            "id",
            "only a draft order can be changed; cancel it and take a new one",
        ));
    }
    let mut model: orders::ActiveModel = order.clone().into();
    if let Some(contact) = changes.contact_id {
        if order.conversation_id.is_some() {
            return Err(Error::invalid(
                "contactId",
                "an order taken in a conversation stays with its contact",
            ));
        }
        if let Some(contact) = contact {
            check_contact(&tx, contact).await?;
        }
        model.contact_id = Set(contact);
    }
    if let Some(location) = changes.location_id {
        model.location_id = Set(order_location(&tx, Some(location)).await?.id);
    }
    if let Some(list) = changes.price_list_id {
        model.price_list_id = Set(list);
    }
    let repriced = changes.lines.is_some()
        || changes.discount.is_some()
        || changes.contact_id.is_some()
        || changes.price_list_id.is_some();
    if repriced {
        // The order's list stays unless changed; cleared, the customer's tags choose again.
        let named = match changes.price_list_id {
            Some(list) => list,
            None => order.price_list_id,
        };
        let contact = model.contact_id.current()?;
        let list = price_lists::applicable(&tx, named, contact).await?;
        model.price_list_id = Set(list.as_ref().map(|l| l.id));
        let discount = match changes.discount {
            Some(value) => discount_minor(value, &order.currency)?,
            None => order.discount_minor,
        };
        let current;
        let lines_input = match &changes.lines {
            Some(lines) => lines,
            None => {
                current = lines_in(&tx, &[order.id])
                    .await?
                    .remove(&order.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| LineInput {
                        variant_id: Some(l.variant_id),
                        code: None,
                        quantity: from_milli(l.quantity_milli),
                        discount: Some(from_minor(l.discount_minor, &order.currency)),
                    })
                    .collect::<Vec<_>>();
                &current
            }
        };
        let (rows, subtotal) = priced_lines(
            &tx,
            order.id,
            &order.currency,
            lines_input,
            discount,
            list.as_ref(),
        )
        .await?;
        write_lines(&tx, &mut model, rows, subtotal, discount).await?;
    }
    if let Some(address) = changes.delivery_address {
        model.delivery_address = Set(address
            .map(Address::checked)
            .transpose()?
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?);
    }
    if let Some(notes) = changes.notes {
        model.notes = Set(optional_text(notes.as_deref(), "notes", 2_000)?);
    }
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.updated", &order).await?;
    tx.commit().await?;
    Ok(order)
}

/// The order, checked to be in one of `allowed` states.
async fn in_state(
    tx: &TenantTx,
    id: Uuid,
    allowed: &[OrderStatus],
    doing: &str,
) -> Result<SalesOrder> {
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    let status = OrderStatus::from_stored(&order.status)?;
    if !allowed.contains(&status) {
        return Err(Error::conflict(
            "id",
            format!("a {} order cannot be {doing}", status.key()),
        ));
    }
    Ok(order)
}

/// What an order's lines need, keyed for the ledger.
struct Stocked {
    lines: Vec<SalesOrderLine>,
    variants: HashMap<Uuid, catalog::Variant>,
    products: HashMap<Uuid, catalog::Product>,
}

impl Stocked {
    async fn of(tx: &TenantTx, order: &SalesOrder) -> Result<Self> {
        let lines = lines_in(tx, &[order.id])
            .await?
            .remove(&order.id)
            .unwrap_or_default();
        let ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
        let (variants, products) = variants_with_products(tx, &ids, "lines").await?;
        Ok(Stocked {
            lines,
            variants,
            products,
        })
    }

    /// The lines whose stock is tracked, with their variant and product.
    fn tracked(
        &self,
    ) -> impl Iterator<Item = (&SalesOrderLine, &catalog::Variant, &catalog::Product)> {
        self.lines.iter().filter_map(|line| {
            let variant = &self.variants[&line.variant_id];
            let product = &self.products[&variant.product_id];
            product.track_stock.then_some((line, variant, product))
        })
    }
}

/// Holds back each tracked line's quantity at the location: one conditional statement per
/// line, so two orders confirmed at once cannot both hold the last unit.
async fn reserve(tx: &TenantTx, stocked: &Stocked, location: &Location) -> Result<()> {
    let backend = tx.get_database_backend();
    for (line, variant, product) in stocked.tracked() {
        let held = if product.allow_backorder {
            tx.execute_raw(raw(
                backend,
                "INSERT INTO stock_levels
                   (id, tenant_id, variant_id, location_id, on_hand_milli, reserved_milli,
                    created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 0, $5, $6, $6)
                 ON CONFLICT (tenant_id, variant_id, location_id) DO UPDATE
                   SET reserved_milli = stock_levels.reserved_milli + excluded.reserved_milli,
                       updated_at = excluded.updated_at",
                [
                    Uuid::now_v7().into(),
                    tx.tenant_id().into(),
                    variant.id.into(),
                    location.id.into(),
                    line.quantity_milli.into(),
                    tx.now().into(),
                ],
            ))
            .await?
        } else {
            tx.execute_raw(raw(
                backend,
                "UPDATE stock_levels SET reserved_milli = reserved_milli + $1, updated_at = $2
                 WHERE tenant_id = $3 AND variant_id = $4 AND location_id = $5
                   AND on_hand_milli - reserved_milli >= $1",
                [
                    line.quantity_milli.into(),
                    tx.now().into(),
                    tx.tenant_id().into(),
                    variant.id.into(),
                    location.id.into(),
                ],
            ))
            .await?
        };
        if held.rows_affected() == 0 {
            let left = crate::stock::available(tx, variant.id, location.id).await?;
            return Err(Error::conflict(
                "lines",
                format!(
                    "{} ({}) has {} available at {}",
                    product.name,
                    variant.sku,
                    from_milli(left),
                    location.name
                ),
            ));
        }
    }
    Ok(())
}

/// Gives back what `reserve` held.
async fn release(tx: &TenantTx, stocked: &Stocked, location_id: Uuid) -> Result<()> {
    for (line, variant, _) in stocked.tracked() {
        stock_levels::Entity::update_many()
            .col_expr(
                stock_levels::Column::ReservedMilli,
                Expr::col(stock_levels::Column::ReservedMilli).sub(line.quantity_milli),
            )
            .touched(tx.now())
            .filter(stock_levels::Column::TenantId.eq(tx.tenant_id()))
            .filter(stock_levels::Column::VariantId.eq(variant.id))
            .filter(stock_levels::Column::LocationId.eq(location_id))
            .exec(&**tx)
            .await?;
    }
    Ok(())
}

/// Confirms a draft: its stock is reserved at its location, or nothing happens.
pub async fn confirm(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = in_state(&tx, id, &[OrderStatus::Draft], "confirmed").await?;
    let location = crate::stock::active_location(&tx, order.location_id, "locationId").await?;
    let stocked = Stocked::of(&tx, &order).await?;
    reserve(&tx, &stocked, &location).await?;
    let mut model: orders::ActiveModel = order.into();
    model.status = Set(OrderStatus::Confirmed.key().into());
    model.confirmed_at = Set(Some(tx.now()));
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.confirmed", &order).await?;
    tx.commit().await?;
    Ok(order)
}

/// Hands the order over: its stock is taken from the location, consuming the reservation.
pub async fn fulfil(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = in_state(
        &tx,
        id,
        &[OrderStatus::Confirmed, OrderStatus::Paid],
        "fulfilled",
    )
    .await?;
    let location = tx
        .get::<stock_locations::Entity>(order.location_id, "location")
        .await?;
    let stocked = Stocked::of(&tx, &order).await?;
    let moves: Vec<Move> = stocked
        .tracked()
        .map(|(line, variant, product)| Move {
            variant,
            product,
            location: &location,
            kind: MovementKind::Sale,
            quantity_milli: -line.quantity_milli,
            unit_cost_minor: variant.cost_minor,
            reason: None,
            reference_id: Some(order.id),
            releases_milli: line.quantity_milli,
        })
        .collect();
    apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    let mut model: orders::ActiveModel = order.into();
    model.status = Set(OrderStatus::Fulfilled.key().into());
    model.fulfilled_at = Set(Some(tx.now()));
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.fulfilled", &order).await?;
    tx.commit().await?;
    Ok(order)
}

/// Cancels an order not yet fulfilled; a confirmed one gives its reservation back. What
/// was paid stays recorded until it is refunded.
pub async fn cancel(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    reason: Option<String>,
) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let reason = optional_text(reason.as_deref(), "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = in_state(
        &tx,
        id,
        &[
            OrderStatus::Draft,
            OrderStatus::Confirmed,
            OrderStatus::Paid,
        ],
        "cancelled",
    )
    .await?;
    if order.status != OrderStatus::Draft.key() {
        let stocked = Stocked::of(&tx, &order).await?;
        release(&tx, &stocked, order.location_id).await?;
    }
    let mut model: orders::ActiveModel = order.into();
    model.status = Set(OrderStatus::Cancelled.key().into());
    model.cancelled_at = Set(Some(tx.now()));
    if let Some(reason) = reason {
        let notes = match model.notes.as_ref() {
            Some(notes) => format!("{notes}\n{reason}"),
            None => reason,
        };
        model.notes = Set(Some(notes));
    }
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.cancelled", &order).await?;
    tx.commit().await?;
    Ok(order)
}

#[derive(Clone, Debug)]
pub struct ReturnLine {
    pub line_id: Uuid,
    pub quantity: Decimal,
}

/// Takes goods of a fulfilled order back into its location. Each line's returns are
/// claimed in one statement, so two returns recorded at once cannot exceed what was
/// delivered; when everything is back the order is `returned`.
pub async fn return_items(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    returned: Vec<ReturnLine>,
    reason: Option<String>,
) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    if returned.is_empty() || returned.len() > MAX_LINES {
        return Err(Error::invalid("lines", "1 or more lines to return"));
    }
    let reason = optional_text(reason.as_deref(), "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = in_state(&tx, id, &[OrderStatus::Fulfilled], "returned").await?;
    let location = tx
        .get::<stock_locations::Entity>(order.location_id, "location")
        .await?;
    let stocked = Stocked::of(&tx, &order).await?;
    let mut postings = Vec::with_capacity(returned.len());
    for wanted in &returned {
        let line = stocked
            .lines
            .iter()
            .find(|l| l.id == wanted.line_id)
            .ok_or_else(|| Error::invalid("lineId", "the line is not on this order"))?;
        let variant = &stocked.variants[&line.variant_id];
        let product = &stocked.products[&variant.product_id];
        let quantity = amounts::quantity_milli(wanted.quantity, unit_of(product)?, "quantity")?;
        if !crate::stock::claim::<lines::Entity>(
            &tx,
            lines::Column::ReturnedMilli,
            line.id,
            quantity,
            line.quantity_milli,
        )
        .await?
        {
            return Err(Error::conflict(
                "quantity",
                format!(
                    "{} has {} left to return",
                    line.description,
                    from_milli(line.quantity_milli - line.returned_milli)
                ),
            ));
        }
        postings.push((variant, product, quantity));
    }
    let moves: Vec<Move> = postings
        .iter()
        .map(|(variant, product, quantity)| Move {
            variant,
            product,
            location: &location,
            kind: MovementKind::Return,
            quantity_milli: *quantity,
            unit_cost_minor: variant.cost_minor,
            reason: reason.clone(),
            reference_id: Some(order.id),
            releases_milli: 0,
        })
        .collect();
    apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    let all_back = lines_in(&tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default()
        .iter()
        .all(|l| l.returned_milli >= l.quantity_milli);
    let order = if all_back {
        let mut model: orders::ActiveModel = order.into();
        model.status = Set(OrderStatus::Returned.key().into());
        tx.update(model).await?
    } else {
        order
    };
    record(&mut tx, ctx, "commerce.order.returned", &order).await?;
    tx.commit().await?;
    Ok(order)
}

// ---- money ----

#[derive(Clone, Debug)]
pub struct PaymentInput {
    pub method: OrderPaymentMethod,
    pub amount: Decimal,
    pub reference: Option<String>,
}

/// Records money received for an order, at most what it still owes; an order confirmed and
/// paid in full becomes `paid`.
pub async fn record_payment(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: PaymentInput,
) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    if input.method == OrderPaymentMethod::Stripe {
        return Err(Error::invalid(
            "method",
            "Stripe payments are recorded when Stripe reports them",
        ));
    }
    let reference = optional_text(input.reference.as_deref(), "reference", 100)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    let amount = money_minor(input.amount, &order.currency, "amount")?;
    let order = receive_in(&mut tx, ctx, order, input.method, amount, reference).await?;
    tx.commit().await?;
    Ok(order)
}

/// Applies a payment inside the caller's transaction: by hand, or Stripe's report.
pub async fn receive_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    order: SalesOrder,
    method: OrderPaymentMethod,
    amount: i64,
    reference: Option<String>,
) -> Result<SalesOrder> {
    let status = OrderStatus::from_stored(&order.status)?;
    if !matches!(
        status,
        OrderStatus::Confirmed | OrderStatus::Paid | OrderStatus::Fulfilled
    ) {
        return Err(Error::conflict(
            "id",
            format!(
                "a {} order takes no payments; confirm it first",
                status.key()
            ),
        ));
    }
    if amount <= 0 {
        return Err(Error::invalid("amount", "a payment is above zero"));
    }
    // Claimed in one statement: two payments recorded at once cannot pay more than the total.
    if !claim_payment(tx, order.id, amount).await? {
        return Err(Error::conflict(
            "amount",
            format!(
                "the order owes {}",
                from_minor(order.total_minor - order.paid_minor, &order.currency)
            ),
        ));
    }
    write_money(
        tx,
        ctx,
        &order,
        MoneyDirection::Payment,
        method,
        amount,
        reference,
        None,
    )
    .await?;
    let order = tx.get::<orders::Entity>(order.id, "sales order").await?;
    let order = if status == OrderStatus::Confirmed && order.paid_minor >= order.total_minor {
        let mut model: orders::ActiveModel = order.into();
        model.status = Set(OrderStatus::Paid.key().into());
        model.paid_at = Set(Some(tx.now()));
        tx.update(model).await?
    } else {
        order
    };
    record(tx, ctx, "commerce.order.payment_recorded", &order).await?;
    Ok(order)
}

async fn claim_payment(tx: &TenantTx, id: Uuid, amount: i64) -> Result<bool> {
    let claimed = orders::Entity::update_many()
        .col_expr(
            orders::Column::PaidMinor,
            Expr::col(orders::Column::PaidMinor).add(amount),
        )
        .touched(tx.now())
        .filter(orders::Column::TenantId.eq(tx.tenant_id()))
        .filter(orders::Column::Id.eq(id))
        .filter(
            Expr::col(orders::Column::PaidMinor)
                .add(amount)
                .lte(Expr::col(orders::Column::TotalMinor)),
        )
        .exec(&**tx)
        .await?
        .rows_affected;
    Ok(claimed == 1)
}

#[allow(clippy::too_many_arguments)]
async fn write_money(
    tx: &TenantTx,
    ctx: &TenantCtx,
    order: &SalesOrder,
    direction: MoneyDirection,
    method: OrderPaymentMethod,
    amount: i64,
    reference: Option<String>,
    reason: Option<String>,
) -> Result<()> {
    payments::Entity::insert(stamped(
        tx.now(),
        payments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            order_id: Set(order.id),
            kind: Set(direction.key().into()),
            method: Set(method.key().into()),
            amount_minor: Set(amount),
            reference: Set(reference),
            reason: Set(reason),
            actor_id: Set(ctx.actor.id()),
            ..Default::default()
        },
    ))
    .exec_without_returning(&**tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct RefundInput {
    pub method: OrderPaymentMethod,
    pub amount: Decimal,
    pub reference: Option<String>,
    pub reason: String,
}

/// Records money given back: never more than was paid and not yet refunded.
pub async fn refund(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: RefundInput,
) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let reference = optional_text(input.reference.as_deref(), "reference", 100)?;
    let reason = required_text(&input.reason, "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    let amount = money_minor(input.amount, &order.currency, "amount")?;
    if amount <= 0 {
        return Err(Error::invalid("amount", "a refund is above zero"));
    }
    let claimed = orders::Entity::update_many()
        .col_expr(
            orders::Column::RefundedMinor,
            Expr::col(orders::Column::RefundedMinor).add(amount),
        )
        .touched(tx.now())
        .filter(orders::Column::TenantId.eq(ctx.tenant_id))
        .filter(orders::Column::Id.eq(id))
        .filter(
            Expr::col(orders::Column::RefundedMinor)
                .add(amount)
                .lte(Expr::col(orders::Column::PaidMinor)),
        )
        .exec(&*tx)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Err(Error::conflict(
            "amount",
            format!(
                "at most {} can be refunded",
                from_minor(order.paid_minor - order.refunded_minor, &order.currency)
            ),
        ));
    }
    write_money(
        &tx,
        ctx,
        &order,
        MoneyDirection::Refund,
        input.method,
        amount,
        reference,
        Some(reason),
    )
    .await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    record(&mut tx, ctx, "commerce.order.refunded", &order).await?;
    tx.commit().await?;
    Ok(order)
}

// ---- reading ----

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<SalesOrder> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    tx.commit().await?;
    Ok(order)
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub source: Option<OrderSource>,
    pub contact_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: OrderFilter,
    page: &PageRequest,
) -> Result<Page<SalesOrder>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<orders::Entity>();
    if let Some(status) = filter.status {
        select = select.filter(orders::Column::Status.eq(status.key()));
    }
    if let Some(source) = filter.source {
        select = select.filter(orders::Column::Source.eq(source.key()));
    }
    if let Some(contact) = filter.contact_id {
        select = select.filter(orders::Column::ContactId.eq(contact));
    }
    if let Some(conversation) = filter.conversation_id {
        select = select.filter(orders::Column::ConversationId.eq(conversation));
    }
    let page = paginate(&*tx, select, orders::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}

async fn lines_in(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<SalesOrderLine>>> {
    let rows = tx
        .select::<lines::Entity>()
        .filter(lines::Column::OrderId.is_in(ids.iter().copied()))
        .order_by_asc(lines::Column::Position)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |row| Some(row.order_id)))
}

/// Each order's lines: one statement per batch.
pub async fn lines_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<SalesOrderLine>>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = lines_in(&tx, ids).await?;
    tx.commit().await?;
    Ok(found)
}

/// Each order's payments and refunds, oldest first: one statement per batch.
pub async fn payments_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<SalesOrderPayment>>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<payments::Entity>()
        .filter(payments::Column::OrderId.is_in(ids.iter().copied()))
        .order_by_asc(payments::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.order_id)))
}

// ---- paying online ----

/// A Stripe Checkout page for what the order still owes; asked again for the same balance,
/// the same page. The payment is recorded when Stripe reports it.
pub async fn checkout_link(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<SalesOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = in_state(
        &tx,
        id,
        &[OrderStatus::Confirmed, OrderStatus::Fulfilled],
        "paid online",
    )
    .await?;
    let email = crate::online::email_of(&tx, order.contact_id).await?;
    tx.commit().await?;
    let balance = order.total_minor - order.paid_minor;
    if balance <= 0 {
        return Err(Error::conflict("id", "the order is paid"));
    }
    if order.checkout_url.is_some() && order.checkout_amount_minor == Some(balance) {
        return Ok(order);
    }
    let link = crate::online::checkout(
        deps,
        ctx,
        crate::online::Page {
            subject: ("sales_order_id", id),
            return_path: format!("orders/{id}"),
            description: format!("Pedido {}", order.number),
            amount: balance,
            currency: &order.currency,
            customer_email: email,
            idempotency_key: format!("order-checkout-{id}-{}", order.paid_minor),
        },
    )
    .await?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<orders::Entity>(id, "sales order").await?;
    let mut model: orders::ActiveModel = current.into();
    model.checkout_id = Set(Some(link.id));
    model.checkout_url = Set(Some(link.url));
    model.checkout_amount_minor = Set(Some(balance));
    let order = tx.update(model).await?;
    record(&mut tx, ctx, "commerce.order.checkout_created", &order).await?;
    tx.commit().await?;
    Ok(order)
}

/// The order a payment provider's event names, inside its transaction; NOT_FOUND when the
/// business has no such order.
pub async fn get_in(tx: &TenantTx, id: Uuid) -> Result<SalesOrder> {
    tx.get::<orders::Entity>(id, "sales order").await
}

/// An order with its lines and its money, inside the caller's transaction: what an invoice
/// of it is drawn from.
pub async fn for_invoicing(
    tx: &TenantTx,
    id: Uuid,
) -> Result<(SalesOrder, Vec<SalesOrderLine>, Vec<SalesOrderPayment>)> {
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    let lines = lines_in(tx, &[id]).await?.remove(&id).unwrap_or_default();
    let money = tx
        .select::<payments::Entity>()
        .filter(payments::Column::OrderId.eq(id))
        .all(&**tx)
        .await?;
    Ok((order, lines, money))
}

/// Records the invoice drawn from an order; false when it was invoiced meanwhile.
pub async fn mark_invoiced(tx: &TenantTx, id: Uuid, invoice_id: Uuid) -> Result<bool> {
    let marked = orders::Entity::update_many()
        .col_expr(orders::Column::InvoiceId, Expr::value(invoice_id))
        .touched(tx.now())
        .filter(orders::Column::TenantId.eq(tx.tenant_id()))
        .filter(orders::Column::Id.eq(id))
        .filter(orders::Column::InvoiceId.is_null())
        .exec(&**tx)
        .await?
        .rows_affected;
    Ok(marked == 1)
}

/// A payment Stripe reports for an order: applied once per payment intent, whichever of
/// its events comes first. Money the order cannot take (cancelled or paid meanwhile,
/// another currency) is recorded as `commerce.order.payment_unapplied` for a person to
/// settle, never lost and never retried forever.
pub async fn paid_online(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    order: SalesOrder,
    payment_intent: &str,
    amount: i64,
    currency: &str,
) -> Result<()> {
    let known = tx
        .select::<payments::Entity>()
        .filter(payments::Column::OrderId.eq(order.id))
        .filter(payments::Column::Method.eq(OrderPaymentMethod::Stripe.key()))
        .filter(payments::Column::Reference.eq(payment_intent))
        .one(&**tx)
        .await?;
    if known.is_some() {
        return Ok(());
    }
    let currency = currency.to_uppercase();
    let order_id = order.id;
    let problem = if currency != order.currency {
        Some(format!("paid in {currency}, ordered in {}", order.currency))
    } else {
        match receive_in(
            tx,
            ctx,
            order,
            OrderPaymentMethod::Stripe,
            amount,
            Some(payment_intent.to_owned()),
        )
        .await
        {
            Ok(_) => None,
            Err(Error::Invalid { message, .. } | Error::Conflict { message, .. }) => Some(message),
            Err(other) => return Err(other),
        }
    };
    if let Some(problem) = problem {
        audit::record(
            tx,
            ctx,
            "commerce.order.payment_unapplied",
            ("sales_order", Some(order_id)),
            serde_json::json!({
                "paymentIntent": payment_intent,
                "amount": from_minor(amount, &currency).to_string(),
                "currency": currency,
                "reason": problem,
            }),
        )
        .await?;
    }
    Ok(())
}

// ---- telling the customer ----

/// What `{name}` in an order message's variables stands for.
fn fill(text: &str, order: &SalesOrder, customer: &str) -> String {
    let money = |minor: i64| format!("${} {}", from_minor(minor, &order.currency), order.currency);
    let status = OrderStatus::from_stored(&order.status)
        .map(status_in_spanish)
        .unwrap_or("");
    text.replace("{number}", &order.number.to_string())
        .replace("{customer}", customer)
        .replace("{total}", &money(order.total_minor))
        .replace("{balance}", &money(order.total_minor - order.paid_minor))
        .replace("{status}", status)
        .replace("{checkoutUrl}", order.checkout_url.as_deref().unwrap_or(""))
}

fn status_in_spanish(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Draft => "en preparación",
        OrderStatus::Confirmed => "confirmado",
        OrderStatus::Paid => "pagado",
        OrderStatus::Fulfilled => "entregado",
        OrderStatus::Cancelled => "cancelado",
        OrderStatus::Returned => "devuelto",
    }
}

/// Sends an approved template in the conversation the order was taken in, its variables
/// filled from the order: `{number}`, `{customer}`, `{total}`, `{balance}`, `{status}` and
/// `{checkoutUrl}`, so an agent sends the payment link or a status update in one step.
pub async fn message_customer(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    template_id: Uuid,
    variables: Vec<String>,
) -> Result<tianguis_messaging::messages::Message> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "sales order").await?;
    let customer = match order.contact_id {
        Some(contact) => {
            tx.get::<tianguis_entity::crm::contacts::Entity>(contact, "contact")
                .await?
                .first_name
        }
        None => String::new(),
    };
    tx.commit().await?;
    let Some(conversation) = order.conversation_id else {
        return Err(Error::invalid(
            "id",
            "the order was not taken in a conversation",
        ));
    };
    let variables = variables
        .iter()
        .map(|v| fill(v, &order, &customer))
        .collect();
    tianguis_messaging::messages::send(
        deps,
        ctx,
        conversation,
        tianguis_messaging::messages::Compose::Template {
            template_id,
            variables,
        },
    )
    .await
}
