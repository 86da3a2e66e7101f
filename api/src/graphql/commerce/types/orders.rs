//! Commerce's GraphQL types of sales orders, their lines and the money on them.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::{Unit, from_milli};
use tianguis_domain::commerce::orders;
use tianguis_domain::pricing;

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money, stored, user};
use crate::graphql::crm::{Contact, TaxRate};
use crate::graphql::loaders::{
    ContactLoader, ConversationLoader, LocationLoader, SalesOrderLinesLoader,
    SalesOrderPaymentsLoader, VariantLoader, load, load_opt,
};
use crate::graphql::messaging::Conversation;
use crate::graphql::tenancy::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "orders::OrderStatus")]
pub enum SalesOrderStatus {
    Draft,
    /// Its stock is held back for it.
    Confirmed,
    Paid,
    /// Handed over or shipped: its stock is taken.
    Fulfilled,
    Cancelled,
    /// Everything delivered came back.
    Returned,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "orders::OrderSource")]
pub enum SalesOrderSource {
    Api,
    /// Taken by an agent in a conversation.
    Inbox,
    Pos,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "orders::MoneyDirection")]
pub enum SalesOrderMoneyKind {
    Payment,
    Refund,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "orders::OrderPaymentMethod")]
pub enum SalesOrderPaymentMethod {
    Cash,
    /// A card on the store's terminal.
    Card,
    Transfer,
    /// Paid on a Stripe Checkout page; recorded when Stripe reports it.
    Stripe,
}

/// Where an order is delivered.
#[derive(SimpleObject)]
pub struct DeliveryAddress {
    pub recipient: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    /// Colonia.
    pub neighborhood: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166 two-letter code.
    pub country: String,
    /// How to find it.
    pub directions: Option<String>,
}

impl From<orders::Address> for DeliveryAddress {
    fn from(a: orders::Address) -> Self {
        DeliveryAddress {
            recipient: a.recipient,
            phone: a.phone,
            street: a.street,
            neighborhood: a.neighborhood,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
            directions: a.directions,
        }
    }
}

pub struct SalesOrder(pub orders::SalesOrder);

#[Object]
impl SalesOrder {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The business's folio.
    async fn number(&self) -> i64 {
        self.0.number
    }
    async fn status(&self) -> async_graphql::Result<SalesOrderStatus> {
        stored(orders::OrderStatus::from_stored, &self.0.status)
    }
    async fn source(&self) -> async_graphql::Result<SalesOrderSource> {
        stored(orders::OrderSource::from_stored, &self.0.source)
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// The conversation it was taken in.
    async fn conversation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Conversation>> {
        Ok(load_opt::<ConversationLoader>(ctx, self.0.conversation_id)
            .await?
            .map(Conversation))
    }
    /// Where its stock is reserved and taken from.
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    /// The lines after their own discounts, taxes included.
    async fn subtotal(&self) -> Money {
        money(self.0.subtotal_minor, &self.0.currency)
    }
    /// Off the whole order.
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.0.currency)
    }
    /// What the customer pays, taxes included.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    /// IVA and IEPS included in the total.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.0.currency)
    }
    async fn paid(&self) -> Money {
        money(self.0.paid_minor, &self.0.currency)
    }
    async fn refunded(&self) -> Money {
        money(self.0.refunded_minor, &self.0.currency)
    }
    /// What is still owed.
    async fn balance_due(&self) -> Money {
        money(self.0.total_minor - self.0.paid_minor, &self.0.currency)
    }
    async fn delivery_address(&self) -> Option<DeliveryAddress> {
        orders::address_of(&self.0).map(DeliveryAddress::from)
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The Stripe Checkout page for the balance, once asked for.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }
    async fn invoice_id(&self) -> Option<ID> {
        self.0.invoice_id.map(Into::into)
    }
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SalesOrderLine>> {
        Ok(load::<SalesOrderLinesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| SalesOrderLine(l, self.0.currency.clone()))
            .collect())
    }
    /// Payments and refunds, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SalesOrderPayment>> {
        Ok(load::<SalesOrderPaymentsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|p| SalesOrderPayment(p, self.0.currency.clone()))
            .collect())
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.created_by).await
    }
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn fulfilled_at(&self) -> Option<DateTime<Utc>> {
        self.0.fulfilled_at
    }
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct SalesOrderLine(pub orders::SalesOrderLine, pub String);

#[Object]
impl SalesOrderLine {
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
    /// The line's own discount.
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.1)
    }
    /// The line's share of the order's discount.
    async fn order_discount(&self) -> Money {
        money(self.0.order_discount_minor, &self.1)
    }
    /// What the customer pays for the line after both discounts, taxes included.
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
    /// How much has come back after fulfilment.
    async fn returned_quantity(&self) -> Decimal {
        from_milli(self.0.returned_milli)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
}

pub struct SalesOrderPayment(pub orders::SalesOrderPayment, pub String);

#[Object]
impl SalesOrderPayment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<SalesOrderMoneyKind> {
        stored(orders::MoneyDirection::from_stored, &self.0.kind)
    }
    async fn method(&self) -> async_graphql::Result<SalesOrderPaymentMethod> {
        stored(orders::OrderPaymentMethod::from_stored, &self.0.method)
    }
    /// Always positive; the kind says which way it went.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    /// The terminal's or bank's reference, or Stripe's payment intent.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.actor_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
