//! Outgoing webhooks: endpoints and their deliveries.

pub mod webhook_deliveries;
pub mod webhook_endpoints;

crate::tenant_owned!(webhook_deliveries, webhook_endpoints);
