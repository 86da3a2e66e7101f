use sea_orm::entity::prelude::*;

/// A person working an event in a role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_staff")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_id: Uuid,
    pub resource_id: Uuid,
    /// dj, technician, host…
    pub role: String,
    /// The event's hours widened by its travel time either side.
    pub block_starts_at: DateTimeUtc,
    pub block_ends_at: DateTimeUtc,
    /// False once the event is cancelled.
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
