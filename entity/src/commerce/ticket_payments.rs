use sea_orm::entity::prelude::*;

/// How a ticket was paid (or refunded): one row per method.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub session_id: Uuid,
    /// cash, card or transfer.
    pub method: String,
    /// Signed: negative for a refund.
    pub amount_minor: i64,
    /// Cash handed over, for the change.
    pub tendered_minor: Option<i64>,
    /// The terminal's or the bank's reference.
    pub reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
