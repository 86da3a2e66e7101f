//! Commerce's GraphQL types: the catalog, stock and the point of sale.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::{Unit, from_milli};
use tianguis_domain::commerce::catalog::{self, ProductKind as Kind, ProductStatus as Status};
use tianguis_domain::commerce::counts;
use tianguis_domain::commerce::pos::{
    self, PaymentMethod as Method, SessionStatus, TicketKind as TKind,
};
use tianguis_domain::commerce::prepaid;
use tianguis_domain::commerce::purchasing;
use tianguis_domain::commerce::stock::{self, LocationKind as LKind, MovementKind};
use tianguis_domain::pricing;

use crate::graphql::common::{GqlResult, Money, money, stored, user};
use crate::graphql::crm::{Contact, TaxRate};
use crate::graphql::loaders::{
    CategoryLoader, ContactLoader, LocationLoader, ProductLoader, ProductVariantsLoader,
    PurchaseOrderLinesLoader, RegisterLoader, SessionExpectedLoader, SupplierLoader,
    SupplierPayableLoader, TicketLinesLoader, TicketPaymentsLoader, VariantLoader,
    VariantStockLoader, load, load_opt,
};
use crate::graphql::tenancy::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Kind")]
pub enum ProductKind {
    /// Kept in stock and counted.
    Good,
    /// Sold without stock.
    Service,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Status")]
pub enum ProductStatus {
    Active,
    /// Kept for history; not sold.
    Archived,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Unit")]
pub enum ProductUnit {
    /// Whole pieces.
    Piece,
    /// Up to 3 decimals.
    Kilogram,
    /// Up to 3 decimals.
    Litre,
    /// Up to 3 decimals.
    Metre,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "LKind")]
pub enum StockLocationKind {
    Store,
    Warehouse,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "MovementKind")]
pub enum StockMovementKind {
    Receipt,
    Sale,
    Return,
    Adjustment,
    TransferIn,
    TransferOut,
    /// Merma.
    Waste,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "SessionStatus")]
