use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub invoice_id: Uuid,
    pub position: i32,
    /// The catalog's product the line sells, when it is one.
    pub product_id: Option<Uuid>,
    /// c_ClaveProdServ.
    pub product_key: String,
    /// c_ClaveUnidad.
    pub unit_key: String,
    pub sku: Option<String>,
    pub description: String,
    /// Exact decimal text.
    pub quantity: String,
    /// Exact decimal text.
    pub unit_price: String,
    pub discount_minor: i64,
    /// `iva_16`, `iva_8`, `iva_0` or `exempt`.
    pub tax: String,
    /// JSON array of withholding codes.
    pub withholdings: Json,
    pub amount_minor: i64,
    pub tax_minor: i64,
    pub withheld_minor: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
