use sea_orm::entity::prelude::*;

/// A rule's condition holding for a device: active, then acknowledged, then cleared.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub rule_id: Uuid,
    pub device_id: Uuid,
    pub severity: String,
    /// ACTIVE, ACKNOWLEDGED or CLEARED.
    pub status: String,
    /// The values that made the condition hold, last time it was evaluated.
    pub details: Json,
    pub trigger_count: i32,
    pub started_at: DateTimeUtc,
    pub last_triggered_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub cleared_at: Option<DateTimeUtc>,
    /// Who cleared it by hand; none when it cleared by itself.
    pub cleared_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
