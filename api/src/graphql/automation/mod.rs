//! GraphQL of the automation context: outgoing webhook endpoints and their deliveries.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tianguis_domain::automation::webhooks;

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(SimpleObject)]
pub struct WebhookEndpoint {
    pub id: ID,
    pub url: String,
    pub description: String,
    /// Event types or patterns such as `tenancy.*`.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why the endpoint was disabled, by a person or after failing for a day.
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed, if they currently do.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhooks::Endpoint> for WebhookEndpoint {
    fn from(e: webhooks::Endpoint) -> Self {
        Self {
            id: e.id.into(),
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            created_at: e.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    pub endpoint: WebhookEndpoint,
    /// The signing secret: `Tianguis-Signature` is HMAC-SHA256 with it. Shown only here.
    pub secret: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookDeliveryStatus {
    Pending,
    Succeeded,
    /// Given up after retrying for a day.
    Failed,
    /// Not sent because the endpoint was disabled.
    Cancelled,
}

impl WebhookDeliveryStatus {
    fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(key: &str) -> Self {
        match key {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }
}

#[derive(SimpleObject)]
pub struct WebhookDelivery {
    pub id: ID,
    pub endpoint_id: ID,
    pub event_id: ID,
    pub event_type: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i64>,
    /// The start of the last response body.
    pub last_response_excerpt: Option<String>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhooks::Delivery> for WebhookDelivery {
    fn from(d: webhooks::Delivery) -> Self {
        Self {
            id: d.id.into(),
            endpoint_id: d.endpoint_id.into(),
            event_id: d.event_id.into(),
            event_type: d.event_type,
            status: WebhookDeliveryStatus::parse(&d.status),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_latency_ms: d.last_latency_ms,
            last_response_excerpt: d.last_response_excerpt,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

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
        let status = status.map(|s| s.key().to_owned());
        let page = webhooks::list_deliveries(deps(ctx)?, tenant(ctx)?, endpoint, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |d| d.id, WebhookDelivery::from))
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub id: ID,
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct WebhookIdInput {
    pub id: ID,
}

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
