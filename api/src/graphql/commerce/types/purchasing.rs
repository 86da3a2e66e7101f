//! Commerce's GraphQL types of suppliers, purchase orders and payments.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::from_milli;
use tianguis_domain::commerce::pos::PaymentMethod as Method;
use tianguis_domain::commerce::purchasing;

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money, stored};
use crate::graphql::loaders::{
    LocationLoader, PurchaseOrderLinesLoader, SupplierLoader, SupplierPayableLoader, VariantLoader,
    load,
};

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
