use sea_orm::entity::prelude::*;

/// A prepaid card (RFID tag or QR) a customer pays with at the bar or the till.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prepaid_cards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The tag's UID or the QR's text, upper-case.
    pub uid: String,
    pub contact_id: Option<Uuid>,
    pub label: Option<String>,
    /// active or blocked.
    pub status: String,
    pub currency: String,
    /// Kept equal to the sum of the card's entries; never below zero.
    pub balance_minor: i64,
    /// The card a blocked card's balance went to.
    pub replaced_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
