use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fiscal_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub rfc: String,
    pub legal_name: String,
    pub tax_regime: String,
    pub postal_code: String,
    /// Invoice series, e.g. `F`.
    pub series: String,
    /// The CSD certificate, base64 DER.
    pub certificate: Option<String>,
    pub certificate_number: Option<String>,
    pub certificate_valid_from: Option<DateTimeUtc>,
    pub certificate_valid_until: Option<DateTimeUtc>,
    /// The CSD key as PKCS#8 DER, base64, sealed.
    pub private_key_sealed: Option<String>,
    /// `sandbox` or `finkok`.
    pub pac: String,
    pub pac_username: Option<String>,
    pub pac_password_sealed: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
