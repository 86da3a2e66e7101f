use sea_orm::entity::prelude::*;

/// One submission of a form: what was sent, the consent given, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub form_id: Uuid,
    pub contact_id: Uuid,
    pub lead_id: Option<Uuid>,
    /// Whether this submission created the contact (or found an existing one).
    pub contact_created: bool,
    /// The submitted values by field key.
    pub values: Json,
    /// The consent text as shown when the box was ticked.
    pub consent_text: Option<String>,
    pub consented_at: Option<DateTimeUtc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
