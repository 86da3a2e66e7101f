//! automation's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;

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
