use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The public part shown in listings (`tk_live_ab12cd34`), also the lookup key.
    #[sea_orm(unique)]
    pub prefix: String,
    /// SHA-256 of the whole key: keys are long random strings, so a slow hash adds nothing.
    pub secret_hash: String,
    /// JSON array of the permission keys the key may use.
    pub scopes: Json,
    pub created_by: Uuid,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
