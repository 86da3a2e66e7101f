use sea_orm::entity::prelude::*;

/// A business the tenant sells to, with the tax data its invoices need.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub legal_name: Option<String>,
    pub rfc: Option<String>,
    /// SAT c_RegimenFiscal code, such as `601`.
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<Uuid>,
    pub tags: Json,
    /// Values of the tenant's custom fields, keyed by field key.
    pub custom_fields: Json,
    pub is_customer: bool,
    pub customer_since: Option<DateTimeUtc>,
    /// Lower-cased name, email, phone and RFC, for free-text search.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
