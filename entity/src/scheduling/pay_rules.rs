use sea_orm::entity::prelude::*;

/// How a person is paid for events or appointments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub resource_id: Uuid,
    /// events or appointments.
    pub applies_to: String,
    /// The event role it pays; any role when absent.
    pub role: Option<String>,
    /// fixed, hourly or percent.
    pub basis: String,
    pub amount_minor: i64,
    /// Hundredths of a percent of the work's value.
    pub percent_bp: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
