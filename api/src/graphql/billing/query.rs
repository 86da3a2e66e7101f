//! billing's GraphQL queries.

use crate::graphql::common::optional_id;
use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::Object;
use tianguis_domain::billing::fiscal;
use tianguis_domain::billing::invoices;

use crate::graphql::billing::*;

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    async fn fiscal_profile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FiscalProfile>> {
        Ok(fiscal::get(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .map(FiscalProfile))
    }

    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Invoice> {
        let id = parse_id(&id, "id")?;
        Ok(Invoice(
            invoices::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        filter: Option<InvoiceFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Invoice>> {
        let f = filter.unwrap_or_default();
        let filter = invoices::InvoiceFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
        };
        let page = page_request(first, after, last, before)?;
        let page = invoices::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |i| i.id, Invoice))
    }
}
