use sea_orm::entity::prelude::*;

/// A field a tenant adds to its contacts, companies or leads.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `contact`, `company` or `lead`.
    pub entity: String,
    pub key: String,
    pub label: String,
    /// `text`, `number`, `date`, `boolean` or `select`.
    pub kind: String,
    /// JSON array of the allowed values of a `select` field.
    pub options: Json,
    pub required: bool,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
