use sea_orm::entity::prelude::*;

/// A rendered email waiting to be sent, or the record of one sent. Written in the same
/// transaction as the change that causes it; the SendEmail job sends it once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The business it is sent for (its branding), if any.
    pub tenant_id: Option<Uuid>,
    /// invitation, email_verification, password_reset, new_login, webhook_disabled, …
    pub kind: String,
    pub to_address: String,
    pub locale: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Fixed when queued, so a resend after a crash carries the same Message-ID.
    pub message_id: String,
    /// pending, sending (claimed by a job), sent or failed.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    /// Files sent with it: `[{filename, contentType, content (base64)}]`.
    pub attachments: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
