use sea_orm::entity::prelude::*;

/// Something a business sells: goods with stock, or a service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// good or service.
    pub kind: String,
    /// piece, kg, l or m: how quantities are counted.
    pub unit: String,
    pub category_id: Option<Uuid>,
    /// SAT's ClaveProdServ (8 digits) and ClaveUnidad.
    pub sat_product_key: String,
    pub sat_unit_key: String,
    /// The IVA key (`pricing::Tax`).
    pub tax: String,
    /// IEPS rate as exact decimal text (0.265 for beer), when it applies.
    pub ieps_rate: Option<String>,
    /// Whether sales may take stock below zero.
    pub allow_backorder: bool,
    pub track_stock: bool,
    /// active or archived.
    pub status: String,
    /// Option names the variants give values for, in order (Talla, Color).
    pub option_names: Json,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
