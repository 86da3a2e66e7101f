//! automation's GraphQL object types.

use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::automation::webhooks;

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
#[graphql(remote = "webhooks::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    Pending,
    Succeeded,
    /// Given up after retrying for a day.
    Failed,
    /// Not sent because the endpoint was disabled.
    Cancelled,
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
            status: d.status.into(),
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
