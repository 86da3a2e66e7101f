use sea_orm::entity::prelude::*;

/// A quote sent to a customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Gapless per tenant and series, such as `COT-2026-0001`.
    pub number: String,
    pub series: String,
    pub title: String,
    pub lead_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub currency: String,
    /// `draft`, `sent`, `viewed`, `accepted`, `rejected` or `expired`.
    pub status: String,
    pub valid_until: Date,
    pub notes: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub withheld_minor: i64,
    pub total_minor: i64,
    /// SHA-256 of the token in the customer's link; the token itself is never stored.
    pub public_token_hash: Option<String>,
    pub recipient_email: Option<String>,
    pub view_count: i32,
    pub sent_at: Option<DateTimeUtc>,
    pub first_viewed_at: Option<DateTimeUtc>,
    /// When the customer accepted or rejected, or when it expired.
    pub decided_at: Option<DateTimeUtc>,
    pub accepted_by: Option<String>,
    pub rejection_reason: Option<String>,
    /// The Stripe Checkout page where the customer pays the proposal, and the payment.
    pub checkout_id: Option<String>,
    pub checkout_url: Option<String>,
    pub payment_intent: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
