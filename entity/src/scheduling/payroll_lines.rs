use sea_orm::entity::prelude::*;

/// What a person earns in a period: a piece of work or an adjustment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payroll_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub period_id: Uuid,
    pub resource_id: Uuid,
    /// event, appointment, bonus or deduction.
    pub kind: String,
    /// The work paid (`event_staff:<id>`, `appointment:<id>`), unique across periods.
    pub work_key: Option<String>,
    pub event_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub worked_on: Date,
    pub description: String,
    pub minutes: Option<i32>,
    pub amount_minor: i64,
    pub rule_id: Option<Uuid>,
    pub reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
