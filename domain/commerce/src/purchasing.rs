//! Suppliers, purchase orders and what the shop owes them.
//!
//! A purchase order goes draft → sent (emailed to the supplier) → partially received →
//! received → closed, or is cancelled before anything arrives. Receiving posts stock
//! receipts at the cost received, which the variants' average costs take in; what was
//! received less what was paid is the supplier's payable balance.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use tianguis_documents::files;
use tianguis_entity::commerce::{
    purchase_order_lines as lines, purchase_orders as orders, supplier_payments as payments,
    suppliers,
};
use tianguis_kernel::ports::Attachment;
use tianguis_kernel::rules::{EmailAddress, from_minor, money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::amounts::{self, MILLI, from_milli};
use crate::catalog::unit_of;
use crate::db::{TenantTx, Touched, stamped, tenant_region};
use crate::email::NewEmail;
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::pos::PaymentMethod;
use crate::stock::{active_location, receive_in, variants_with_products};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, search, tenancy};
use tianguis_kernel::money::Money;

pub use lines::Model as PurchaseOrderLine;
pub use orders::Model as PurchaseOrder;
pub use payments::Model as SupplierPayment;
pub use suppliers::Model as Supplier;

tianguis_kernel::stored_enum! {
    pub enum OrderStatus {
        Draft = "draft",
        /// Emailed to the supplier.
        Sent = "sent",
        PartiallyReceived = "partially_received",
        Received = "received",
        /// Done with, whatever is still missing.
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

// ---- suppliers ----

#[derive(Clone, Debug, Default)]
pub struct SupplierInput {
    pub name: Option<String>,
    pub rfc: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub payment_terms_days: Option<i32>,
    pub active: Option<bool>,
}

fn apply_supplier(model: &mut suppliers::ActiveModel, input: SupplierInput) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 160)?);
    }
    if let Some(rfc) = input.rfc {
        model.rfc = Set(rfc
            .filter(|r| !r.trim().is_empty())
            .map(|r| tianguis_kernel::rules::rfc(&r, "rfc"))
            .transpose()?);
    }
    if let Some(email) = input.email {
        model.email = Set(tianguis_kernel::rules::optional_email(
            email.as_deref(),
            "email",
        )?);
    }
    if let Some(phone) = input.phone {
        model.phone = Set(optional_text(phone.as_deref(), "phone", 40)?);
    }
    if let Some(contact) = input.contact_name {
        model.contact_name = Set(optional_text(contact.as_deref(), "contactName", 160)?);
    }
    if let Some(days) = input.payment_terms_days {
        if !(0..=365).contains(&days) {
            return Err(Error::invalid("paymentTermsDays", "0 to 365 days"));
        }
        model.payment_terms_days = Set(days);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

fn supplier_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_suppliers_name",
        "suppliers.tenant_id, suppliers.name",
        "name",
        "a supplier with this name exists",
    )
}

fn supplier_search_text(model: &suppliers::ActiveModel) -> Result<String> {
    use crate::db::Current;
    let name: String = model.name.current()?;
    let rfc: Option<String> = model.rfc.current()?;
    let email: Option<String> = model.email.current()?;
    Ok(search::search_text(&[
        Some(&name),
        rfc.as_deref(),
        email.as_deref(),
    ]))
}

