//! messaging's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::OneofObject;
use chrono::DateTime;
use chrono::Utc;

use crate::graphql::messaging::*;

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
