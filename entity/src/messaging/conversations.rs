use sea_orm::entity::prelude::*;

/// One thread per contact and channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub channel_id: Uuid,
    pub contact_id: Uuid,
    /// open, pending, snoozed or closed.
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub labels: Json,
    pub unread_count: i32,
    pub last_message_preview: Option<String>,
    pub last_message_at: DateTimeUtc,
    /// The last message from the contact; opens the 24-hour service window.
    pub last_inbound_at: Option<DateTimeUtc>,
    pub opened_at: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub snoozed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
