use sea_orm::entity::prelude::*;

/// A business the shop buys from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppliers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The supplier's RFC, for its CFDI.
    pub rfc: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_name: Option<String>,
    /// Days the shop has to pay a receipt.
    pub payment_terms_days: i32,
    pub active: bool,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
