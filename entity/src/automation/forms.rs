use sea_orm::entity::prelude::*;

/// A public form: its fields and where each goes, its consent text, and who may post it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The fields in order, as `automation::forms::Field` serializes them.
    pub fields: Json,
    /// When set, a submission must tick a box with this text; the text is kept with it.
    pub consent_text: Option<String>,
    /// Origins whose pages may post to the JSON endpoint (CORS).
    pub allowed_origins: Json,
    pub captcha: bool,
    pub create_lead: bool,
    /// Tags every submitted contact gets.
    pub tags: Json,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
