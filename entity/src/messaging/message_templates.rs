use sea_orm::entity::prelude::*;

/// A WhatsApp message template and where its approval stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub channel_id: Uuid,
    pub name: String,
    pub language: String,
    /// marketing, utility or authentication.
    pub category: String,
    /// draft, pending, approved, rejected, paused or disabled.
    pub status: String,
    pub version: i32,
    /// header, body, footer, buttons and examples.
    pub content: Json,
    pub provider_template_id: Option<String>,
    pub rejection_reason: Option<String>,
    pub updated_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
