use sea_orm::entity::prelude::*;

/// One change of a prepaid card's balance, never edited.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prepaid_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub card_id: Uuid,
    /// top_up, charge, refund, transfer_in or transfer_out.
    pub kind: String,
    /// Signed: negative when money left the card.
    pub amount_minor: i64,
    pub balance_after_minor: i64,
    /// The reader's or till's id for the operation: a retry with it is applied once.
    pub transaction_id: String,
    /// How a top-up was paid (cash, card, transfer).
    pub method: Option<String>,
    pub session_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    /// The reader that charged the card.
    pub device_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
