//! Messages of a conversation: replies the team sends (queued, then sent by the
//! SendMessage job), messages contacts send (see [`super::inbound`]) and internal notes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tianguis_entity::crm::contacts;
use tianguis_entity::messaging::{channels, conversations, message_templates, messages};
use uuid::Uuid;

use super::{
    ChannelKind, DeliveryRank, DeliveryReport, InboxChange, SERVICE_WINDOW,
    channels as channel_rules, publish,
};
use crate::crm::timeline::{Contacts, TimelineEntry, TimelineItem, TimelineSource};
use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::plans;
use crate::ports::{Job, MediaKind, MessengerError, OutboundContent, OutgoingEmail};
use crate::registry::BoxFuture;
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub use messages::Model as Message;

/// What the team writes.
#[derive(Clone, Debug)]
pub enum Compose {
    Text(String),
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
    /// An approved template with its variables, in order.
    Template {
        template_id: Uuid,
        variables: Vec<String>,
    },
}

tianguis_kernel::stored_enum! {
    pub enum Kind {
        Text = "text",
        Image = "image",
        Document = "document",
        Audio = "audio",
        Video = "video",
        Location = "location",
        Template = "template",
        /// A note only the team sees.
        Note = "note",
    }
}

impl Kind {
    fn media(self) -> Option<MediaKind> {
        MediaKind::from_key(self.key())
    }
}

impl From<MediaKind> for Kind {
    fn from(media: MediaKind) -> Self {
        match media {
            MediaKind::Image => Kind::Image,
            MediaKind::Document => Kind::Document,
            MediaKind::Audio => Kind::Audio,
            MediaKind::Video => Kind::Video,
        }
    }
}

tianguis_kernel::stored_enum! {
    pub enum Direction {
        Inbound = "inbound",
        Outbound = "outbound",
        /// A note only the team sees.
        Internal = "internal",
    }
}

impl Status {
    pub fn delivery_rank(self) -> DeliveryRank {
        match self {
            Status::Queued => Some(0),
            Status::Sending => Some(1),
            Status::Sent => Some(2),
            Status::Delivered => Some(3),
            Status::Read => Some(4),
            Status::Failed | Status::Received => None,
        }
    }
}

tianguis_kernel::stored_enum! {
    pub enum Status {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
        /// From the contact.
        Received = "received",
    }
}

fn checked_url(url: &str) -> Result<String> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
        return Err(Error::invalid(
            "media.url",
            "a media URL must be an http(s) URL",
        ));
    }
    Ok(url.to_owned())
}

/// The stored form of a message: kind, body and details.
struct Written {
    kind: Kind,
    body: Option<String>,
    content: Option<serde_json::Value>,
}

async fn written(tx: &TenantTx, channel: &channels::Model, compose: Compose) -> Result<Written> {
    let kind = ChannelKind::from_stored(&channel.kind)?;
    Ok(match compose {
        Compose::Text(text) => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > 4096 {
                return Err(Error::invalid("text", "a message has 1 to 4096 characters"));
            }
            Written {
                kind: Kind::Text,
                body: Some(text.to_owned()),
                content: None,
            }
        }
        Compose::Media {
            kind: media,
            url,
            caption,
            filename,
        } => {
            if kind == ChannelKind::Email {
                return Err(Error::invalid("media", "email channels send text"));
            }
            Written {
                body: caption.clone(),
                content: Some(
                    json!({ "url": checked_url(&url)?, "caption": caption, "filename": filename }),
                ),
                kind: media.into(),
            }
        }
        Compose::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            if kind == ChannelKind::Email {
                return Err(Error::invalid("location", "email channels send text"));
            }
            if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
                return Err(Error::invalid("location", "not a place on Earth"));
            }
            Written {
                kind: Kind::Location,
                body: name.clone(),
                content: Some(
                    json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address }),
                ),
            }
        }
        Compose::Template {
            template_id,
            variables,
        } => {
            let template = tx
                .get::<message_templates::Entity>(template_id, "template")
                .await
                .map_err(|_| Error::invalid("templateId", "no such template"))?;
            if template.channel_id != channel.id {
                return Err(Error::invalid(
                    "templateId",
                    "the template belongs to another channel",
                ));
            }
            if template.status != "approved" {
                return Err(Error::invalid(
                    "templateId",
                    format!(
                        "the template is {}; only approved templates can be sent",
                        template.status
                    ),
                ));
            }
            let body = super::templates::render(&template, &variables)?;
            Written {
                kind: Kind::Template,
                body: Some(body),
                content: Some(json!({
                    "templateId": template.id, "name": template.name,
                    "language": template.language, "variables": variables,
                })),
            }
        }
    })
}

