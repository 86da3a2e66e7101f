use sea_orm::entity::prelude::*;

/// Money received for a sales order, or given back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_order_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    /// payment or refund.
    pub kind: String,
    /// cash, card, transfer or stripe.
    pub method: String,
    /// Always positive; the kind says which way it went.
    pub amount_minor: i64,
    /// The terminal's or bank's reference, or Stripe's payment intent.
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
