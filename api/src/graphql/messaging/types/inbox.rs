//! Messaging's GraphQL object types: channels, conversations and their messages.

use crate::graphql::common::stored;
use crate::graphql::common::user;
use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::crm::Contact;
use crate::graphql::error::GqlResult;
use crate::graphql::loaders::ChannelLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::ConversationLoader;
use crate::graphql::loaders::MessageLoader;
use crate::graphql::loaders::load;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Json;
use async_graphql::Object;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::messaging;
use tianguis_domain::messaging::channels;
use tianguis_domain::messaging::conversations;
use tianguis_domain::messaging::messages;
use tianguis_domain::ports;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "messaging::ChannelKind")]
pub enum ChannelKind {
    Whatsapp,
    Sms,
    Email,
}

/// A WhatsApp number, SMS number or email identity of the business.
pub struct Channel(pub channels::Channel);

#[Object]
impl Channel {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<ChannelKind> {
        stored(messaging::ChannelKind::from_stored, &self.0.kind)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// WhatsApp: the phone number id; SMS: the sending number; email: the address.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// WhatsApp: the business account id; SMS: the Twilio account SID.
    async fn account_id(&self) -> Option<&str> {
        self.0.account_id.as_deref()
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    /// Whether a provider token is stored (it is never shown).
    async fn has_credentials(&self) -> bool {
        self.0.credentials_sealed.is_some()
    }
    async fn send_rate_per_second(&self) -> Option<i32> {
        self.0.send_rate_per_second
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "conversations::Status")]
pub enum ConversationStatus {
    Open,
    /// Waiting on the contact.
    Pending,
    Snoozed,
    Closed,
}

/// The thread with one contact on one channel.
pub struct Conversation(pub conversations::Conversation);

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<ConversationStatus> {
        stored(conversations::Status::from_stored, &self.0.status)
    }
    async fn channel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Channel>> {
        Ok(load::<ChannelLoader>(ctx, self.0.channel_id)
            .await?
            .map(Channel))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.assignee_id).await
    }
    async fn labels(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.labels)
    }
    async fn unread_count(&self) -> i32 {
        self.0.unread_count
    }
    async fn last_message_preview(&self) -> Option<&str> {
        self.0.last_message_preview.as_deref()
    }
    async fn last_message_at(&self) -> DateTime<Utc> {
        self.0.last_message_at
    }
    /// The contact's last message.
    async fn last_inbound_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_inbound_at
    }
    /// On WhatsApp, free-form replies are allowed until then; after it, templates only.
    async fn service_window_closes_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .last_inbound_at
            .map(|at| at + messaging::SERVICE_WINDOW)
    }
    /// When the current cycle began (the first message, or the one that reopened it).
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_response_at
    }
    /// Seconds from opening to the team's first reply.
    async fn first_response_seconds(&self) -> Option<i64> {
        self.0
            .first_response_at
            .map(|at| (at - self.0.opened_at).num_seconds())
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// Seconds from opening to closing.
    async fn resolution_seconds(&self) -> Option<i64> {
        self.0
            .resolved_at
            .map(|at| (at - self.0.opened_at).num_seconds())
    }
    async fn snoozed_until(&self) -> Option<DateTime<Utc>> {
        self.0.snoozed_until
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Messages and internal notes, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Message>> {
        let page = page_request(first, after, last, before)?;
        let page = messages::list(deps(ctx)?, tenant(ctx)?, self.0.id, &page)
            .await
            .gql()?;
        Ok(connection(page, |m| m.id, Message))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "messages::Direction")]
pub enum MessageDirection {
    Inbound,
    Outbound,
    /// A note only the team sees.
    Internal,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "messages::Kind")]
pub enum MessageKind {
    Text,
    Image,
    Document,
    Audio,
    Video,
    Location,
    Template,
    Note,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "messages::Status")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
    /// From the contact.
    Received,
}

pub struct Message(pub messages::Message);

#[Object]
impl Message {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn conversation_id(&self) -> ID {
        self.0.conversation_id.into()
    }
    async fn direction(&self) -> async_graphql::Result<MessageDirection> {
        stored(messages::Direction::from_stored, &self.0.direction)
    }
    async fn kind(&self) -> async_graphql::Result<MessageKind> {
        stored(messages::Kind::from_stored, &self.0.kind)
    }
    /// The text, caption, place name or rendered template.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// Media, location or template details, as the provider or the sender gave them.
    async fn content(&self) -> Option<Json<serde_json::Value>> {
        self.0.content.clone().map(Json)
    }
    async fn status(&self) -> async_graphql::Result<MessageStatus> {
        stored(messages::Status::from_stored, &self.0.status)
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn provider_message_id(&self) -> Option<&str> {
        self.0.provider_message_id.as_deref()
    }
    /// The team member who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "ports::MediaKind")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "messaging::InboxChange")]
pub enum InboxChange {
    MessageAdded,
    /// A message's delivery status changed.
    MessageUpdated,
    ConversationUpdated,
}

pub struct InboxEvent {
    pub(crate) change: InboxChange,
    pub(crate) conversation_id: uuid::Uuid,
    pub(crate) message_id: Option<uuid::Uuid>,
}

#[Object]
impl InboxEvent {
    async fn change(&self) -> InboxChange {
        self.change
    }
    async fn conversation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Conversation>> {
        Ok(load::<ConversationLoader>(ctx, self.conversation_id)
            .await?
            .map(Conversation))
    }
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        match self.message_id {
            Some(id) => Ok(load::<MessageLoader>(ctx, id).await?.map(Message)),
            None => Ok(None),
        }
    }
}
