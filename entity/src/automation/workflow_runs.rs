use sea_orm::entity::prelude::*;

/// One run of a workflow version, started once per triggering event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub workflow_id: Uuid,
    pub version: i32,
    /// What started it (`event:<id>`, `schedule:<time>`, `webhook:<key>`), unique per
    /// workflow, so a trigger delivered again starts nothing new.
    pub trigger_key: String,
    /// The triggering event: `{type, subject, time, data}`.
    pub trigger: Json,
    /// The contact and lead the run acts on, taken from the trigger.
    pub contact_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub status: String,
    /// How many workflow runs caused the event that started this one.
    pub depth: i32,
    /// The next step to run, in the version's compiled program.
    pub position: i32,
    /// When a waiting run goes on.
    pub wake_at: Option<DateTimeUtc>,
    pub error: Option<String>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
