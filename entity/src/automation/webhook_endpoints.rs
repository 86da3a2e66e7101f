use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub url: String,
    pub description: String,
    /// JSON array of event-type patterns such as `"crm.*"` or `"tenancy.user.invited"`.
    pub event_types: Json,
    /// The signing secret, encrypted; the receiver holds the same one to check signatures.
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// When the current run of failed deliveries began; cleared by a success.
    pub failing_since: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