/// A message of a conversation, as written.
pub(crate) struct NewMessage {
    pub direction: Direction,
    pub kind: Kind,
    pub body: Option<String>,
    pub content: Option<serde_json::Value>,
    pub provider_message_id: Option<String>,
    pub status: Status,
    pub author_id: Option<Uuid>,
}

/// Stores a message of `conversation` at the transaction's time.
pub(crate) async fn insert(
    tx: &TenantTx,
    conversation: &conversations::Model,
    new: NewMessage,
) -> Result<Message> {
    let now = tx.now();
    Ok(tx
        .insert(messages::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            conversation_id: Set(conversation.id),
            channel_id: Set(conversation.channel_id),
            contact_id: Set(conversation.contact_id),
            direction: Set(new.direction.key().to_owned()),
            kind: Set(new.kind.key().to_owned()),
            body: Set(new.body),
            content: Set(new.content),
            provider_message_id: Set(new.provider_message_id),
            status: Set(new.status.key().to_owned()),
            error: Set(None),
            author_id: Set(new.author_id),
            // Queued messages are sent later; the others are as sent as they will be.
            sent_at: Set((new.status != Status::Queued).then_some(now)),
            delivered_at: Set(None),
            read_at: Set(None),
            ..Default::default()
        })
        .await?)
}

