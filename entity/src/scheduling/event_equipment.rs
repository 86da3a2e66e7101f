use sea_orm::entity::prelude::*;

/// Equipment an event takes, by quantity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_equipment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_id: Uuid,
    pub resource_id: Uuid,
    pub quantity: i32,
    pub block_starts_at: DateTimeUtc,
    pub block_ends_at: DateTimeUtc,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
