use sea_orm::entity::prelude::*;

/// A sellable version of a product (size M, red), with its own codes, price and cost.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    /// EAN-13, EAN-8 or UPC-A, check digit verified.
    pub barcode: Option<String>,
    /// Values for the product's option names, in order.
    pub option_values: Json,
    /// Price to the public, taxes included, in minor units of `currency`.
    pub price_minor: i64,
    pub currency: String,
    /// Average cost of what is in stock, in minor units; kept by receipts.
    pub cost_minor: i64,
    /// Below this on hand (in thousandths) at a location, a low-stock alert is raised.
    pub low_stock_milli: Option<i64>,
    pub active: bool,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
