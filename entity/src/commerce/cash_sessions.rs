use sea_orm::entity::prelude::*;

/// A cashier's shift at a register, from the opening float to the count at close.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cash_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub register_id: Uuid,
    pub cashier_id: Uuid,
    /// open or closed.
    pub status: String,
    pub currency: String,
    pub opening_float_minor: i64,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// Per payment method at close: what the tickets say should be there.
    pub expected: Option<Json>,
    /// Per payment method at close: what the cashier counted.
    pub counted: Option<Json>,
    /// Counted minus expected, all methods.
    pub difference_minor: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
