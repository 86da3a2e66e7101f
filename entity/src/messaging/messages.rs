use sea_orm::entity::prelude::*;

/// A message of a conversation, or an internal note on it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub channel_id: Uuid,
    pub contact_id: Uuid,
    /// inbound, outbound or internal.
    pub direction: String,
    /// text, image, document, audio, video, location, template or note.
    pub kind: String,
    pub body: Option<String>,
    pub content: Option<Json>,
    pub provider_message_id: Option<String>,
    /// queued, sending, sent, delivered, read, failed or received.
    pub status: String,
    pub error: Option<String>,
    pub author_id: Option<Uuid>,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
