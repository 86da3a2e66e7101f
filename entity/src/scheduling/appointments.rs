use sea_orm::entity::prelude::*;

/// A booking of a service with a resource for a customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_id: Uuid,
    pub resource_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// What the resource is kept for, buffers included; no two active ones overlap.
    pub block_starts_at: DateTimeUtc,
    pub block_ends_at: DateTimeUtc,
    /// booked, confirmed, checked_in, completed, no_show or cancelled.
    pub status: String,
    /// staff or customer: who booked it.
    pub booked_by: String,
    pub notes: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    /// whatsapp, sms or email: how its reminders go out; by what the contact can receive when absent.
    pub remind_via: Option<String>,
    /// The secret in the link the customer manages the booking with.
    pub manage_token: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
