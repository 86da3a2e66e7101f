use sea_orm::entity::prelude::*;

/// A sensor node or controller of a business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub device_type: String,
    pub location: Option<String>,
    pub tags: Json,
    pub metadata: Json,
    pub profile_id: Option<Uuid>,
    /// SHA-256 of the device's access token; none once revoked.
    pub token_hash: Option<String>,
    pub token_issued_at: Option<DateTimeUtc>,
    pub last_seen_at: Option<DateTimeUtc>,
    /// The status last announced: true from its first report until its profile's timeout
    /// passes without one.
    pub online: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
