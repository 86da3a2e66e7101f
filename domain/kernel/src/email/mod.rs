//! Transactional email. A use case renders and stores an email in its own transaction
//! ([`queue`]); the SendEmail job sends it once ([`send`]) with a Message-ID fixed at queue
//! time, and records the outcome.

pub mod templates;

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use tianguis_entity::email::emails;
use uuid::Uuid;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::db::stamped;
use crate::ports::{Attachment, Job, MailError, OutgoingEmail};
use crate::registry::{JobKind, Queue};
use crate::{Deps, Result};
pub use templates::{Branding, EmailTemplate};

crate::stored_enum! {
    /// Where an email in the outbox is.
    pub enum Status {
        Pending = "pending",
        /// Claimed by a send; left here if the process died mid-send.
        Sending = "sending",
        Sent = "sent",
        /// Refused for good, or out of attempts.
        Failed = "failed",
    }
}

/// Where emails come from and where their links point.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `Name <address>` of the sender.
    pub from: String,
    /// Base URL of the web app that handles links (accept invitation, reset password).
    pub app_url: String,
    /// Base URL of this service as customers reach it (public proposal pages).
    pub public_url: String,
}

/// How often a temporarily failing email is tried before it is marked failed.
const MAX_ATTEMPTS: i32 = 8;

/// An email to queue.
pub struct NewEmail<'a> {
    pub tenant_id: Option<Uuid>,
    pub to: &'a str,
    pub locale: &'a str,
    pub branding: &'a Branding,
    pub template: &'a dyn EmailTemplate,
    /// When it was queued: the use case's time.
    pub at: chrono::DateTime<Utc>,
}

/// Renders and stores an email in the caller's transaction; returns the job that sends it,
/// for the caller to enqueue after commit.
pub async fn queue<C: ConnectionTrait>(conn: &C, email: NewEmail<'_>) -> Result<Job> {
    queue_with_attachments(conn, email, &[]).await
}

/// Like [`queue`], with files attached; they are stored with the email, so a retry sends
/// the same ones.
pub async fn queue_with_attachments<C: ConnectionTrait>(
    conn: &C,
    email: NewEmail<'_>,
    attachments: &[Attachment],
) -> Result<Job> {
    let rendered = templates::render(email.template, email.locale, email.branding);
    let attachments = attachments
        .iter()
        .map(|a| {
            serde_json::json!({
                "filename": a.filename,
                "contentType": a.content_type,
                "content": STANDARD.encode(&a.content),
            })
        })
        .collect::<Vec<_>>();
    let id = Uuid::now_v7();
    stamped(
        email.at,
        emails::ActiveModel {
            id: Set(id),
            tenant_id: Set(email.tenant_id),
            kind: Set(email.template.kind().to_owned()),
            to_address: Set(email.to.to_owned()),
            locale: Set(email.locale.to_owned()),
            subject: Set(rendered.subject),
            html: Set(rendered.html),
            text: Set(rendered.text),
            message_id: Set(format!("{}@tianguis", id.simple())),
            status: Set(Status::Pending.key().to_owned()),
            attempts: Set(0),
            last_error: Set(None),
            sent_at: Set(None),
            attachments: Set((!attachments.is_empty()).then(|| attachments.into())),
            ..Default::default()
        },
    )
    .insert(conn)
    .await?;
    Ok(Job::new(SendEmail {
        tenant_id: email.tenant_id,
        email_id: id,
    }))
}

/// The email a SendEmail job sends, as [`queue`] returns it.
pub fn email_of(job: &Job) -> Option<Uuid> {
    job.payload()[SendEmail::NAME]["email_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
}

fn stored_attachments(stored: Option<&serde_json::Value>) -> Result<Vec<Attachment>> {
    let Some(list) = stored.and_then(|v| v.as_array()) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|a| {
            let text = |key: &str| a[key].as_str().unwrap_or_default().to_owned();
            Ok(Attachment {
                filename: text("filename"),
                content_type: text("contentType"),
                content: STANDARD
                    .decode(text("content"))
                    .map_err(|e| anyhow::anyhow!("a stored attachment: {e}"))?,
            })
        })
        .collect()
}

