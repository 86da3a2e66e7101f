use sea_orm::entity::prelude::*;

/// A week or fortnight of staff pay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payroll_periods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// weekly or fortnightly.
    pub frequency: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// draft, approved or paid.
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<Uuid>,
    pub paid_at: Option<DateTimeUtc>,
    pub payment_reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
