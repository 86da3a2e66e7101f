//! The kernel every bounded context builds on: the tenant transaction, the ports to the
//! outside world, errors, permissions, audit and the outbox, the job ledger, email, plans,
//! the [`Registry`] contexts add themselves to, and the shared vocabulary (money, tax
//! lines, validators, numbering, search text, pagination).
//!
//! Nothing here knows about HTTP or GraphQL: the edge turns requests into a [`TenantCtx`]
//! and commands, calls one use case, and maps the result or the [`Error`].

pub mod audit;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod jobs;
pub mod money;
pub mod numbering;
pub mod page;
pub mod permissions;
pub mod plans;
pub mod ports;
pub mod pricing;
pub mod registry;
pub mod rules;
pub mod search;
pub mod secrets;
pub mod stored;

pub use ctx::{Actor, RequestMeta, TenantCtx};
pub use error::{Error, Result};
pub use permissions::{Permission, PermissionSet};
pub use registry::Registry;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

/// What every use case may reach: the database, the domain's ports, and the registry of
/// what each context added (job kinds, consumers, hooks and settings).
#[derive(Clone)]
pub struct Deps {
    pub db: DatabaseConnection,
    pub pubsub: Arc<dyn ports::PubSub>,
    pub clock: Arc<dyn ports::Clock>,
    pub jobs: Arc<dyn ports::JobQueue>,
    /// Woken when this process commits outbox events, so its dispatcher runs at once.
    pub events_wake: Arc<tokio::sync::Notify>,
    pub webhook_transport: Arc<dyn ports::WebhookTransport>,
    pub mailer: Arc<dyn ports::Mailer>,
    pub mail: Arc<email::MailSettings>,
    /// Encrypts secrets before they are stored.
    pub secrets: Arc<crypto::SecretBox>,
    /// Stamps and cancels CFDI, routing each business to its PAC.
    pub pac: Arc<dyn ports::Pac>,
    /// Card payments; none when no provider is configured.
    pub payment_gateway: Option<Arc<dyn ports::PaymentGateway>>,
    /// WhatsApp and SMS providers.
    pub messenger: Arc<dyn ports::Messenger>,
    /// Files' bytes: a folder in the data directory, or an S3-compatible bucket.
    pub files: Arc<dyn ports::FileStore>,
    /// Shared send rates (campaigns), across every worker when Redis is configured.
    pub rate_limiter: Arc<dyn ports::RateLimiter>,
    pub registry: Arc<Registry>,
}

impl Deps {
    /// A context's settings, as the wiring provided them to the registry.
    pub fn settings<T: Send + Sync + 'static>(&self) -> Result<&T> {
        self.registry.get::<T>().ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "no {} was provided at start-up",
                std::any::type_name::<T>()
            ))
        })
    }
}
