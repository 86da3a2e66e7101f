//! Proposals: drafts with exact totals, sending, answers recorded by the team.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::crm::proposals;

use super::records::{RecordOrder, maybe_id, optional_id};
use super::types::{Proposal, ProposalStatus, TaxRate, Withholding};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(InputObject, Default)]
pub struct ProposalFilter {
    pub statuses: Option<Vec<ProposalStatus>>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Number or title.
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Valid until a day before this one.
    pub valid_before: Option<NaiveDate>,
}

#[derive(Default)]
pub struct ProposalsQuery;

#[Object]
impl ProposalsQuery {
    async fn proposal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Proposal> {
        let id = parse_id(&id, "id")?;
        Ok(Proposal(
            proposals::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProposalFilter>,
        #[graphql(default)] order: RecordOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Proposal>> {
        let f = filter.unwrap_or_default();
        let filter = proposals::ProposalFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            lead_id: optional_id(f.lead_id.as_ref(), "leadId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            search: f.search,
            created_after: f.created_after,
            created_before: f.created_before,
            valid_before: f.valid_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = proposals::list(deps(ctx)?, tenant(ctx)?, filter, order.into(), &page)
            .await
            .gql()?;
        Ok(connection(page, |p| p.id, Proposal))
    }
}

#[derive(InputObject)]
pub struct ProposalItemInput {
    /// The catalogue product the line is for, if any.
    pub product_id: Option<ID>,
    pub description: String,
    /// Greater than zero; up to 6 decimals.
    pub quantity: Decimal,
    /// Up to 6 decimals.
    pub unit_price: Decimal,
    /// An amount off the line.
    pub discount: Option<Decimal>,
    #[graphql(default_with = "TaxRate::Iva16")]
    pub tax_rate: TaxRate,
    #[graphql(default)]
    pub withholdings: Vec<Withholding>,
}

fn item_inputs(items: Vec<ProposalItemInput>) -> async_graphql::Result<Vec<proposals::ItemInput>> {
    items
        .into_iter()
        .map(|i| {
            Ok(proposals::ItemInput {
                product_id: optional_id(i.product_id.as_ref(), "productId")?,
                description: i.description,
                quantity: i.quantity,
                unit_price: i.unit_price,
                discount: i.discount,
                tax: i.tax_rate.into(),
                withholdings: i.withholdings.into_iter().map(Into::into).collect(),
            })
        })
        .collect()
}

#[derive(InputObject)]
pub struct CreateProposalInput {
    pub title: String,
    /// The proposal's contact and company default to the lead's.
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Defaults to the business's currency.
    pub currency: Option<String>,
    /// Defaults to 30 days from today.
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
    /// The numbering series, such as COT (the default): COT-2026-0001.
    pub series: Option<String>,
    pub items: Vec<ProposalItemInput>,
}

#[derive(InputObject)]
pub struct UpdateProposalInput {
    pub id: ID,
    pub title: Option<String>,
    pub lead_id: MaybeUndefined<ID>,
    pub contact_id: MaybeUndefined<ID>,
    pub company_id: MaybeUndefined<ID>,
    /// Changing the currency needs the items again.
    pub currency: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Replace the items.
    pub items: Option<Vec<ProposalItemInput>>,
}

#[derive(InputObject)]
pub struct SendProposalInput {
    pub id: ID,
    /// Defaults to the contact's email.
    pub to: Option<String>,
}

#[derive(InputObject)]
pub struct AcceptProposalInput {
    pub id: ID,
    /// Who accepted for the customer.
    pub accepted_by: String,
}

#[derive(InputObject)]
pub struct RejectProposalInput {
    pub id: ID,
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct ProposalsMutation;

#[Object]
impl ProposalsMutation {
    /// Creates a draft with the series' next number.
    async fn create_proposal(
        &self,
        ctx: &Context<'_>,
        input: CreateProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let cmd = proposals::ProposalInput {
            title: Some(input.title),
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?.map(Some),
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?.map(Some),
            company_id: optional_id(input.company_id.as_ref(), "companyId")?.map(Some),
            currency: input.currency,
            valid_until: input.valid_until,
            notes: input.notes,
            items: Some(item_inputs(input.items)?),
        };
        Ok(Proposal(
            proposals::create(deps(ctx)?, tenant(ctx)?, cmd, input.series)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft.
    async fn update_proposal(
        &self,
        ctx: &Context<'_>,
        input: UpdateProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let cmd = proposals::ProposalInput {
            title: input.title,
            lead_id: maybe_id(input.lead_id, "leadId")?,
            contact_id: maybe_id(input.contact_id, "contactId")?,
            company_id: maybe_id(input.company_id, "companyId")?,
            currency: input.currency,
            valid_until: input.valid_until,
            notes: input.notes,
            items: input.items.map(item_inputs).transpose()?,
        };
        Ok(Proposal(
            proposals::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Emails the customer a link to the proposal's public page (a new link each time).
    async fn send_proposal(
        &self,
        ctx: &Context<'_>,
        input: SendProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        Ok(Proposal(
            proposals::send(deps(ctx)?, tenant(ctx)?, id, input.to)
                .await
                .gql()?,
        ))
    }

    /// Records that the customer accepted (told the team directly).
    async fn accept_proposal(
        &self,
        ctx: &Context<'_>,
        input: AcceptProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let answer = proposals::Answer::Accept {
            name: input.accepted_by,
        };
        Ok(Proposal(
            proposals::record_answer(deps(ctx)?, tenant(ctx)?, id, answer)
                .await
                .gql()?,
        ))
    }

    /// Records that the customer rejected.
    async fn reject_proposal(
        &self,
        ctx: &Context<'_>,
        input: RejectProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let answer = proposals::Answer::Reject {
            reason: input.reason,
        };
        Ok(Proposal(
            proposals::record_answer(deps(ctx)?, tenant(ctx)?, id, answer)
                .await
                .gql()?,
        ))
    }
}
