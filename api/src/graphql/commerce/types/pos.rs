//! Commerce's GraphQL types of the till: registers, cash sessions, tickets and receipts.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::{Unit, from_milli};
use tianguis_domain::commerce::pos::{
    self, PaymentMethod as Method, SessionStatus, TicketKind as TKind,
};
use tianguis_domain::pricing;

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money, stored, user};
use crate::graphql::crm::{Contact, TaxRate};
use crate::graphql::loaders::{
    ContactLoader, LocationLoader, RegisterLoader, SessionExpectedLoader, TicketLinesLoader,
    TicketPaymentsLoader, VariantLoader, load, load_opt,
};
use crate::graphql::tenancy::User;

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
    /// The invoice that covers the sale: the customer's own, or the period's factura global.
    async fn invoice_id(&self) -> Option<ID> {
        self.0.invoice_id.map(Into::into)
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
