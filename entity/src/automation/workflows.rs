use sea_orm::entity::prelude::*;

/// What a business set to happen on a trigger: its current definition, and how its trigger
/// is found (an event type, a cron schedule, or a secret webhook URL).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub enabled: bool,
    /// Grows by one with each saved change; runs keep the version they started with.
    pub version: i32,
    /// `event`, `schedule` or `webhook`.
    pub trigger_kind: String,
    /// For event triggers: the event type, so the dispatcher finds them by index.
    pub event_type: Option<String>,
    pub cron: Option<String>,
    /// For schedules: when the next run is due.
    pub next_run_at: Option<DateTimeUtc>,
    /// For webhook triggers: hex SHA-256 of the URL's secret.
    pub webhook_token_hash: Option<String>,
    /// The current version's definition, as `workflow_versions` keeps it.
    pub definition: Json,
    /// Round-robin positions, by step path: the last member each step assigned.
    pub rotation: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