/// Queues a reply on a conversation; the SendMessage job sends it. On WhatsApp, past the
/// 24-hour window since the contact last wrote only approved templates can be sent.
pub async fn send(
    deps: &Deps,
    ctx: &TenantCtx,
    conversation_id: Uuid,
    compose: Compose,
) -> Result<Message> {
    ctx.require(Permission::MessagingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let conversation = tx
        .get::<conversations::Entity>(conversation_id, "conversation")
        .await?;
    let channel = tx
        .get::<channels::Entity>(conversation.channel_id, "channel")
        .await?;
    if !channel.active {
        return Err(Error::conflict(
            "conversationId",
            "the channel is switched off",
        ));
    }
    let message = queue(
        &mut tx,
        &conversation,
        &channel,
        compose,
        Sender::Team(ctx.actor_user()),
    )
    .await?;
    tx.commit().await?;
    Ok(message)
}

/// The business's active channel of a kind (its first, when it has several).
pub async fn active_channel(tx: &TenantTx, kind: ChannelKind) -> Result<Option<channels::Model>> {
    use sea_orm::QueryOrder;
    Ok(tx
        .select::<channels::Entity>()
        .filter(channels::Column::Kind.eq(kind.key()))
        .filter(channels::Column::Active.eq(true))
        .order_by_asc(channels::Column::Id)
        .one(&**tx)
        .await?)
}

/// Queues a message to a contact on the business's active channel of `kind`, in the
/// caller's transaction: how other contexts write to a customer on the business's behalf
/// (a booking's reminder or code), with the same rules as a reply.
pub async fn queue_to_contact(
    tx: &mut TenantTx,
    contact_id: Uuid,
    kind: ChannelKind,
    compose: Compose,
) -> Result<Message> {
    let Some(channel) = active_channel(tx, kind).await? else {
        return Err(Error::conflict(
            "channel",
            format!("the business has no active {} channel", kind.key()),
        ));
    };
    let (conversation, created) =
        super::conversations::find_or_open(tx, channel.id, contact_id).await?;
    if created {
        publish(tx, InboxChange::ConversationUpdated, conversation.id, None);
    }
    queue(tx, &conversation, &channel, compose, Sender::Business).await
}

/// Who writes: the team answers (which starts the clock on response times), or the business
/// itself sends something automatic, which does not count as an answer.
enum Sender {
    Team(Option<Uuid>),
    Business,
}

async fn queue(
    tx: &mut TenantTx,
    conversation: &conversations::Model,
    channel: &channels::Model,
    compose: Compose,
    sender: Sender,
) -> Result<Message> {
    let author_id = match sender {
        Sender::Team(author) => author,
        Sender::Business => None,
    };
    let kind = ChannelKind::from_stored(&channel.kind)?;
    let is_template = matches!(compose, Compose::Template { .. });
    if kind == ChannelKind::Whatsapp && !is_template {
        let now = tx.now();
        let open = conversation
            .last_inbound_at
            .is_some_and(|at| now - at < SERVICE_WINDOW);
        if !open {
            return Err(Error::conflict(
                "templateId",
                "the 24-hour customer service window is closed: the contact has not written in the last 24 hours, so only an approved template can be sent",
            ));
        }
    }
    if channel_rules::is_opted_out(tx, conversation.contact_id, kind).await? {
        return Err(Error::conflict(
            "conversationId",
            format!("the contact opted out of {} messages", kind.key()),
        ));
    }
    plans::ensure_room(tx, &crate::MESSAGES_PER_MONTH).await?;
    let written = written(tx, channel, compose).await?;
    let now = tx.now();
    let message = insert(
        tx,
        conversation,
        NewMessage {
            direction: Direction::Outbound,
            kind: written.kind,
            body: written.body,
            content: written.content,
            provider_message_id: None,
            status: Status::Queued,
            author_id,
        },
    )
    .await?;
    let mut model: conversations::ActiveModel = conversation.clone().into();
    model.last_message_at = Set(now);
    model.last_message_preview = Set(message.body.as_deref().map(super::preview));
    if conversation.first_response_at.is_none() && matches!(sender, Sender::Team(_)) {
        model.first_response_at = Set(Some(now));
    }
    tx.update(model).await?;
    crate::events::append(
        tx,
        "messaging.message.queued",
        Some(format!("message/{}", message.id)),
        json!({ "conversationId": conversation.id, "contactId": conversation.contact_id, "kind": message.kind }),
        now,
    )
    .await?;
    tx.enqueue_after_commit(Job::new(crate::SendMessage {
        tenant_id: tx.tenant_id(),
        message_id: message.id,
    }))
    .await?;
    publish(
        tx,
        InboxChange::MessageAdded,
        conversation.id,
        Some(message.id),
    );
    Ok(message)
}

/// An internal note: seen by the team only, never sent.
pub async fn add_note(
    deps: &Deps,
    ctx: &TenantCtx,
    conversation_id: Uuid,
    text: &str,
) -> Result<Message> {
    ctx.require(Permission::MessagingWrite)?;
    let text = crate::rules::required_text(text, "text", 4096)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let conversation = tx
        .get::<conversations::Entity>(conversation_id, "conversation")
        .await?;
    let note = insert(
        &tx,
        &conversation,
        NewMessage {
            direction: Direction::Internal,
            kind: Kind::Note,
            body: Some(text),
            content: None,
            provider_message_id: None,
            status: Status::Sent,
            author_id: ctx.actor_user(),
        },
    )
    .await?;
    publish(
        &mut tx,
        InboxChange::MessageAdded,
        conversation.id,
        Some(note.id),
    );
    tx.commit().await?;
    Ok(note)
}

/// A conversation's messages and notes, newest first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    conversation_id: Uuid,
    page: &PageRequest,
) -> Result<Page<Message>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<conversations::Entity>(conversation_id, "conversation")
        .await?;
    let select = tx
        .select::<messages::Entity>()
        .filter(messages::Column::ConversationId.eq(conversation_id));
    let page = paginate(
        &*tx,
        select,
        messages::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Message>> {
    TenantTx::read_many::<messages::Entity>(deps, ctx, Permission::MessagingRead, ids).await
}

fn outbound_content(message: &Message) -> Result<OutboundContent> {
    let content = message.content.clone().unwrap_or_default();
    let text = |key: &str| content[key].as_str().map(str::to_owned);
    let kind = Kind::from_stored(&message.kind)?;
    Ok(match kind {
        Kind::Template => OutboundContent::Template {
            name: text("name").unwrap_or_default(),
            language: text("language").unwrap_or_default(),
            variables: content["variables"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        },
        Kind::Location => OutboundContent::Location {
            latitude: content["latitude"].as_f64().unwrap_or_default(),
            longitude: content["longitude"].as_f64().unwrap_or_default(),
            name: text("name"),
            address: text("address"),
        },
        Kind::Text | Kind::Note => OutboundContent::Text {
            body: message.body.clone().unwrap_or_default(),
        },
        media => OutboundContent::Media {
            kind: media
                .media()
                .ok_or_else(|| anyhow::anyhow!("{media} is not media"))?,
            url: text("url").unwrap_or_default(),
            caption: text("caption"),
            filename: text("filename"),
        },
    })
}

/// Sends one queued message (the SendMessage job). The message is claimed first (queued →
/// sending), so a duplicate job sends nothing; a provider that is down puts it back in the
/// queue for the job's retry.
pub async fn deliver(deps: &Deps, tenant_id: Uuid, message_id: Uuid) -> Result<()> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let claimed = messages::Entity::update_many()
        .col_expr(messages::Column::Status, Expr::value(Status::Sending.key()))
        .filter(messages::Column::TenantId.eq(tenant_id))
        .filter(messages::Column::Id.eq(message_id))
        .filter(messages::Column::Status.eq(Status::Queued.key()))
        .exec(&*tx)
        .await?;
    if claimed.rows_affected == 0 {
        return tx.commit().await;
    }
    let message = tx.get::<messages::Entity>(message_id, "message").await?;
    let channel = tx
        .get::<channels::Entity>(message.channel_id, "channel")
        .await?;
    let contact = tx
        .get::<contacts::Entity>(message.contact_id, "contact")
        .await?;
    let conversation_id = message.conversation_id;
    // The claim is committed before the provider is called: a crash mid-call leaves the
    // message `sending`, never sent twice.
    tx.commit().await?;

    let outcome = match ChannelKind::from_stored(&channel.kind)? {
        ChannelKind::Email => send_email(deps, &channel, &contact, &message).await,
        _ => match contact.phone.as_deref() {
            None => Err(MessengerError::Rejected {
                code: "NO_ADDRESS".into(),
                message: "the contact has no phone number".into(),
            }),
            Some(phone) => {
                let account = channel_rules::account(deps, &channel)?;
                deps.messenger
                    .send(&account, phone, &outbound_content(&message)?)
                    .await
            }
        },
    };
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let now = tx.now();
    let mut model: messages::ActiveModel = message.into();
    let retry = match outcome {
        Ok(provider_id) => {
            model.status = Set(Status::Sent.key().into());
            model.provider_message_id = Set(Some(provider_id));
            model.sent_at = Set(Some(now));
            None
        }
        Err(MessengerError::Rejected { code, message }) => {
            model.status = Set(Status::Failed.key().into());
            model.error = Set(Some(format!("{code}: {message}")));
            None
        }
        Err(MessengerError::Unavailable(reason)) => {
            model.status = Set(Status::Queued.key().into());
            model.error = Set(Some(reason.clone()));
            Some(reason)
        }
    };
    tx.update(model).await?;
    publish(
        &mut tx,
        InboxChange::MessageUpdated,
        conversation_id,
        Some(message_id),
    );
    tx.commit().await?;
    match retry {
        Some(reason) => Err(Error::Unexpected(anyhow::anyhow!(
            "the provider is unavailable: {reason}"
        ))),
        None => Ok(()),
    }
}

async fn send_email(
    deps: &Deps,
    channel: &channels::Model,
    contact: &contacts::Model,
    message: &Message,
) -> std::result::Result<String, MessengerError> {
    let to = contact.email.clone().ok_or(MessengerError::Rejected {
        code: "NO_ADDRESS".into(),
        message: "the contact has no email address".into(),
    })?;
    let text = message.body.clone().unwrap_or_default();
    let message_id = format!("{}@tianguis", message.id.simple());
    let email = OutgoingEmail {
        message_id: message_id.clone(),
        from: channel_rules::email_sender(channel),
        to,
        subject: channel
            .display_name
            .clone()
            .unwrap_or_else(|| channel.name.clone()),
        html: format!(
            "<p>{}</p>",
            crate::email::templates::escape(&text).replace('\n', "<br>")
        ),
        text,
        attachments: Vec::new(),
        headers: Vec::new(),
    };
    deps.mailer.send(&email).await.map_err(|e| match e {
        crate::ports::MailError::Permanent(reason) => MessengerError::Rejected {
            code: "REJECTED".into(),
            message: reason,
        },
        crate::ports::MailError::Transient(reason) => MessengerError::Unavailable(reason),
    })?;
    Ok(message_id)
}

/// Applies a provider's status callback to the message it names, moving only forward.
/// Returns the conversation to notify, if a message changed.
pub(crate) async fn apply_status(
    tx: &mut TenantTx,
    channel_id: Uuid,
    provider_id: &str,
    report: DeliveryReport,
    error: Option<String>,
) -> Result<bool> {
    let Some(message) = tx
        .select::<messages::Entity>()
        .filter(messages::Column::ChannelId.eq(channel_id))
        .filter(messages::Column::ProviderMessageId.eq(provider_id))
        .one(&**tx)
        .await?
    else {
        return Ok(false);
    };
    if !report.advances(Status::from_stored(&message.status)?.delivery_rank()) {
        return Ok(false);
    }
    let now = tx.now();
    let (id, conversation_id) = (message.id, message.conversation_id);
    let mut model: messages::ActiveModel = message.into();
    model.status = Set(report.key().to_owned());
    match report {
        DeliveryReport::Delivered => model.delivered_at = Set(Some(now)),
        DeliveryReport::Read => model.read_at = Set(Some(now)),
        DeliveryReport::Failed => model.error = Set(error),
        DeliveryReport::Sent => {}
    }
    tx.update(model).await?;
    publish(tx, InboxChange::MessageUpdated, conversation_id, Some(id));
    Ok(true)
}

/// Conversations in CRM timelines: the messages exchanged with the timeline's contacts,
/// for callers who may read conversations.
pub(crate) struct Timeline;

/// A message as a CRM timeline entry.
#[derive(Debug)]
pub struct TimelineMessage(pub Message);

impl TimelineItem for TimelineMessage {
    fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    fn id(&self) -> Uuid {
        self.0.id
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl TimelineSource for Timeline {
    fn entries<'a>(
        &'a self,
        tx: &'a TenantTx,
        ctx: &'a TenantCtx,
        contacts: Contacts,
        before: Option<DateTime<Utc>>,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<TimelineEntry>>> {
        Box::pin(async move {
            // Conversations are their own permission: without it the timeline shows the rest.
            if ctx.require(Permission::MessagingRead).is_err() {
                return Ok(Vec::new());
            }
            use sea_orm::{QueryOrder, QuerySelect};
            let of_contacts = match contacts {
                Contacts::One(id) => messages::Column::ContactId.eq(id),
                Contacts::OfCompany(id) => messages::Column::ContactId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(contacts::Column::Id)
                        .from(contacts::Entity)
                        .and_where(contacts::Column::TenantId.eq(ctx.tenant_id))
                        .and_where(contacts::Column::CompanyId.eq(id))
                        .to_owned(),
                ),
            };
            let mut select = tx
                .select::<messages::Entity>()
                .filter(of_contacts)
                .filter(messages::Column::Direction.ne(Direction::Internal.key()));
            if let Some(before) = before {
                select = select.filter(messages::Column::CreatedAt.lt(before));
            }
            Ok(select
                .order_by_desc(messages::Column::CreatedAt)
                .limit(limit)
                .all(&**tx)
                .await?
                .into_iter()
                .map(|m| TimelineEntry::Other(std::sync::Arc::new(TimelineMessage(m))))
                .collect())
        })
    }
}
