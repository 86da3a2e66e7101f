use sea_orm::entity::prelude::*;

/// A way the business talks to contacts: a WhatsApp number, an SMS number, an email identity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// whatsapp, sms or email.
    pub kind: String,
    pub name: String,
    /// WhatsApp: phone number id; SMS: the sending number (E.164); email: the address.
    pub address: String,
    /// WhatsApp: business account id; SMS: Twilio account SID.
    pub account_id: Option<String>,
    pub display_name: Option<String>,
    /// The provider token, sealed.
    pub credentials_sealed: Option<String>,
    pub send_rate_per_second: Option<i32>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
