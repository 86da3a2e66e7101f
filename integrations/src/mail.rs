//! Mailers: SMTP through lettre (pooled, TLS or STARTTLS, authenticated), and a folder of
//! `.eml` files for the embedded mode.

use std::path::PathBuf;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tianguis_domain::ports::{MailError, Mailer, OutgoingEmail};

fn build(email: &OutgoingEmail) -> Result<Message, MailError> {
    let permanent =
        |what: &str, e: &dyn std::fmt::Display| MailError::Permanent(format!("{what}: {e}"));
    let from: Mailbox = email.from.parse().map_err(|e| permanent("sender", &e))?;
    let to: Mailbox = email.to.parse().map_err(|e| permanent("recipient", &e))?;
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(email.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(email.html.clone()),
        );
    let body = if email.attachments.is_empty() {
        body
    } else {
        email
            .attachments
            .iter()
            .try_fold(MultiPart::mixed().multipart(body), |parts, file| {
                let content_type = ContentType::parse(&file.content_type)
                    .map_err(|e| permanent("attachment type", &e))?;
                Ok::<_, MailError>(parts.singlepart(
                    Attachment::new(file.filename.clone()).body(file.content.clone(), content_type),
                ))
            })?
    };
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(&email.subject)
        .message_id(Some(format!("<{}>", email.message_id)));
    for (name, value) in &email.headers {
        let name = HeaderName::new_from_ascii(name.clone()).map_err(|e| permanent("header", &e))?;
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
    builder
        .multipart(body)
        .map_err(|e| permanent("message", &e))
}

/// SMTP from a URL such as `smtps://user:pass@smtp.example.com`,
/// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://127.0.0.1:2525` (plain).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    /// `connections`: how many the pool keeps open. A message spends most of its time
    /// waiting on the server, so bulk sends go as fast as the connections in flight allow.
    pub fn from_url(url: &str, connections: u32) -> anyhow::Result<Self> {
        Ok(Self {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                .pool_config(PoolConfig::new().max_size(connections.max(1)))
                .build(),
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build(email)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                MailError::Permanent(e.to_string())
            } else {
                MailError::Transient(e.to_string())
            }
        })
    }
}

/// Writes each email to `<folder>/<message id>.eml`, to open with any mail client.
pub struct FolderMailer {
    folder: PathBuf,
}

impl FolderMailer {
    pub fn new(folder: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&folder)?;
        Ok(Self { folder })
    }
}

#[async_trait::async_trait]
impl Mailer for FolderMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build(email)?;
        let name: String = email
            .message_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = self.folder.join(format!("{name}.eml"));
        tokio::fs::write(&path, message.formatted())
            .await
            .map_err(|e| MailError::Transient(format!("writing {}: {e}", path.display())))
    }
}
