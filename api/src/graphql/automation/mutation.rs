//! automation's GraphQL mutations.

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
pub struct AutomationMutation;

#[Object]
impl AutomationMutation {
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreateWebhookEndpointPayload> {
        let cmd = webhooks::EndpointInput {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
        };
        let created = webhooks::create_endpoint(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?;
        Ok(CreateWebhookEndpointPayload {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        })
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let id = parse_id(&input.id, "id")?;
        let cmd = webhooks::EndpointUpdate {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
            enabled: input.enabled,
        };
        Ok(webhooks::update_endpoint(deps(ctx)?, tenant(ctx)?, id, cmd)
            .await
            .gql()?
            .into())
    }

    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(webhooks::delete_endpoint(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Sends a delivery again now.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: WebhookIdInput,
    ) -> async_graphql::Result<WebhookDelivery> {
        let id = parse_id(&input.id, "id")?;
        Ok(webhooks::redeliver(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }
}
