use sea_orm::entity::prelude::*;

/// One change of stock, never edited: receipts, sales, returns, adjustments, transfers, waste.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub variant_id: Uuid,
    pub location_id: Uuid,
    /// receipt, sale, return, adjustment, transfer_in, transfer_out or waste.
    pub kind: String,
    /// Signed, in thousandths of the unit.
    pub quantity_milli: i64,
    /// On hand at the location after this movement.
    pub balance_after_milli: i64,
    /// Cost per unit in minor units: what a receipt paid, the average cost otherwise.
    pub unit_cost_minor: i64,
    pub reason: Option<String>,
    /// The ticket, transfer or count this movement belongs to.
    pub reference_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
