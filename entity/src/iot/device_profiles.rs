use sea_orm::entity::prelude::*;

/// What a kind of device reports: its telemetry keys with unit and expected range, and how
/// long it may stay silent before it counts as offline.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "device_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// JSON array of `{key, unit, min, max}`.
    pub telemetry_keys: Json,
    pub offline_timeout_secs: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
