use sea_orm::entity::prelude::*;

/// When a device's telemetry should raise an alert, and whom to tell.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub device_id: Option<Uuid>,
    pub profile_id: Option<Uuid>,
    /// INFO, WARNING, CRITICAL or EMERGENCY.
    pub severity: String,
    /// The condition tree, as `tianguis_domain::iot::rules::Condition` serializes it.
    pub condition: Json,
    pub notify_emails: Json,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
