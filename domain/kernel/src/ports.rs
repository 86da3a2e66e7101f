//! The outside world as the domain sees it; `integrations` holds the real implementations.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;

use crate::registry::JobKind;

/// Fan-out of live events to subscribers, across every replica when Redis is configured.
#[async_trait::async_trait]
pub trait PubSub: Send + Sync {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> anyhow::Result<()>;
    async fn subscribe(&self, topic: &str) -> anyhow::Result<BoxStream<'static, Vec<u8>>>;
    /// How many live subscriptions this process holds; one counts from the moment a
    /// message published to its topic reaches it.
    fn listeners(&self) -> usize;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

/// Counts hits per key in fixed windows, shared by every replica when Redis is configured.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts `cost` hits on `key` in the current window.
    async fn take(
        &self,
        key: &str,
        cost: u32,
        limit: u32,
        window: Duration,
    ) -> anyhow::Result<RateDecision>;

    async fn hit(&self, key: &str, limit: u32, window: Duration) -> anyhow::Result<RateDecision> {
        self.take(key, 1, limit, window).await
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() // The one read of the wall clock; everything else asks a Clock.
    }
}

/// Work for the background pool, as the ledger keeps it: its queue, its business and its
/// payload (`{ "Kind": { …ids } }`). Built from a context's [`JobKind`]; handlers load fresh
/// state from the ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    queue: String,
    tenant_id: Option<uuid::Uuid>,
    payload: serde_json::Value,
}

impl Job {
    pub fn new<J: JobKind>(job: J) -> Self {
        let tenant_id = job.tenant_id();
        // Job kinds are plain structs of ids and numbers: they always serialize.
        let args = serde_json::to_value(job).unwrap_or_default();
        Self {
            queue: J::QUEUE.name.to_owned(),
            tenant_id,
            payload: serde_json::json!({ J::NAME: args }),
        }
    }

    /// A job as its ledger row holds it.
    pub fn stored(
        queue: String,
        tenant_id: Option<uuid::Uuid>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            queue,
            tenant_id,
            payload,
        }
    }

    /// The queue it runs on, as shown in the admin view and in metrics.
    pub fn kind(&self) -> &str {
        &self.queue
    }

    /// The business the job works for, if any: its admins see it.
    pub fn tenant_id(&self) -> Option<uuid::Uuid> {
        self.tenant_id
    }

    pub fn payload(&self) -> &serde_json::Value {
        &self.payload
    }

    /// The job kind's name and its arguments. A kind without arguments may be stored as
    /// its bare name.
    pub(crate) fn parts(&self) -> crate::Result<(&str, &serde_json::Value)> {
        static NONE: serde_json::Value = serde_json::Value::Null;
        match &self.payload {
            serde_json::Value::String(name) => Ok((name, &NONE)),
            serde_json::Value::Object(map) if map.len() == 1 => {
                let (name, args) = map.iter().next().ok_or_else(|| {
                    crate::Error::Unexpected(anyhow::anyhow!("an empty job payload"))
                })?;
                Ok((name, args))
            }
            other => Err(crate::Error::Unexpected(anyhow::anyhow!(
                "a job payload that names no kind: {other}"
            ))),
        }
    }
}

/// The durable job queue (SQLite, PostgreSQL or Redis, by configuration).
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Records `job` in the ledger and enqueues it to run after `delay`.
    async fn enqueue(&self, job: Job, delay: Duration) -> anyhow::Result<()>;

    /// Enqueues an existing ledger entry again (a retry).
    async fn requeue(&self, job_id: uuid::Uuid, kind: &str, delay: Duration) -> anyhow::Result<()>;
}

/// What one HTTP POST of a webhook came back with.
#[derive(Clone, Debug)]
pub struct HttpOutcome {
    pub status: u16,
    pub body_excerpt: String,
}

/// Sends webhook requests. Errors are transport failures (refused, timed out, bad address).
#[async_trait::async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: String,
        timeout: Duration,
    ) -> anyhow::Result<HttpOutcome>;
}

/// A rendered email ready for the wire.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    /// Without angle brackets: `0190…@tianguis`.
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// Further header lines, such as List-Unsubscribe.
    pub headers: Vec<(String, String)>,
}

/// A file sent with an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused this message for good (bad address, rejected content).
    #[error("rejected: {0}")]
    Permanent(String),
    /// Worth trying again (connection, timeout, temporary refusal).
    #[error("temporary failure: {0}")]
    Transient(String),
}

/// Sends email: over SMTP, or into a folder in the embedded mode.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
}

/// Which PAC account stamps a business's invoices.
#[derive(Clone, Debug)]
pub struct PacAccount {
    /// `sandbox` or `finkok`.
    pub provider: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A PAC's stamp: the CFDI with its TimbreFiscalDigital.
#[derive(Clone, Debug)]
pub struct Stamped {
    pub uuid: String,
    pub xml: String,
}

/// SAT's answer to a cancellation request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancellation {
    Cancelled,
    /// The receiver must accept it first; the status is asked again later.
    Pending,
    Rejected,
}

#[derive(Debug, thiserror::Error)]
pub enum PacError {
    /// The PAC or SAT refused the document; sending it again changes nothing.
    #[error("{code}: {message}")]
    Rejected { code: String, message: String },
    /// The PAC could not be reached or failed; worth trying again.
    #[error("PAC unavailable: {0}")]
    Unavailable(String),
}

