use sea_orm::entity::prelude::*;

/// Money paid to a supplier, against what was received.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supplier_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub supplier_id: Uuid,
    pub purchase_order_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: String,
    /// cash, card or transfer.
    pub method: String,
    pub reference: Option<String>,
    pub paid_on: Date,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
