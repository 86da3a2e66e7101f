use sea_orm::entity::prelude::*;

/// A product sold (or returned) on a ticket.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub position: i32,
    pub variant_id: Uuid,
    pub description: String,
    pub sku: String,
    /// Signed, in thousandths of the unit.
    pub quantity_milli: i64,
    pub unit: String,
    /// Taxes included.
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    /// What the customer pays for the line, taxes included.
    pub total_minor: i64,
    /// The line's total less its taxes, and the taxes in it.
    pub base_minor: i64,
    pub iva_minor: i64,
    pub ieps_minor: i64,
    pub tax: String,
    pub ieps_rate: Option<String>,
    pub sat_product_key: String,
    pub sat_unit_key: String,
    /// For a sale's line: how much has been returned.
    pub returned_milli: i64,
    /// For a return's line: the sale's line.
    pub original_line_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