/// Sends one stored email.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SendEmail {
    pub tenant_id: Option<Uuid>,
    pub email_id: Uuid,
}

impl JobKind for SendEmail {
    const NAME: &'static str = "SendEmail";
    const QUEUE: Queue = Queue::new("send_email", 8);
    fn tenant_id(&self) -> Option<Uuid> {
        self.tenant_id
    }
}

/// Enqueues again the emails stored before `cutoff` whose job never ran.
pub async fn enqueue_unsent(deps: &Deps, cutoff: chrono::DateTime<Utc>) -> Result<usize> {
    let unsent = emails::Entity::find()
        .filter(emails::Column::Status.eq(Status::Pending.key()))
        .filter(emails::Column::Attempts.eq(0))
        .filter(emails::Column::CreatedAt.lt(cutoff))
        .all(&deps.db)
        .await?;
    for email in &unsent {
        let job = Job::new(SendEmail {
            tenant_id: email.tenant_id,
            email_id: email.id,
        });
        deps.jobs.enqueue(job, Duration::ZERO).await?;
    }
    Ok(unsent.len())
}

/// Sends one queued email (the SendEmail job). The job first claims the email
/// (pending → sending) so that of two concurrent runs only one sends. An email found in any
/// other state is left alone, so a duplicate job sends nothing. If the process dies while
/// sending, the email stays `sending`: whether the server took it is unknown, and sending
/// it again could deliver it twice, so it is not retried by itself.
pub async fn send(deps: &Deps, email_id: Uuid) -> Result<()> {
    let claimed = emails::Entity::update_many()
        .col_expr(emails::Column::Status, Expr::value(Status::Sending.key()))
        .col_expr(
            emails::Column::Attempts,
            Expr::col(emails::Column::Attempts).add(1),
        )
        .filter(emails::Column::Id.eq(email_id))
        .filter(emails::Column::Status.eq(Status::Pending.key()))
        .exec(&deps.db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(());
    }
    let Some(email) = emails::Entity::find_by_id(email_id).one(&deps.db).await? else {
        return Ok(());
    };
    let outgoing = OutgoingEmail {
        message_id: email.message_id.clone(),
        from: deps.mail.from.clone(),
        to: email.to_address.clone(),
        subject: email.subject.clone(),
        html: email.html.clone(),
        text: email.text.clone(),
        attachments: stored_attachments(email.attachments.as_ref())?,
        headers: Vec::new(),
    };
    let outcome = deps.mailer.send(&outgoing).await;
    let attempts = email.attempts;
    let tenant_id = email.tenant_id;
    let mut model: emails::ActiveModel = email.into();
    let retry = match outcome {
        Ok(()) => {
            model.status = Set(Status::Sent.key().to_owned());
            model.sent_at = Set(Some(deps.clock.now()));
            model.last_error = Set(None);
            None
        }
        Err(MailError::Permanent(reason)) => {
            model.status = Set(Status::Failed.key().to_owned());
            model.last_error = Set(Some(reason));
            None
        }
        Err(MailError::Transient(reason)) => {
            model.last_error = Set(Some(reason));
            if attempts >= MAX_ATTEMPTS {
                model.status = Set(Status::Failed.key().to_owned());
                None
            } else {
                // Not taken by the server: safe to send again later.
                model.status = Set(Status::Pending.key().to_owned());
                Some(Duration::from_secs(15) * 2u32.pow(Ord::max(attempts, 1) as u32 - 1))
            }
        }
    };
    model.update(&deps.db).await?;
    if let Some(delay) = retry {
        deps.jobs
            .enqueue(
                Job::new(SendEmail {
                    tenant_id,
                    email_id,
                }),
                delay,
            )
            .await?;
    }
    Ok(())
}
