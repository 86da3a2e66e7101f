use sea_orm::entity::prelude::*;

/// A product on a sales order, priced when the order was written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub variant_id: Uuid,
    pub description: String,
    pub sku: String,
    /// In thousandths of the unit.
    pub quantity_milli: i64,
    pub unit: String,
    /// Taxes included.
    pub unit_price_minor: i64,
    /// The line's own discount.
    pub discount_minor: i64,
    /// The line's share of the order's discount.
    pub order_discount_minor: i64,
    /// What the customer pays for the line after both discounts, taxes included.
    pub total_minor: i64,
    pub base_minor: i64,
    pub iva_minor: i64,
    pub ieps_minor: i64,
    pub tax: String,
    pub ieps_rate: Option<String>,
    pub sat_product_key: String,
    pub sat_unit_key: String,
    /// How much has come back after fulfilment.
    pub returned_milli: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
