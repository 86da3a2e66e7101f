//! GraphQL of messaging: channels, the inbox (conversations and their messages), message
//! templates, opt-outs, and a live inbox subscription.

use async_graphql::{
    Context, Enum, ID, InputObject, Json, Object, OneofObject, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tianguis_domain::Permission;
use tianguis_domain::messaging::{self, channels, conversations, messages, templates};
use tianguis_domain::ports::{TemplateButton as DomainButton, TemplateContent};

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::crm::records::optional_id;
use crate::graphql::crm::types::{Contact, user};
use crate::graphql::error::{GqlResult, parse_id, to_graphql};
use crate::graphql::loaders::{
    ChannelLoader, ContactLoader, ConversationLoader, MessageLoader, TemplateVersionsLoader, load,
};
use crate::graphql::tenancy::types::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChannelKind {
    Whatsapp,
    Sms,
    Email,
}

impl From<messaging::ChannelKind> for ChannelKind {
    fn from(k: messaging::ChannelKind) -> Self {
        match k {
            messaging::ChannelKind::WhatsApp => Self::Whatsapp,
            messaging::ChannelKind::Sms => Self::Sms,
            messaging::ChannelKind::Email => Self::Email,
        }
    }
}

impl From<ChannelKind> for messaging::ChannelKind {
    fn from(k: ChannelKind) -> Self {
        match k {
            ChannelKind::Whatsapp => Self::WhatsApp,
            ChannelKind::Sms => Self::Sms,
            ChannelKind::Email => Self::Email,
        }
    }
}

/// A WhatsApp number, SMS number or email identity of the business.
pub struct Channel(pub channels::Channel);

#[Object]
impl Channel {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> ChannelKind {
        messaging::ChannelKind::parse(&self.0.kind).into()
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
pub enum ConversationStatus {
    Open,
    /// Waiting on the contact.
    Pending,
    Snoozed,
    Closed,
}

impl From<conversations::Status> for ConversationStatus {
    fn from(s: conversations::Status) -> Self {
        use conversations::Status as S;
        match s {
            S::Open => Self::Open,
            S::Pending => Self::Pending,
            S::Snoozed => Self::Snoozed,
            S::Closed => Self::Closed,
        }
    }
}

impl From<ConversationStatus> for conversations::Status {
    fn from(s: ConversationStatus) -> Self {
        match s {
            ConversationStatus::Open => Self::Open,
            ConversationStatus::Pending => Self::Pending,
            ConversationStatus::Snoozed => Self::Snoozed,
            ConversationStatus::Closed => Self::Closed,
        }
    }
}

/// The thread with one contact on one channel.
pub struct Conversation(pub conversations::Conversation);

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> ConversationStatus {
        conversations::Status::parse(&self.0.status).into()
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
pub enum MessageDirection {
    Inbound,
    Outbound,
    /// A note only the team sees.
    Internal,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
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
    async fn direction(&self) -> MessageDirection {
        match self.0.direction.as_str() {
            "inbound" => MessageDirection::Inbound,
            "internal" => MessageDirection::Internal,
            _ => MessageDirection::Outbound,
        }
    }
    async fn kind(&self) -> MessageKind {
        match self.0.kind.as_str() {
            "image" => MessageKind::Image,
            "document" => MessageKind::Document,
            "audio" => MessageKind::Audio,
            "video" => MessageKind::Video,
            "location" => MessageKind::Location,
            "template" => MessageKind::Template,
            "note" => MessageKind::Note,
            _ => MessageKind::Text,
        }
    }
    /// The text, caption, place name or rendered template.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// Media, location or template details, as the provider or the sender gave them.
    async fn content(&self) -> Option<Json<serde_json::Value>> {
        self.0.content.clone().map(Json)
    }
    async fn status(&self) -> MessageStatus {
        match self.0.status.as_str() {
            "queued" => MessageStatus::Queued,
            "sending" => MessageStatus::Sending,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "failed" => MessageStatus::Failed,
            "received" => MessageStatus::Received,
            _ => MessageStatus::Sent,
        }
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
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

impl TemplateCategory {
    fn key(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TemplateStatus {
    Draft,
    /// Submitted; Meta is reviewing it.
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TemplateButtonKind {
    QuickReply,
    Url,
    PhoneNumber,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TemplateButtonInput")]
pub struct TemplateButton {
    pub kind: TemplateButtonKind,
    pub text: String,
    pub url: Option<String>,
    pub phone_number: Option<String>,
}

impl From<DomainButton> for TemplateButton {
    fn from(b: DomainButton) -> Self {
        Self {
            kind: match b.kind.as_str() {
                "url" => TemplateButtonKind::Url,
                "phone_number" => TemplateButtonKind::PhoneNumber,
                _ => TemplateButtonKind::QuickReply,
            },
            text: b.text,
            url: b.url,
            phone_number: b.phone_number,
        }
    }
}

impl From<TemplateButton> for DomainButton {
    fn from(b: TemplateButton) -> Self {
        Self {
            kind: match b.kind {
                TemplateButtonKind::QuickReply => "quick_reply",
                TemplateButtonKind::Url => "url",
                TemplateButtonKind::PhoneNumber => "phone_number",
            }
            .to_owned(),
            text: b.text,
            url: b.url,
            phone_number: b.phone_number,
        }
    }
}

/// A template's parts. The body's variables are numbered `{{1}}`, `{{2}}`, …
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TemplateContentInput")]
pub struct TemplateParts {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    #[graphql(default)]
    pub buttons: Vec<TemplateButton>,
    /// An example value for each variable, in order (Meta requires them).
    #[graphql(default)]
    pub examples: Vec<String>,
}

impl From<TemplateContent> for TemplateParts {
    fn from(c: TemplateContent) -> Self {
        Self {
            header: c.header,
            body: c.body,
            footer: c.footer,
            buttons: c.buttons.into_iter().map(Into::into).collect(),
            examples: c.examples,
        }
    }
}

impl From<TemplateParts> for TemplateContent {
    fn from(c: TemplateParts) -> Self {
        Self {
            header: c.header,
            body: c.body,
            footer: c.footer,
            buttons: c.buttons.into_iter().map(Into::into).collect(),
            examples: c.examples,
        }
    }
}

/// A WhatsApp message template and where Meta's review of it stands.
pub struct MessageTemplate(pub templates::Template);

#[Object]
impl MessageTemplate {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn channel_id(&self) -> ID {
        self.0.channel_id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn language(&self) -> &str {
        &self.0.language
    }
    async fn category(&self) -> TemplateCategory {
        match self.0.category.as_str() {
            "utility" => TemplateCategory::Utility,
            "authentication" => TemplateCategory::Authentication,
            _ => TemplateCategory::Marketing,
        }
    }
    async fn status(&self) -> TemplateStatus {
        match self.0.status.as_str() {
            "pending" => TemplateStatus::Pending,
            "approved" => TemplateStatus::Approved,
            "rejected" => TemplateStatus::Rejected,
            "paused" => TemplateStatus::Paused,
            "disabled" => TemplateStatus::Disabled,
            _ => TemplateStatus::Draft,
        }
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn content(&self) -> TemplateParts {
        templates::content_of(&self.0).into()
    }
    /// How many variables the body takes.
    async fn variable_count(&self) -> usize {
        let mut v = templates::variables(&templates::content_of(&self.0).body);
        v.sort_unstable();
        v.dedup();
        v.len()
    }
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    async fn provider_template_id(&self) -> Option<&str> {
        self.0.provider_template_id.as_deref()
    }
    async fn updated_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.updated_by).await
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Every version, newest first, with who changed what.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TemplateVersion>> {
        Ok(load::<TemplateVersionsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TemplateVersion)
            .collect())
    }
}

pub struct TemplateVersion(templates::TemplateVersion);

#[Object]
impl TemplateVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn content(&self) -> TemplateParts {
        serde_json::from_value::<TemplateContent>(self.0.content.clone())
            .map(Into::into)
            .unwrap_or(TemplateParts {
                header: None,
                body: String::new(),
                footer: None,
                buttons: Vec::new(),
                examples: Vec::new(),
            })
    }
    async fn changed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.changed_by).await
    }
    /// What changed, in words.
    async fn change(&self) -> &str {
        &self.0.change
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct ConversationFilter {
    pub statuses: Option<Vec<ConversationStatus>>,
    pub channel_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub assignee_id: Option<ID>,
    /// Only conversations nobody is assigned to.
    #[graphql(default)]
    pub unassigned: bool,
    pub label: Option<String>,
    #[graphql(default)]
    pub unread_only: bool,
}

#[derive(Default)]
pub struct MessagingQuery;

#[Object]
impl MessagingQuery {
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        Ok(channels::list(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Channel)
            .collect())
    }

    /// The inbox: most recent activity first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ConversationFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Conversation>> {
        let f = filter.unwrap_or_default();
        let filter = conversations::ConversationFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            channel_id: optional_id(f.channel_id.as_ref(), "channelId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            assignee_id: optional_id(f.assignee_id.as_ref(), "assigneeId")?,
            unassigned: f.unassigned,
            label: f.label,
            unread_only: f.unread_only,
        };
        let page = page_request(first, after, last, before)?;
        let page = conversations::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, Conversation))
    }

    async fn conversation(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Conversation> {
        let id = parse_id(&id, "id")?;
        Ok(Conversation(
            conversations::get(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    async fn message_templates(
        &self,
        ctx: &Context<'_>,
        channel_id: Option<ID>,
    ) -> async_graphql::Result<Vec<MessageTemplate>> {
        let channel = optional_id(channel_id.as_ref(), "channelId")?;
        Ok(templates::list(deps(ctx)?, tenant(ctx)?, channel)
            .await
            .gql()?
            .into_iter()
            .map(MessageTemplate)
            .collect())
    }

    async fn message_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&id, "id")?;
        Ok(MessageTemplate(
            templates::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

#[derive(InputObject)]
pub struct CreateChannelInput {
    pub kind: ChannelKind,
    pub name: String,
    /// WhatsApp: the phone number id; SMS: the sending number; email: the address.
    pub address: String,
    /// WhatsApp: the business account id; SMS: the Twilio account SID.
    pub account_id: Option<String>,
    /// Shown as the sender (email).
    pub display_name: Option<String>,
    /// WhatsApp: the access token; SMS: Twilio's auth token. Stored encrypted.
    pub token: Option<String>,
    pub send_rate_per_second: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateChannelInput {
    pub id: ID,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub token: Option<String>,
    pub send_rate_per_second: Option<i32>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct StartConversationInput {
    pub contact_id: ID,
    pub channel_id: ID,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
}

#[derive(InputObject)]
pub struct MediaInput {
    pub kind: MediaKind,
    /// A public http(s) URL the provider fetches.
    pub url: String,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

#[derive(InputObject)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(InputObject)]
pub struct TemplateMessageInput {
    pub template_id: ID,
    /// The body's variables, in order.
    #[graphql(default)]
    pub variables: Vec<String>,
}

/// What a message carries: exactly one of these.
#[derive(OneofObject)]
pub enum MessageContentInput {
    Text(String),
    Media(MediaInput),
    Location(LocationInput),
    Template(TemplateMessageInput),
}

#[derive(InputObject)]
pub struct SendMessageInput {
    pub conversation_id: ID,
    pub content: MessageContentInput,
}

#[derive(InputObject)]
pub struct AddConversationNoteInput {
    pub conversation_id: ID,
    pub text: String,
}

#[derive(InputObject)]
pub struct AssignConversationInput {
    pub conversation_id: ID,
    /// None unassigns.
    pub assignee_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetConversationStatusInput {
    pub conversation_id: ID,
    pub status: ConversationStatus,
    /// Required when snoozing: the conversation opens again then.
    pub snoozed_until: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct SetConversationLabelsInput {
    pub conversation_id: ID,
    pub labels: Vec<String>,
}

#[derive(InputObject)]
pub struct ConversationRef {
    pub conversation_id: ID,
}

#[derive(InputObject)]
pub struct SetContactOptOutInput {
    pub contact_id: ID,
    pub channel_kind: ChannelKind,
    pub opted_out: bool,
}

#[derive(InputObject)]
pub struct CreateMessageTemplateInput {
    pub channel_id: ID,
    /// Lowercase letters, digits and underscores.
    pub name: String,
    /// Such as es_MX.
    pub language: String,
    pub category: TemplateCategory,
    pub content: TemplateParts,
}

#[derive(InputObject)]
pub struct UpdateMessageTemplateInput {
    pub id: ID,
    pub category: Option<TemplateCategory>,
    pub content: TemplateParts,
}

#[derive(InputObject)]
pub struct TemplateRef {
    pub id: ID,
}

#[derive(Default)]
pub struct MessagingMutation;

#[Object]
impl MessagingMutation {
    async fn create_channel(
        &self,
        ctx: &Context<'_>,
        input: CreateChannelInput,
    ) -> async_graphql::Result<Channel> {
        let cmd = channels::NewChannel {
            kind: input.kind.into(),
            name: input.name,
            address: input.address,
            account_id: input.account_id,
            display_name: input.display_name,
            token: input.token,
            send_rate_per_second: input.send_rate_per_second,
        };
        Ok(Channel(
            channels::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_channel(
        &self,
        ctx: &Context<'_>,
        input: UpdateChannelInput,
    ) -> async_graphql::Result<Channel> {
        let id = parse_id(&input.id, "id")?;
        let changes = channels::ChannelChanges {
            name: input.name,
            display_name: input.display_name,
            token: input.token,
            send_rate_per_second: input.send_rate_per_second,
            active: input.active,
        };
        Ok(Channel(
            channels::update(deps(ctx)?, tenant(ctx)?, id, changes)
                .await
                .gql()?,
        ))
    }

    /// The conversation with a contact on a channel, to write first (found if it exists).
    async fn start_conversation(
        &self,
        ctx: &Context<'_>,
        input: StartConversationInput,
    ) -> async_graphql::Result<Conversation> {
        let contact = parse_id(&input.contact_id, "contactId")?;
        let channel = parse_id(&input.channel_id, "channelId")?;
        Ok(Conversation(
            conversations::start(deps(ctx)?, tenant(ctx)?, contact, channel)
                .await
                .gql()?,
        ))
    }

    /// Queues a reply; its status follows as the provider reports it.
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> async_graphql::Result<Message> {
        let conversation = parse_id(&input.conversation_id, "conversationId")?;
        let compose = match input.content {
            MessageContentInput::Text(text) => messages::Compose::Text(text),
            MessageContentInput::Media(m) => messages::Compose::Media {
                kind: match m.kind {
                    MediaKind::Image => "image",
                    MediaKind::Document => "document",
                    MediaKind::Audio => "audio",
                    MediaKind::Video => "video",
                }
                .to_owned(),
                url: m.url,
                caption: m.caption,
                filename: m.filename,
            },
            MessageContentInput::Location(l) => messages::Compose::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name,
                address: l.address,
            },
            MessageContentInput::Template(t) => messages::Compose::Template {
                template_id: parse_id(&t.template_id, "templateId")?,
                variables: t.variables,
            },
        };
        Ok(Message(
            messages::send(deps(ctx)?, tenant(ctx)?, conversation, compose)
                .await
                .gql()?,
        ))
    }

    /// A note on the conversation only the team sees.
    async fn add_conversation_note(
        &self,
        ctx: &Context<'_>,
        input: AddConversationNoteInput,
    ) -> async_graphql::Result<Message> {
        let conversation = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Message(
            messages::add_note(deps(ctx)?, tenant(ctx)?, conversation, &input.text)
                .await
                .gql()?,
        ))
    }

    async fn assign_conversation(
        &self,
        ctx: &Context<'_>,
        input: AssignConversationInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        let assignee = optional_id(input.assignee_id.as_ref(), "assigneeId")?;
        Ok(Conversation(
            conversations::assign(deps(ctx)?, tenant(ctx)?, id, assignee)
                .await
                .gql()?,
        ))
    }

    async fn set_conversation_status(
        &self,
        ctx: &Context<'_>,
        input: SetConversationStatusInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::set_status(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.status.into(),
                input.snoozed_until,
            )
            .await
            .gql()?,
        ))
    }

    async fn set_conversation_labels(
        &self,
        ctx: &Context<'_>,
        input: SetConversationLabelsInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::set_labels(deps(ctx)?, tenant(ctx)?, id, input.labels)
                .await
                .gql()?,
        ))
    }

    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        input: ConversationRef,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::mark_read(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Opts a contact out of, or back into, messages on a kind of channel; returns the
    /// kinds the contact is opted out of.
    async fn set_contact_opt_out(
        &self,
        ctx: &Context<'_>,
        input: SetContactOptOutInput,
    ) -> async_graphql::Result<Vec<ChannelKind>> {
        let contact = parse_id(&input.contact_id, "contactId")?;
        Ok(channels::set_opt_out(
            deps(ctx)?,
            tenant(ctx)?,
            contact,
            input.channel_kind.into(),
            input.opted_out,
        )
        .await
        .gql()?
        .into_iter()
        .map(Into::into)
        .collect())
    }

    async fn create_message_template(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageTemplateInput,
    ) -> async_graphql::Result<MessageTemplate> {
        let cmd = templates::NewTemplate {
            channel_id: parse_id(&input.channel_id, "channelId")?,
            name: input.name,
            language: input.language,
            category: input.category.key().to_owned(),
            content: input.content.into(),
        };
        Ok(MessageTemplate(
            templates::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    /// A new version; it goes back to draft, since Meta reviews every change.
    async fn update_message_template(
        &self,
        ctx: &Context<'_>,
        input: UpdateMessageTemplateInput,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::update(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.category.map(|c| c.key().to_owned()),
                input.content.into(),
            )
            .await
            .gql()?,
        ))
    }

    /// Submits the template to Meta for approval.
    async fn submit_message_template(
        &self,
        ctx: &Context<'_>,
        input: TemplateRef,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::submit(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Asks Meta where the template's review stands.
    async fn refresh_message_template(
        &self,
        ctx: &Context<'_>,
        input: TemplateRef,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::refresh(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum InboxChange {
    MessageAdded,
    /// A message's delivery status changed.
    MessageUpdated,
    ConversationUpdated,
}

pub struct InboxEvent {
    change: InboxChange,
    conversation_id: uuid::Uuid,
    message_id: Option<uuid::Uuid>,
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

#[derive(Default)]
pub struct MessagingSubscription;

#[Subscription]
impl MessagingSubscription {
    /// The business's inbox as it changes, on any replica: new messages, delivery statuses,
    /// conversation changes; only one conversation's when given.
    async fn inbox_changed(
        &self,
        ctx: &Context<'_>,
        conversation_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = InboxEvent> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::MessagingRead).gql()?;
        let only = optional_id(conversation_id.as_ref(), "conversationId")?;
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&messaging::topic(caller.tenant_id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(move |payload| async move {
            let event = serde_json::from_slice::<messaging::InboxEvent>(&payload).ok()?;
            if only.is_some_and(|id| id != event.conversation_id) {
                return None;
            }
            Some(InboxEvent {
                change: match event.change {
                    messaging::InboxChange::MessageAdded => InboxChange::MessageAdded,
                    messaging::InboxChange::MessageUpdated => InboxChange::MessageUpdated,
                    messaging::InboxChange::ConversationUpdated => InboxChange::ConversationUpdated,
                },
                conversation_id: event.conversation_id,
                message_id: event.message_id,
            })
        }))
    }
}
