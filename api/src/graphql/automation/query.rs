//! automation's GraphQL queries.

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
use tianguis_domain::automation::webhooks;

use crate::graphql::automation::*;

#[derive(Default)]
pub struct AutomationQuery;

#[Object]
impl AutomationQuery {
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookEndpoint>> {
        let page = page_request(first, after, last, before)?;
        let page = webhooks::list_endpoints(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |e| e.id, WebhookEndpoint::from))
    }

    /// The delivery log, newest first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookDelivery>> {
        let endpoint = endpoint_id
            .as_ref()
            .map(|id| parse_id(id, "endpointId"))
            .transpose()?;
        let page = page_request(first, after, last, before)?;
        let status = status.map(Into::into);
        let page = webhooks::list_deliveries(deps(ctx)?, tenant(ctx)?, endpoint, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |d| d.id, WebhookDelivery::from))
    }
}
