use sea_orm::entity::prelude::*;

/// One reminder of one appointment: due at a time before it, sent at most once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub appointment_id: Uuid,
    pub offset_minutes: i32,
    /// The start it reminds of; once the appointment moves, it is skipped.
    pub for_starts_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    /// pending, sent or skipped.
    pub status: String,
    /// whatsapp, sms or email: how it went out.
    pub channel: Option<String>,
    /// The conversation message or email that carried it.
    pub message_id: Option<Uuid>,
    pub sent_at: Option<DateTimeUtc>,
    /// Why it was skipped.
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
