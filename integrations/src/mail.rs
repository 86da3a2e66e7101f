//! Mailers: SMTP through lettre's client (implicit TLS, STARTTLS or plain, authenticated)
//! on a pool of connections, and a folder of `.eml` files for the embedded mode.

use std::path::PathBuf;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use std::time::{Duration, Instant};

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
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
    route: Route,
}

enum Route {
    /// Implicit TLS (`smtps://`): lettre's pooled transport.
    Implicit(AsyncSmtpTransport<Tokio1Executor>),
    /// Plain or STARTTLS: connections of our own with TCP_NODELAY. lettre writes a message
    /// and its final dot in two writes, and without it each message then waits for the
    /// server's delayed ACK (about 40 ms) before its reply.
    Direct(Box<Direct>),
}

impl SmtpMailer {
    /// `connections`: how many are kept open. A message spends most of its time waiting on
    /// the server, so bulk sends go as fast as the connections in flight allow.
    pub fn from_url(url: &str, connections: u32) -> anyhow::Result<Self> {
        let connections = connections.max(1);
        let parsed = url::Url::parse(url)?;
        let route = if parsed.scheme() == "smtps" {
            Route::Implicit(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .pool_config(PoolConfig::new().max_size(connections))
                    .build(),
            )
        } else {
            Route::Direct(Box::new(Direct::from_url(&parsed, connections)?))
        };
        Ok(Self { route })
    }
}

fn mail_error(e: lettre::transport::smtp::Error) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(e.to_string())
    } else {
        MailError::Transient(e.to_string())
    }
}

/// A pool of SMTP connections to one server, each with TCP_NODELAY.
struct Direct {
    host: String,
    port: u16,
    /// STARTTLS, and whether the server must offer it.
    starttls: Option<(TlsParameters, bool)>,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: std::sync::Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: tokio::sync::Semaphore,
}

/// An idle connection older than this is checked (NOOP) before it carries a message.
const FRESH_FOR: Duration = Duration::from_secs(5);

impl Direct {
    fn from_url(url: &url::Url, connections: u32) -> anyhow::Result<Self> {
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("SMTP_URL has no host"))?
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let starttls = match tls.as_deref() {
            Some("required") => Some((TlsParameters::new(host.clone())?, true)),
            Some("opportunistic") => Some((TlsParameters::new(host.clone())?, false)),
            _ => None,
        };
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            )
        });
        let hello = url
            .query_pairs()
            .find(|(k, _)| k == "helo_name")
            .map(|(_, v)| ClientId::Domain(v.into_owned()))
            .unwrap_or_default();
        Ok(Self {
            port: url
                .port()
                .unwrap_or(if starttls.is_some() { 587 } else { 25 }),
            host,
            starttls,
            credentials,
            hello,
            idle: std::sync::Mutex::new(Vec::new()),
            slots: tokio::sync::Semaphore::new(connections as usize),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let transient = |e: &dyn std::fmt::Display| MailError::Transient(e.to_string());
        let stream = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|e| transient(&e))?
        .map_err(|e| transient(&e))?;
        stream.set_nodelay(true).map_err(|e| transient(&e))?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(mail_error)?;
        if let Some((parameters, required)) = &self.starttls {
            if conn.can_starttls() {
                conn.starttls(parameters.clone(), &self.hello)
                    .await
                    .map_err(mail_error)?;
            } else if *required {
                return Err(MailError::Transient(
                    "the SMTP server does not offer STARTTLS".into(),
                ));
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(mail_error)?;
        }
        Ok(conn)
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((conn, Instant::now()));
    }

    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match reused {
            Some((conn, since)) if since.elapsed() < FRESH_FOR => conn,
            Some((mut conn, _)) => {
                if conn.test_connected().await {
                    conn
                } else {
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        match conn.send(message.envelope(), &message.formatted()).await {
            Ok(_) => {
                self.put_back(conn);
                Ok(())
            }
            Err(e) => {
                conn.abort().await;
                Err(mail_error(e))
            }
        }
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build(email)?;
        match &self.route {
            Route::Implicit(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(mail_error),
            Route::Direct(direct) => direct.send(&message).await,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gives_server_port_and_decoded_credentials() {
        let url =
            url::Url::parse("smtp://ventas%40tianguis.mx:p%40ss%20w@mail.example.mx").expect("url");
        let direct = Direct::from_url(&url, 4).expect("parsed");
        assert_eq!(direct.host, "mail.example.mx");
        assert_eq!(direct.port, 25);
        assert!(direct.starttls.is_none());
        assert_eq!(
            direct.credentials,
            Some(Credentials::new(
                "ventas@tianguis.mx".into(),
                "p@ss w".into()
            ))
        );
        let local = url::Url::parse("smtp://127.0.0.1:2525").expect("url");
        let direct = Direct::from_url(&local, 4).expect("parsed");
        assert_eq!((direct.port, direct.credentials), (2525, None));
    }
}
