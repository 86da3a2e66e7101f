use sea_orm::entity::prelude::*;

/// A customer waiting for a slot of a service on a day; offered a freed slot first.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waitlist_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_id: Uuid,
    /// The resource they want, or any.
    pub resource_id: Option<Uuid>,
    pub contact_id: Uuid,
    /// The business's calendar day they want.
    pub day: Date,
    /// waiting, offered, booked or removed.
    pub status: String,
    pub offered_starts_at: Option<DateTimeUtc>,
    pub offered_resource_id: Option<Uuid>,
    pub offer_expires_at: Option<DateTimeUtc>,
    /// The secret in the link that takes the offer.
    pub offer_token: Option<String>,
    pub appointment_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
