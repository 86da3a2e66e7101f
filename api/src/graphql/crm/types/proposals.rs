//! CRM's GraphQL object types: proposals.

use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::LeadLoader;
use crate::graphql::loaders::ProposalItemsLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Object;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;
use tianguis_domain::crm::proposals;
use tianguis_domain::pricing;

use crate::graphql::common::*;
use crate::graphql::crm::*;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "proposals::Status")]
pub enum ProposalStatus {
    Draft,
    Sent,
    Viewed,
    Accepted,
    Rejected,
    Expired,
}

/// The IVA of a line.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "pricing::Tax")]
pub enum TaxRate {
    /// 16 %.
    Iva16,
    /// 8 %, northern and southern border region.
    Iva8,
    /// 0 %.
    Iva0,
    /// Exempt.
    Exempt,
}

/// A tax the customer withholds.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "pricing::Withholding")]
pub enum Withholding {
    /// IVA, two thirds: 10.6667 %.
    IvaTwoThirds,
    /// IVA on freight: 4 %.
    IvaFreight,
    /// ISR on fees and rent: 10 %.
    Isr10,
    /// ISR, simplified trust regime (RESICO): 1.25 %.
    IsrResico,
}

pub struct Proposal(pub proposals::Proposal);

#[Object]
impl Proposal {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Gapless per business and series, such as COT-2026-0001.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn series(&self) -> &str {
        &self.0.series
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> async_graphql::Result<ProposalStatus> {
        stored(proposals::Status::from_stored, &self.0.status)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn valid_until(&self) -> NaiveDate {
        self.0.valid_until
    }
    async fn notes(&self) -> &str {
        &self.0.notes
    }
    /// Sum of quantity × unit price.
    async fn subtotal(&self) -> Money {
        money(self.0.subtotal_minor, &self.0.currency)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.0.currency)
    }
    /// IVA transferred.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.0.currency)
    }
    /// Taxes withheld by the customer.
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.0.currency)
    }
    /// Subtotal − discount + tax − withheld.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    async fn recipient_email(&self) -> Option<&str> {
        self.0.recipient_email.as_deref()
    }
    /// How often the public page was opened.
    async fn view_count(&self) -> i32 {
        self.0.view_count
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn first_viewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_viewed_at
    }
    /// When it was accepted, rejected or expired.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// The name the customer accepted with.
    async fn accepted_by(&self) -> Option<&str> {
        self.0.accepted_by.as_deref()
    }
    /// The Stripe Checkout page where the customer pays the accepted proposal, once asked
    /// for with `createProposalCheckoutLink`.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }
    /// When the customer paid it by card.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProposalItem>> {
        Ok(load::<ProposalItemsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|i| ProposalItem(i, self.0.currency.clone()))
            .collect())
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.created_by).await
    }
}

/// A line of a proposal, in its proposal's currency.
pub struct ProposalItem(pub proposals::ProposalItem, pub String);

#[Object]
impl ProposalItem {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The catalogue product the line is for, if any.
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.map(ID::from)
    }
    /// The catalog's product the line is for.
    async fn product(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::commerce::Product>> {
        Ok(
            crate::graphql::loaders::load_opt::<crate::graphql::loaders::ProductLoader>(
                ctx,
                self.0.product_id,
            )
            .await?
            .map(crate::graphql::commerce::Product),
        )
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.parse().unwrap_or_default()
    }
    async fn unit_price(&self) -> Decimal {
        self.0.unit_price.parse().unwrap_or_default()
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.1)
    }
    /// Quantity × unit price, rounded to the currency.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    /// IVA on the amount less the discount.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.1)
    }
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.1)
    }
    async fn tax_rate(&self) -> async_graphql::Result<TaxRate> {
        stored(pricing::Tax::from_stored, &self.0.tax)
    }
    async fn withholdings(&self) -> async_graphql::Result<Vec<Withholding>> {
        let stored = pricing::withholdings_of(&self.0.withholdings).gql()?;
        Ok(stored.into_iter().map(Withholding::from).collect())
    }
}
