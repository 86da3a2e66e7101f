use sea_orm::entity::prelude::*;

/// An order to a supplier, received in one or more deliveries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub supplier_id: Uuid,
    /// Folio per business.
    pub number: i64,
    /// Where the goods are received.
    pub location_id: Uuid,
    /// draft, sent, partially_received, received, closed or cancelled.
    pub status: String,
    pub currency: String,
    /// What the lines order, at their costs.
    pub total_minor: i64,
    /// What has been received, at the costs received.
    pub received_minor: i64,
    pub expected_on: Option<Date>,
    pub notes: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
