//! Use cases and business rules, one module per bounded context.
//!
//! Nothing here knows about HTTP or GraphQL: the edge turns requests into a [`TenantCtx`]
//! and commands, calls one use case, and maps the result or the [`Error`].

pub mod automation;
pub mod billing;
pub mod crm;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod iot;
pub mod jobs;
pub mod marketing;
pub mod messaging;
pub mod page;
pub mod permissions;
pub mod ports;
pub mod tenancy;

pub use ctx::{Actor, RequestMeta, TenantCtx};
pub use error::{Error, Result};
pub use permissions::{Permission, PermissionSet};

use std::sync::Arc;

use sea_orm::DatabaseConnection;

/// What every use case may reach: the database and the domain's ports.
#[derive(Clone)]
pub struct Deps {
    pub db: DatabaseConnection,
    pub pubsub: Arc<dyn ports::PubSub>,
    pub clock: Arc<dyn ports::Clock>,
    pub auth: Arc<tenancy::auth::AuthSettings>,
    pub jobs: Arc<dyn ports::JobQueue>,
    /// Woken when this process commits outbox events, so its dispatcher runs at once.
    pub events_wake: Arc<tokio::sync::Notify>,
    pub webhooks: Arc<automation::webhooks::WebhookSettings>,
    pub webhook_transport: Arc<dyn ports::WebhookTransport>,
    pub mailer: Arc<dyn ports::Mailer>,
    pub mail: Arc<email::MailSettings>,
    /// Encrypts secrets before they are stored.
    pub secrets: Arc<crypto::SecretBox>,
    /// Stamps and cancels CFDI, routing each business to its PAC.
    pub pac: Arc<dyn ports::Pac>,
    /// Card payments; none when no provider is configured.
    pub payment_gateway: Option<Arc<dyn ports::PaymentGateway>>,
    pub stripe: Arc<billing::stripe::StripeSettings>,
    /// WhatsApp and SMS providers.
    pub messenger: Arc<dyn ports::Messenger>,
    pub messaging: Arc<messaging::MessagingSettings>,
    /// Shared send rates (campaigns), across every worker when Redis is configured.
    pub rate_limiter: Arc<dyn ports::RateLimiter>,
}