pub async fn create_supplier(
    deps: &Deps,
    ctx: &TenantCtx,
    input: SupplierInput,
) -> Result<Supplier> {
    ctx.require(Permission::CommerceWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model = suppliers::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        rfc: Set(None),
        email: Set(None),
        phone: Set(None),
        contact_name: Set(None),
        payment_terms_days: Set(0),
        active: Set(true),
        search_text: Set(String::new()),
        ..Default::default()
    };
    apply_supplier(&mut model, input)?;
    model.search_text = Set(supplier_search_text(&model)?);
    let supplier = tx.insert(model).await.map_err(supplier_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.supplier.created",
        ("supplier", Some(supplier.id)),
        serde_json::json!({ "name": supplier.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(supplier)
}

pub async fn update_supplier(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: SupplierInput,
) -> Result<Supplier> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: suppliers::ActiveModel =
        tx.get::<suppliers::Entity>(id, "supplier").await?.into();
    apply_supplier(&mut model, input)?;
    model.search_text = Set(supplier_search_text(&model)?);
    let supplier = tx.update(model).await.map_err(supplier_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.supplier.updated",
        ("supplier", Some(supplier.id)),
        serde_json::json!({ "name": supplier.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(supplier)
}

pub async fn get_supplier(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Supplier> {
    TenantTx::read_one::<suppliers::Entity>(deps, ctx, Permission::CommerceRead, id, "supplier")
        .await
}

pub async fn suppliers_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Supplier>> {
    TenantTx::read_many::<suppliers::Entity>(deps, ctx, Permission::CommerceRead, ids).await
}

pub async fn list_suppliers(
    deps: &Deps,
    ctx: &TenantCtx,
    search_for: Option<String>,
    page: &PageRequest,
) -> Result<Page<Supplier>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<suppliers::Entity>();
    if let Some(text) = search_for.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(search::like(
            sea_orm::ConnectionTrait::get_database_backend(&*tx),
            "suppliers",
            "search_text",
            &search::contains_pattern(text),
        ));
    }
    let page = paginate(
        &*tx,
        select,
        suppliers::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

#[derive(FromQueryResult)]
struct Sum {
    supplier_id: Uuid,
    amount: Option<i64>,
}

/// What each supplier is owed: received value less payments. Three statements per batch.
pub async fn payables_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Money>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let owed = payable_sums(&tx, ids).await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    tx.commit().await?;
    Ok(owed
        .into_iter()
        .map(|(id, minor)| (id, Money::new(minor, &currency)))
        .collect())
}

async fn payable_sums(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
    // PostgreSQL sums bigints as numeric: cast back to read an i64.
    let received = orders::Entity::find()
        .select_only()
        .column(orders::Column::SupplierId)
        .column_as(
            Expr::cust("CAST(SUM(purchase_orders.received_minor) AS BIGINT)"),
            "amount",
        )
        .filter(orders::Column::TenantId.eq(tx.tenant_id()))
        .filter(orders::Column::SupplierId.is_in(ids.iter().copied()))
        .group_by(orders::Column::SupplierId)
        .into_model::<Sum>()
        .all(&**tx)
        .await?;
    let paid = payments::Entity::find()
        .select_only()
        .column(payments::Column::SupplierId)
        .column_as(
            Expr::cust("CAST(SUM(supplier_payments.amount_minor) AS BIGINT)"),
            "amount",
        )
        .filter(payments::Column::TenantId.eq(tx.tenant_id()))
        .filter(payments::Column::SupplierId.is_in(ids.iter().copied()))
        .group_by(payments::Column::SupplierId)
        .into_model::<Sum>()
        .all(&**tx)
        .await?;
    let mut owed: HashMap<Uuid, i64> = ids.iter().map(|id| (*id, 0)).collect();
    for sum in received {
        *owed.entry(sum.supplier_id).or_default() += sum.amount.unwrap_or(0);
    }
    for sum in paid {
        *owed.entry(sum.supplier_id).or_default() -= sum.amount.unwrap_or(0);
    }
    Ok(owed)
}

// ---- purchase orders ----

#[derive(Clone, Debug)]
pub struct OrderLineInput {
    pub variant_id: Uuid,
    pub quantity: Decimal,
    pub unit_cost: Decimal,
}

/// `quantity_milli × unit_cost`, rounded half away from zero.
fn line_total(quantity_milli: i64, unit_cost: i64) -> i64 {
    crate::amounts::scaled(
        i128::from(quantity_milli) * i128::from(unit_cost),
        i128::from(MILLI),
    )
}

/// Checks lines against the catalog and writes them for `order`, replacing any it had.
async fn write_lines(
    tx: &TenantTx,
    order: Uuid,
    currency: &str,
    input: &[OrderLineInput],
) -> Result<i64> {
    if input.is_empty() || input.len() > 500 {
        return Err(Error::invalid("lines", "1 to 500 lines"));
    }
    let ids: Vec<Uuid> = input.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(tx, &ids, "variantId").await?;
    let mut rows = Vec::with_capacity(input.len());
    let mut total = 0;
    for (position, line) in input.iter().enumerate() {
        let variant = &variants[&line.variant_id];
        let product = &products[&variant.product_id];
        if !product.track_stock {
            return Err(Error::invalid(
                "variantId",
                "a service is not bought into stock",
            ));
        }
        let quantity = amounts::quantity_milli(line.quantity, unit_of(product)?, "quantity")?;
        let cost = money_minor(line.unit_cost, currency, "unitCost")?;
        total += line_total(quantity, cost);
        rows.push(stamped(
            tx.now(),
            lines::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                purchase_order_id: Set(order),
                position: Set(position as i32),
                variant_id: Set(variant.id),
                quantity_milli: Set(quantity),
                received_milli: Set(0),
                unit_cost_minor: Set(cost),
                ..Default::default()
            },
        ));
    }
    lines::Entity::delete_many()
        .filter(lines::Column::TenantId.eq(tx.tenant_id()))
        .filter(lines::Column::PurchaseOrderId.eq(order))
        .exec(&**tx)
        .await?;
    lines::Entity::insert_many(rows).exec(&**tx).await?;
    Ok(total)
}

pub struct OrderInput {
    pub supplier_id: Uuid,
    pub location_id: Uuid,
    pub lines: Vec<OrderLineInput>,
    pub expected_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

pub async fn create_order(
    deps: &Deps,
    ctx: &TenantCtx,
    input: OrderInput,
) -> Result<PurchaseOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let notes = optional_text(input.notes.as_deref(), "notes", 2_000)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let supplier = tx
        .get::<suppliers::Entity>(input.supplier_id, "supplier")
        .await
        .map_err(|_| Error::invalid("supplierId", "no such supplier"))?;
    if !supplier.active {
        return Err(Error::invalid("supplierId", "the supplier is inactive"));
    }
    let location = active_location(&tx, input.location_id, "locationId").await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let id = Uuid::now_v7();
    // The lines reference the order: the order goes first, its total after the lines.
    let number = tianguis_kernel::numbering::next_number(&tx, "purchase_order", tx.now()).await?;
    let order = tx
        .insert(orders::ActiveModel {
            id: Set(id),
            tenant_id: Set(ctx.tenant_id),
            supplier_id: Set(supplier.id),
            number: Set(number),
            location_id: Set(location.id),
            status: Set(OrderStatus::Draft.key().into()),
            currency: Set(currency.clone()),
            total_minor: Set(0),
            received_minor: Set(0),
            expected_on: Set(input.expected_on),
            notes: Set(notes),
            sent_at: Set(None),
            ..Default::default()
        })
        .await?;
    let total = write_lines(&tx, id, &currency, &input.lines).await?;
    let mut model: orders::ActiveModel = order.into();
    model.total_minor = Set(total);
    let order = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.purchase_order.created",
        ("purchase_order", Some(order.id)),
        serde_json::json!({ "number": order.number, "supplierId": supplier.id,
                            "total": from_minor(total, &currency) }),
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// Replaces a draft's lines, expected date or notes.
pub async fn update_order(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    new_lines: Option<Vec<OrderLineInput>>,
    expected_on: Option<Option<NaiveDate>>,
    notes: Option<Option<String>>,
) -> Result<PurchaseOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "purchase order").await?;
    if order.status != OrderStatus::Draft.key() {
        return Err(Error::invalid("id", "only a draft can be changed"));
    }
    let mut model: orders::ActiveModel = order.clone().into();
    if let Some(new_lines) = new_lines {
        model.total_minor = Set(write_lines(&tx, order.id, &order.currency, &new_lines).await?);
    }
    if let Some(expected) = expected_on {
        model.expected_on = Set(expected);
    }
    if let Some(notes) = notes {
        model.notes = Set(optional_text(notes.as_deref(), "notes", 2_000)?);
    }
    let order = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.purchase_order.updated",
        ("purchase_order", Some(order.id)),
        serde_json::json!({ "number": order.number }),
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// Emails a draft to the supplier and marks it sent.
pub async fn send_order(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PurchaseOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "purchase order").await?;
    if order.status != OrderStatus::Draft.key() {
        return Err(Error::invalid("id", "only a draft is sent"));
    }
    let supplier = tx
        .get::<suppliers::Entity>(order.supplier_id, "supplier")
        .await?;
    let to = supplier
        .email
        .as_deref()
        .map(|e| EmailAddress::parse(e, "email"))
        .transpose()?
        .ok_or_else(|| Error::invalid("id", "the supplier has no email address"))?;
    let printable = printable_lines(&tx, &order).await?;
    let described: Vec<String> = printable
        .iter()
        .map(|l| {
            format!(
                "{} × {} ({}) a {} {}",
                l.quantity, l.product, l.sku, l.unit_cost, order.currency
            )
        })
        .collect();
    let mut model: orders::ActiveModel = order.into();
    model.status = Set(OrderStatus::Sent.key().into());
    model.sent_at = Set(Some(tx.now()));
    let order = tx.update(model).await?;
    let (branding, locale) = tenancy::tenants::branding(&*tx, ctx.tenant_id).await?;
    let total = from_minor(order.total_minor, &order.currency).to_string();
    let document = order_document(&order, &supplier, &branding.name, &printable);
    let file = files::keep_generated(deps, &mut tx, &document).await?;
    let job = crate::email::queue_with_attachments(
        &*tx,
        NewEmail {
            at: tx.now(),
            tenant_id: Some(ctx.tenant_id),
            to: to.as_str(),
            locale: &locale,
            branding: &branding,
            template: &crate::emails::PurchaseOrderSent {
                number: order.number,
                lines: &described,
                total: &total,
                currency: &order.currency,
                expected_on: order.expected_on,
                notes: order.notes.as_deref(),
            },
        },
        &[Attachment {
            filename: format!("OC-{}.pdf", order.number),
            content_type: file.content_type,
            content: document.bytes,
        }],
    )
    .await?;
    tx.enqueue_after_commit(job).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.purchase_order.sent",
        ("purchase_order", Some(order.id)),
        serde_json::json!({ "number": order.number, "to": to.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// A purchase order's line as the supplier reads it.
struct PrintableLine {
    quantity: Decimal,
    product: String,
    sku: String,
    unit_cost: Decimal,
    amount: Decimal,
}

async fn printable_lines(tx: &TenantTx, order: &PurchaseOrder) -> Result<Vec<PrintableLine>> {
    let order_lines = lines_in(tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let ids: Vec<Uuid> = order_lines.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(tx, &ids, "lines").await?;
    Ok(order_lines
        .iter()
        .map(|l| {
            let variant = &variants[&l.variant_id];
            let quantity = from_milli(l.quantity_milli);
            let unit_cost = from_minor(l.unit_cost_minor, &order.currency);
            PrintableLine {
                quantity,
                product: products[&variant.product_id].name.clone(),
                sku: variant.sku.clone(),
                unit_cost,
                amount: (quantity * unit_cost).round_dp(2),
            }
        })
        .collect())
}

/// The purchase order as the supplier receives it: a letter-size PDF.
fn order_document(
    order: &PurchaseOrder,
    supplier: &Supplier,
    business: &str,
    lines: &[PrintableLine],
) -> files::Generated {
    use tianguis_documents::pdf::{Column, Document, PageSize, money};
    let title = format!("Orden de compra OC-{}", order.number);
    let mut doc = Document::new(PageSize::Letter, &title);
    doc.title(&title);
    doc.strong(business);
    doc.space(6.0);
    let date = order.created_at.date_naive().format("%Y-%m-%d").to_string();
    let expected = order
        .expected_on
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    doc.fields(&[
        ("Proveedor", supplier.name.as_str()),
        ("RFC", supplier.rfc.as_deref().unwrap_or_default()),
        (
            "Contacto",
            supplier.contact_name.as_deref().unwrap_or_default(),
        ),
        ("Fecha", &date),
        ("Entrega esperada", &expected),
    ]);
    doc.heading("Productos");
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.product.clone(),
                l.sku.clone(),
                l.quantity.normalize().to_string(),
                money(l.unit_cost, ""),
                money(l.amount, ""),
            ]
        })
        .collect();
    doc.table(
        &[
            Column::left("Producto", 4.0),
            Column::left("SKU", 1.6),
            Column::right("Cantidad", 1.0),
            Column::right("Costo unitario", 1.4),
            Column::right("Importe", 1.4),
        ],
        &rows,
    );
    let total = money(
        from_minor(order.total_minor, &order.currency),
        &order.currency,
    );
    doc.totals(&[("Total", &total)]);
    if let Some(notes) = order.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        doc.heading("Notas");
        doc.text(notes);
    }
    files::Generated {
        folder_kind: files::FolderKind::PurchaseOrder,
        folder_id: order.id,
        name: format!("Orden de compra OC-{}.pdf", order.number),
        content_type: "application/pdf",
        bytes: doc.finish(),
    }
}

/// The purchase order's PDF as it stands, kept among its files.
pub async fn order_pdf(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<files::Printed> {
    ctx.require(Permission::CommerceRead)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "purchase order").await?;
    let supplier = tx
        .get::<suppliers::Entity>(order.supplier_id, "supplier")
        .await?;
    let lines = printable_lines(&tx, &order).await?;
    let (branding, _) = tenancy::tenants::branding(&*tx, ctx.tenant_id).await?;
    let document = order_document(&order, &supplier, &branding.name, &lines);
    let file = files::keep_generated(deps, &mut tx, &document).await?;
    tx.commit().await?;
    Ok(files::printed(deps, ctx, file))
}

#[derive(Clone, Debug)]
pub struct ReceivedLine {
    pub line_id: Uuid,
    pub quantity: Decimal,
    /// The cost on the supplier's invoice, when it differs from the order's.
    pub unit_cost: Option<Decimal>,
}

/// Records a delivery: the quantities go into stock at the order's location at the cost
/// received, never beyond what was ordered.
pub async fn receive_order(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    received: Vec<ReceivedLine>,
) -> Result<PurchaseOrder> {
    ctx.require(Permission::CommerceWrite)?;
    if received.is_empty() {
        return Err(Error::invalid("lines", "name what arrived"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "purchase order").await?;
    let status = OrderStatus::from_stored(&order.status)?;
    if !matches!(
        status,
        OrderStatus::Draft | OrderStatus::Sent | OrderStatus::PartiallyReceived
    ) {
        return Err(Error::invalid(
            "id",
            "the order is no longer open for deliveries",
        ));
    }
    let location = active_location(&tx, order.location_id, "id").await?;
    let order_lines = lines_in(&tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let ids: Vec<Uuid> = order_lines.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(&tx, &ids, "lines").await?;
    let mut postings = Vec::with_capacity(received.len());
    let mut value = 0;
    for wanted in &received {
        let line = order_lines
            .iter()
            .find(|l| l.id == wanted.line_id)
            .ok_or_else(|| Error::invalid("lineId", "the line is not on this order"))?;
        let product = &products[&variants[&line.variant_id].product_id];
        let quantity = amounts::quantity_milli(wanted.quantity, unit_of(product)?, "quantity")?;
        let cost = wanted
            .unit_cost
            .map(|c| money_minor(c, &order.currency, "unitCost"))
            .transpose()?
            .unwrap_or(line.unit_cost_minor);
        // Two deliveries recorded at once cannot overfill a line.
        let claimed = crate::stock::claim::<lines::Entity>(
            &tx,
            lines::Column::ReceivedMilli,
            line.id,
            quantity,
            line.quantity_milli,
        )
        .await?;
        if !claimed {
            return Err(Error::invalid(
                "quantity",
                format!(
                    "{} of {} is still due",
                    from_milli(line.quantity_milli - line.received_milli),
                    product.name
                ),
            ));
        }
        value += line_total(quantity, cost);
        postings.push((line.variant_id, quantity, cost));
    }
    receive_in(
        deps,
        &mut tx,
        ctx,
        &location,
        &postings,
        Some(format!("OC {}", order.number)),
        Some(order.id),
    )
    .await?;
    let now_lines = lines_in(&tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let complete = now_lines
        .iter()
        .all(|l| l.received_milli >= l.quantity_milli);
    let mut model: orders::ActiveModel = order.clone().into();
    model.received_minor = Set(order.received_minor + value);
    model.status = Set(if complete {
        OrderStatus::Received
    } else {
        OrderStatus::PartiallyReceived
    }
    .key()
    .into());
    let order = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.purchase_order.received",
        ("purchase_order", Some(order.id)),
        serde_json::json!({ "number": order.number, "value": from_minor(value, &order.currency),
                            "status": order.status }),
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// Closes an order that received something (what is missing is no longer expected), or
/// cancels one that received nothing.
pub async fn finish_order(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PurchaseOrder> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let order = tx.get::<orders::Entity>(id, "purchase order").await?;
    let next = match OrderStatus::from_stored(&order.status)? {
        OrderStatus::Draft | OrderStatus::Sent => OrderStatus::Cancelled,
        OrderStatus::PartiallyReceived | OrderStatus::Received => OrderStatus::Closed,
        OrderStatus::Closed | OrderStatus::Cancelled => {
            return Err(Error::invalid("id", "the order is already finished"));
        }
    };
    let mut model: orders::ActiveModel = order.into();
    model.status = Set(next.key().into());
    let order = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        &format!("commerce.purchase_order.{}", next.key()),
        ("purchase_order", Some(order.id)),
        serde_json::json!({ "number": order.number }),
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

pub async fn get_order(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PurchaseOrder> {
    TenantTx::read_one::<orders::Entity>(deps, ctx, Permission::CommerceRead, id, "purchase order")
        .await
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub supplier_id: Option<Uuid>,
    pub status: Option<OrderStatus>,
}

pub async fn list_orders(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: OrderFilter,
    page: &PageRequest,
) -> Result<Page<PurchaseOrder>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<orders::Entity>();
    if let Some(supplier) = filter.supplier_id {
        select = select.filter(orders::Column::SupplierId.eq(supplier));
    }
    if let Some(status) = filter.status {
        select = select.filter(orders::Column::Status.eq(status.key()));
    }
    let page = paginate(&*tx, select, orders::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}

async fn lines_in(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<PurchaseOrderLine>>> {
    let rows = tx
        .select::<lines::Entity>()
        .filter(lines::Column::PurchaseOrderId.is_in(ids.iter().copied()))
        .order_by_asc(lines::Column::Position)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |row| {
        Some(row.purchase_order_id)
    }))
}

/// Each order's lines: one statement per batch.
pub async fn lines_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PurchaseOrderLine>>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = lines_in(&tx, ids).await?;
    tx.commit().await?;
    Ok(found)
}

// ---- payments to suppliers ----

pub struct PaymentInput {
    pub supplier_id: Uuid,
    pub purchase_order_id: Option<Uuid>,
    pub amount: Decimal,
    pub method: PaymentMethod,
    pub reference: Option<String>,
    pub paid_on: Option<NaiveDate>,
}

/// Records money paid to a supplier; it cannot exceed what the supplier is owed.
pub async fn record_payment(
    deps: &Deps,
    ctx: &TenantCtx,
    input: PaymentInput,
) -> Result<SupplierPayment> {
    ctx.require(Permission::CommerceWrite)?;
    if input.method == PaymentMethod::PrepaidCard {
        return Err(Error::invalid(
            "method",
            "suppliers are paid in cash, by card or by transfer",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let supplier = tx
        .get::<suppliers::Entity>(input.supplier_id, "supplier")
        .await?;
    // Lock the supplier's row: two payments recorded at once see each other's amount.
    suppliers::Entity::update_many()
        .touched(tx.now())
        .filter(suppliers::Column::TenantId.eq(ctx.tenant_id))
        .filter(suppliers::Column::Id.eq(supplier.id))
        .exec(&*tx)
        .await?;
    if let Some(order) = input.purchase_order_id {
        let order = tx
            .get::<orders::Entity>(order, "purchase order")
            .await
            .map_err(|_| Error::invalid("purchaseOrderId", "no such purchase order"))?;
        if order.supplier_id != supplier.id {
            return Err(Error::invalid(
                "purchaseOrderId",
                "the order is another supplier's",
            ));
        }
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let amount = money_minor(input.amount, &currency, "amount")?;
    if amount == 0 {
        return Err(Error::invalid("amount", "amount must be above zero"));
    }
    let owed = payable_sums(&tx, &[supplier.id])
        .await?
        .remove(&supplier.id)
        .unwrap_or(0);
    if amount > owed {
        return Err(Error::invalid(
            "amount",
            format!(
                "{} is owed to {}",
                from_minor(std::cmp::max(owed, 0), &currency),
                supplier.name
            ),
        ));
    }
    let payment = tx
        .insert(payments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            supplier_id: Set(supplier.id),
            purchase_order_id: Set(input.purchase_order_id),
            amount_minor: Set(amount),
            currency: Set(currency.clone()),
            method: Set(input.method.key().into()),
            reference: Set(optional_text(input.reference.as_deref(), "reference", 100)?),
            paid_on: Set(input.paid_on.unwrap_or_else(|| tx.now().date_naive())),
            actor_id: Set(ctx.actor.id()),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.supplier.paid",
        ("supplier", Some(supplier.id)),
        serde_json::json!({ "amount": from_minor(amount, &currency), "method": payment.method }),
    )
    .await?;
    tx.commit().await?;
    Ok(payment)
}

/// A supplier's payments, newest first.
pub async fn payments(
    deps: &Deps,
    ctx: &TenantCtx,
    supplier_id: Uuid,
    page: &PageRequest,
) -> Result<Page<SupplierPayment>> {
    ctx.require(Permission::CommerceRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<suppliers::Entity>(supplier_id, "supplier").await?;
    let select = tx
        .select::<payments::Entity>()
        .filter(payments::Column::SupplierId.eq(supplier_id));
    let page = paginate(
        &*tx,
        select,
        payments::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::line_total;

    #[test]
    fn a_line_costs_its_quantity_times_its_cost_rounded_half_away_from_zero() {
        assert_eq!(line_total(12_000, 4_550), 54_600);
        // 1.235 kg at $120.00 = $148.20
        assert_eq!(line_total(1_235, 12_000), 14_820);
        // 0.005 × $1.00 = half a cent: up
        assert_eq!(line_total(5, 100), 1);
    }
}