/// What SAT needs to cancel a stamped CFDI.
#[derive(Clone, Debug)]
pub struct CancelRequest<'a> {
    pub issuer_rfc: &'a str,
    pub receiver_rfc: &'a str,
    pub uuid: &'a str,
    /// The CFDI's total as written in it.
    pub total: &'a str,
    /// SAT's motive: 01, 02, 03 or 04.
    pub motive: &'a str,
    /// The replacing CFDI's UUID, for motive 01.
    pub substitute: Option<&'a str>,
    /// The issuer's CSD number (NoCertificado), which signs the request at the PAC.
    pub certificate_number: &'a str,
}

/// A PAC (Proveedor Autorizado de Certificación): stamps and cancels CFDI.
#[async_trait::async_trait]
pub trait Pac: Send + Sync {
    async fn stamp(&self, account: &PacAccount, xml: &str) -> Result<Stamped, PacError>;

    /// Asks SAT to cancel a CFDI.
    async fn cancel(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError>;

    /// Where a cancellation SAT answered as pending stands now.
    async fn cancellation_status(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError>;
}

/// What a checkout page sells.
#[derive(Clone, Debug)]
pub enum Purchase {
    /// An amount, paid once.
    Once {
        description: String,
        /// Minor units of `currency`.
        amount: i64,
        currency: String,
    },
    /// A recurring price of the provider's (a plan).
    Subscription { price: String },
}

/// A hosted page where a customer pays by card.
#[derive(Clone, Debug)]
pub struct CheckoutRequest {
    pub purchase: Purchase,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    /// Returned with the provider's events about this payment.
    pub metadata: Vec<(String, String)>,
    /// The same key asks for the same page again rather than a second one.
    pub idempotency_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutLink {
    pub id: String,
    pub url: String,
}

/// A card payment provider (Stripe).
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn checkout(&self, request: &CheckoutRequest) -> anyhow::Result<CheckoutLink>;
}

/// A channel's account at its messaging provider, credentials opened.
#[derive(Clone, Debug)]
pub struct ProviderAccount {
    /// `whatsapp` or `sms`.
    pub kind: String,
    /// WhatsApp: the phone number id; SMS: the sending number.
    pub address: String,
    /// WhatsApp: the business account id; SMS: the Twilio account SID.
    pub account_id: Option<String>,
    pub token: Option<String>,
    /// Where the provider reports delivery statuses (Twilio), if it is told per message.
    pub status_callback: Option<String>,
}

/// What a message to a contact carries.
#[derive(Clone, Debug, PartialEq)]
pub enum OutboundContent {
    Text {
        body: String,
    },
    /// An image, document, audio or video at a public URL.
    Media {
        kind: MediaKind,
        url: String,
        caption: Option<String>,
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// An approved WhatsApp template with its body's variables, in order.
    Template {
        name: String,
        language: String,
        variables: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MessengerError {
    /// The provider refused the request; sending it again changes nothing.
    #[error("{code}: {message}")]
    Rejected { code: String, message: String },
    /// The provider could not be reached or failed; worth trying again.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

/// A template as submitted to Meta for approval.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateContent {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<TemplateButton>,
    /// An example value for each numbered variable of the body, in order.
    pub examples: Vec<String>,
}

crate::stored_enum! {
    /// Media a message can carry; the key is also the providers' name for it.
    pub enum MediaKind {
        Image = "image",
        Document = "document",
        Audio = "audio",
        Video = "video",
    }
}

crate::stored_enum! {
    pub enum ButtonKind {
        QuickReply = "quick_reply",
        Url = "url",
        PhoneNumber = "phone_number",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateButton {
    pub kind: ButtonKind,
    pub text: String,
    pub url: Option<String>,
    pub phone_number: Option<String>,
}

/// Where Meta's review of a template stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateReview {
    pub provider_template_id: String,
    /// pending, approved, rejected, paused or disabled.
    pub status: String,
    pub reason: Option<String>,
}

/// Sends WhatsApp and SMS messages and manages WhatsApp templates.
#[async_trait::async_trait]
pub trait Messenger: Send + Sync {
    /// Sends `content` to `to` (E.164); returns the provider's message id.
    async fn send(
        &self,
        account: &ProviderAccount,
        to: &str,
        content: &OutboundContent,
    ) -> Result<String, MessengerError>;

    /// Submits a template for approval.
    async fn submit_template(
        &self,
        account: &ProviderAccount,
        name: &str,
        language: &str,
        category: &str,
        content: &TemplateContent,
    ) -> Result<TemplateReview, MessengerError>;

    /// Asks where a submitted template's review stands.
    async fn template_status(
        &self,
        account: &ProviderAccount,
        provider_template_id: &str,
    ) -> Result<TemplateReview, MessengerError>;
}

/// A file's bytes as they stream, chunk by chunk: files are never held whole in memory.
pub type ByteStream = BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// Where files' bytes are kept under keys the domain chooses: a folder on disk by default,
/// an S3-compatible bucket in production.
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    /// Stores what `body` yields under `key`, replacing anything there; the key is readable
    /// only once the whole body is stored.
    async fn put(&self, key: &str, body: ByteStream) -> anyhow::Result<()>;
    /// The bytes under `key`; `None` when nothing is stored there.
    async fn get(&self, key: &str) -> anyhow::Result<Option<ByteStream>>;
    /// Removes `key`; nothing stored there is not an error.
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// An address a client PUTs the bytes of `key` to itself, for `valid_for`; `None` for a
    /// store that hands out none (a local folder), whose uploads the server takes in.
    async fn upload_url(
        &self,
        key: &str,
        valid_for: std::time::Duration,
    ) -> anyhow::Result<Option<String>>;
}
