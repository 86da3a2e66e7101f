use sea_orm::entity::prelude::*;

/// Money received for an event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_id: Uuid,
    /// deposit, balance or other.
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    /// cash, transfer, card or stripe.
    pub method: String,
    pub reference: Option<String>,
    pub paid_at: DateTimeUtc,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
