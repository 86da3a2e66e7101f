use sea_orm::entity::prelude::*;

/// One background job as the business sees it: kind, payload, state, attempts, last
/// error. The queue store (apalis) carries only its id; this row is what admins list,
/// retry and cancel, whichever store runs the jobs.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The business the job works for; none for account-level work.
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: Json,
    /// queued, running, succeeded, failed or cancelled.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub run_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