pub enum CashSessionStatus {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "TKind")]
pub enum TicketKind {
    Sale,
    Return,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Method")]
pub enum PaymentMethod {
    Cash,
    /// On the store's card terminal.
    Card,
    Transfer,
    /// A prepaid card of the business.
    PrepaidCard,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prepaid::CardStatus")]
pub enum PrepaidCardStatus {
    Active,
    /// Lost or retired: it cannot be charged or loaded.
    Blocked,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prepaid::EntryKind")]
pub enum PrepaidEntryKind {
    TopUp,
    Charge,
    Refund,
    TransferIn,
    TransferOut,
}

pub struct PrepaidCard(pub prepaid::Card);

#[Object]
impl PrepaidCard {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The tag's UID or the QR's text.
    async fn uid(&self) -> &str {
        &self.0.uid
    }
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }
    async fn status(&self) -> async_graphql::Result<PrepaidCardStatus> {
        stored(prepaid::CardStatus::from_stored, &self.0.status)
    }
    async fn balance(&self) -> Money {
        money(self.0.balance_minor, &self.0.currency)
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// The card a blocked card's balance went to.
    async fn replaced_by_id(&self) -> Option<ID> {
        self.0.replaced_by.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct PrepaidEntry(pub prepaid::Entry, pub String);

#[Object]
impl PrepaidEntry {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<PrepaidEntryKind> {
        stored(prepaid::EntryKind::from_stored, &self.0.kind)
    }
    /// Negative when money left the card.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    async fn balance_after(&self) -> Money {
        money(self.0.balance_after_minor, &self.1)
    }
    /// The reader's or till's id for the operation.
    async fn transaction_id(&self) -> &str {
        &self.0.transaction_id
    }
    /// How a top-up was paid.
    async fn method(&self) -> async_graphql::Result<Option<PaymentMethod>> {
        self.0
            .method
            .as_deref()
            .map(|m| stored(Method::from_stored, m))
            .transpose()
    }
    async fn ticket_id(&self) -> Option<ID> {
        self.0.ticket_id.map(Into::into)
    }
    /// The reader that charged the card.
    async fn device_id(&self) -> Option<ID> {
        self.0.device_id.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ProductCategory(pub catalog::Category);

#[Object]
impl ProductCategory {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductCategory>> {
        Ok(load_opt::<CategoryLoader>(ctx, self.0.parent_id)
            .await?
            .map(ProductCategory))
    }
}

pub struct Product(pub catalog::Product);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn kind(&self) -> async_graphql::Result<ProductKind> {
        stored(Kind::from_stored, &self.0.kind)
    }
    async fn unit(&self) -> async_graphql::Result<ProductUnit> {
        stored(Unit::from_stored, &self.0.unit)
    }
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductCategory>> {
        Ok(load_opt::<CategoryLoader>(ctx, self.0.category_id)
            .await?
            .map(ProductCategory))
    }
    /// SAT's ClaveProdServ.
    async fn sat_product_key(&self) -> &str {
        &self.0.sat_product_key
    }
    /// SAT's ClaveUnidad.
    async fn sat_unit_key(&self) -> &str {
        &self.0.sat_unit_key
    }
    /// The IVA in the price.
    async fn tax(&self) -> async_graphql::Result<TaxRate> {
        stored(pricing::Tax::from_stored, &self.0.tax)
    }
    /// The IEPS rate in the price (0.265 for 26.5 %), when it applies.
    async fn ieps_rate(&self) -> async_graphql::Result<Option<Decimal>> {
        catalog::ieps_of(&self.0).gql()
    }
    /// Whether a sale may take stock below zero.
    async fn allow_backorder(&self) -> bool {
        self.0.allow_backorder
    }
    async fn tracks_stock(&self) -> bool {
        self.0.track_stock
    }
    async fn status(&self) -> async_graphql::Result<ProductStatus> {
        stored(Status::from_stored, &self.0.status)
    }
    /// The options variants give values for, in order (Talla, Color).
    async fn option_names(&self) -> Vec<String> {
        catalog::option_names_of(&self.0)
    }
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductVariant>> {
        Ok(load::<ProductVariantsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ProductVariant)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ProductVariant(pub catalog::Variant);

#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    /// Values for the product's options, in order.
    async fn option_values(&self) -> Vec<String> {
        catalog::option_values_of(&self.0)
    }
    /// To the public, taxes included.
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.0.currency)
    }
    /// The average cost of what is in stock.
    async fn cost(&self) -> Money {
        money(self.0.cost_minor, &self.0.currency)
    }
    async fn low_stock_threshold(&self) -> Option<Decimal> {
        self.0.low_stock_milli.map(from_milli)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(load::<ProductLoader>(ctx, self.0.product_id)
            .await?
            .map(Product))
    }
    /// What each location holds.
    async fn stock(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StockLevel>> {
        Ok(load::<VariantStockLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(StockLevel)
            .collect())
    }
    /// All locations together.
    async fn on_hand(&self, ctx: &Context<'_>) -> async_graphql::Result<Decimal> {
        let levels = load::<VariantStockLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(from_milli(levels.iter().map(|l| l.on_hand_milli).sum()))
    }
}

pub struct StockLocation(pub stock::Location);

#[Object]
impl StockLocation {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> async_graphql::Result<StockLocationKind> {
        stored(LKind::from_stored, &self.0.kind)
    }
    /// Who hears of low stock here.
    async fn alert_emails(&self) -> Vec<String> {
        stock::alert_emails_of(&self.0)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

pub struct StockLevel(pub stock::StockLevel);

#[Object]
impl StockLevel {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn on_hand(&self) -> Decimal {
        from_milli(self.0.on_hand_milli)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct StockMovement(pub stock::Movement, pub String);

#[Object]
impl StockMovement {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<StockMovementKind> {
        stored(MovementKind::from_stored, &self.0.kind)
    }
    /// Signed: negative when stock left.
    async fn quantity(&self) -> Decimal {
        from_milli(self.0.quantity_milli)
    }
    /// On hand at the location after this movement.
    async fn balance_after(&self) -> Decimal {
        from_milli(self.0.balance_after_milli)
    }
    /// What a receipt paid per unit; the average cost for other movements.
    async fn unit_cost(&self) -> Money {
        money(self.0.unit_cost_minor, &self.1)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// The ticket or transfer it belongs to.
    async fn reference_id(&self) -> Option<ID> {
        self.0.reference_id.map(Into::into)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Register(pub pos::Register);

#[Object]
impl Register {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
}

/// An amount per payment method.
#[derive(SimpleObject)]
pub struct MethodAmount {
    pub method: PaymentMethod,
    pub amount: Money,
}

fn per_method(figures: &pos::ByMethod, currency: &str) -> async_graphql::Result<Vec<MethodAmount>> {
    figures
        .iter()
        .map(|(method, amount)| {
            Ok(MethodAmount {
                method: stored(Method::from_stored, method)?,
                amount: money(*amount, currency),
            })
        })
        .collect()
}

pub struct CashSession(pub pos::CashSession);

#[Object]
impl CashSession {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<CashSessionStatus> {
        stored(SessionStatus::from_stored, &self.0.status)
    }
    async fn register(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Register>> {
        Ok(load::<RegisterLoader>(ctx, self.0.register_id)
            .await?
            .map(Register))
    }
    async fn cashier(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, Some(self.0.cashier_id)).await
    }
    async fn opening_float(&self) -> Money {
        money(self.0.opening_float_minor, &self.0.currency)
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// What each method should hold: the float plus cash taken, and each other method's
    /// takings, less refunds. Live while open, as compared at close once closed.
    async fn expected(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MethodAmount>> {
        let figures = load::<SessionExpectedLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        per_method(&figures, &self.0.currency)
    }
    /// What was counted at close.
    async fn counted(&self) -> async_graphql::Result<Vec<MethodAmount>> {
        per_method(&pos::by_method(self.0.counted.as_ref()), &self.0.currency)
    }
    /// Counted minus expected, all methods together; negative when short.
    async fn difference(&self) -> Option<Money> {
        self.0.difference_minor.map(|d| money(d, &self.0.currency))
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

pub struct Ticket(pub pos::Ticket);

#[Object]
impl Ticket {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The business's folio.
    async fn number(&self) -> i64 {
        self.0.number
    }
    async fn kind(&self) -> async_graphql::Result<TicketKind> {
        stored(TKind::from_stored, &self.0.kind)
    }
    /// For a return: the sale it gives back.
    async fn original_ticket_id(&self) -> Option<ID> {
        self.0.original_ticket_id.map(Into::into)
    }
    async fn session_id(&self) -> ID {
        self.0.session_id.into()
    }
    async fn register(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Register>> {
        Ok(load::<RegisterLoader>(ctx, self.0.register_id)
            .await?
            .map(Register))
    }
    async fn cashier(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, Some(self.0.cashier_id)).await
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// Taxes included; negative for a return.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    /// The IVA and IEPS inside the total.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.0.currency)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.0.currency)
    }
    /// Cash given back.
    async fn change(&self) -> Money {
        money(self.0.change_minor, &self.0.currency)
    }
    /// What the customer types to invoice the sale themselves.
    async fn receipt_code(&self) -> &str {
        &self.0.receipt_code
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketLine>> {
        Ok(load::<TicketLinesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| TicketLine(l, self.0.currency.clone()))
            .collect())
    }
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TicketPayment>> {
        Ok(load::<TicketPaymentsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|p| TicketPayment(p, self.0.currency.clone()))
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct TicketLine(pub pos::TicketLine, pub String);

#[Object]
impl TicketLine {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    /// Negative on a return.
    async fn quantity(&self) -> Decimal {
        from_milli(self.0.quantity_milli)
    }
    async fn unit(&self) -> async_graphql::Result<ProductUnit> {
        stored(Unit::from_stored, &self.0.unit)
    }
    /// Taxes included.
    async fn unit_price(&self) -> Money {
        money(self.0.unit_price_minor, &self.1)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.1)
    }
    /// What the customer pays for the line, taxes included.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.1)
    }
    /// The total less its taxes.
    async fn base(&self) -> Money {
        money(self.0.base_minor, &self.1)
    }
    async fn iva(&self) -> Money {
        money(self.0.iva_minor, &self.1)
    }
    async fn ieps(&self) -> Money {
        money(self.0.ieps_minor, &self.1)
    }
    async fn tax(&self) -> async_graphql::Result<TaxRate> {
        stored(pricing::Tax::from_stored, &self.0.tax)
    }
    /// How much of a sale's line has come back.
    async fn returned_quantity(&self) -> Decimal {
        from_milli(self.0.returned_milli)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
}

pub struct TicketPayment(pub pos::TicketPayment, pub String);

#[Object]
impl TicketPayment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn method(&self) -> async_graphql::Result<PaymentMethod> {
        stored(Method::from_stored, &self.0.method)
    }
    /// What the method keeps: cash less the change; negative for a refund.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    /// Cash handed over.
    async fn tendered(&self) -> Option<Money> {
        self.0.tendered_minor.map(|t| money(t, &self.1))
    }
    /// The terminal's or the bank's reference.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
}

/// A ticket laid out for 80 mm paper.
#[derive(SimpleObject)]
pub struct Receipt {
    /// 48 characters a line, for ESC/POS printers.
    pub text: String,
    /// A page for the browser's print dialog.
    pub html: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "purchasing::OrderStatus")]
pub enum PurchaseOrderStatus {
    Draft,
    /// Emailed to the supplier.
    Sent,
    PartiallyReceived,
    Received,
    /// Done with, whatever is still missing.
    Closed,
    Cancelled,
}

pub struct Supplier(pub purchasing::Supplier);

#[Object]
impl Supplier {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn rfc(&self) -> Option<&str> {
        self.0.rfc.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    async fn payment_terms_days(&self) -> i32 {
        self.0.payment_terms_days
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// What the business owes: what was received less what was paid.
    async fn payable(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        Ok(load::<SupplierPayableLoader>(ctx, self.0.id)
            .await?
            .map(Money::from))
    }
}

pub struct PurchaseOrder(pub purchasing::PurchaseOrder);

#[Object]
impl PurchaseOrder {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The business's folio.
    async fn number(&self) -> i64 {
        self.0.number
    }
    async fn status(&self) -> async_graphql::Result<PurchaseOrderStatus> {
        stored(purchasing::OrderStatus::from_stored, &self.0.status)
    }
    async fn supplier(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Supplier>> {
        Ok(load::<SupplierLoader>(ctx, self.0.supplier_id)
            .await?
            .map(Supplier))
    }
    /// Where the goods are received.
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    /// What the lines order, at their costs.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    /// What has been received, at the costs received.
    async fn received(&self) -> Money {
        money(self.0.received_minor, &self.0.currency)
    }
    async fn expected_on(&self) -> Option<chrono::NaiveDate> {
        self.0.expected_on
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PurchaseOrderLine>> {
        Ok(load::<PurchaseOrderLinesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| PurchaseOrderLine(l, self.0.currency.clone()))
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct PurchaseOrderLine(pub purchasing::PurchaseOrderLine, pub String);

#[Object]
impl PurchaseOrderLine {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn quantity(&self) -> Decimal {
        from_milli(self.0.quantity_milli)
    }
    async fn received_quantity(&self) -> Decimal {
        from_milli(self.0.received_milli)
    }
    async fn unit_cost(&self) -> Money {
        money(self.0.unit_cost_minor, &self.1)
    }
}

pub struct SupplierPayment(pub purchasing::SupplierPayment);

#[Object]
impl SupplierPayment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.0.currency)
    }
    async fn method(&self) -> async_graphql::Result<PaymentMethod> {
        stored(Method::from_stored, &self.0.method)
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn paid_on(&self) -> chrono::NaiveDate {
        self.0.paid_on
    }
    async fn purchase_order_id(&self) -> Option<ID> {
        self.0.purchase_order_id.map(Into::into)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "counts::CountStatus")]
pub enum StockCountStatus {
    /// Being counted.
    Open,
    /// Its differences are adjustments now.
    Posted,
    Cancelled,
}

pub struct StockCount(pub counts::StockCount);

#[Object]
impl StockCount {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<StockCountStatus> {
        stored(counts::CountStatus::from_stored, &self.0.status)
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn posted_at(&self) -> Option<DateTime<Utc>> {
        self.0.posted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A counted variant beside what the ledger holds.
pub struct StockCountLine(pub counts::Reviewed);

#[Object]
impl StockCountLine {
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.line.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn counted(&self) -> Decimal {
        from_milli(self.0.line.counted_milli)
    }
    /// On hand now while the count is open; on hand when it was posted afterwards.
    async fn on_hand(&self) -> Decimal {
        from_milli(self.0.on_hand_milli)
    }
    /// Counted minus on hand: what posting adjusts.
    async fn difference(&self) -> Decimal {
        from_milli(self.0.difference_milli())
    }
}
