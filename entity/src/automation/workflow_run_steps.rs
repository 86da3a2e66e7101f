use sea_orm::entity::prelude::*;

/// One step of a run as it ran: what it was given, what it did, how long it took.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_run_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub run_id: Uuid,
    pub position: i32,
    /// Where the step sits in the definition: `2`, `3.then.0`.
    pub path: String,
    pub kind: String,
    pub status: String,
    pub input: Json,
    pub output: Json,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
