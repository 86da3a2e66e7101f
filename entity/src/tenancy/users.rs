use sea_orm::entity::prelude::*;

/// A person; the same user may belong to several tenants through memberships.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub status: String,
    /// BCP 47 tag for the emails this person receives.
    pub locale: String,
    pub email_verified_at: Option<DateTimeUtc>,
    /// The TOTP secret, encrypted; set on enrolment, active once `totp_enabled`.
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
