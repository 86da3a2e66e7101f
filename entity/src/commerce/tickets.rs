use sea_orm::entity::prelude::*;

/// A sale (or a return against one) at a register.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub session_id: Uuid,
    pub register_id: Uuid,
    pub location_id: Uuid,
    pub cashier_id: Uuid,
    /// Folio per business.
    pub number: i64,
    /// sale or return.
    pub kind: String,
    /// The sale a return gives back.
    pub original_ticket_id: Option<Uuid>,
    /// The till's key for this request: a retry returns the recorded ticket.
    pub idempotency_key: String,
    /// SHA-256 of the request, so a reused key with other content is refused.
    pub request_hash: String,
    pub contact_id: Option<Uuid>,
    pub currency: String,
    /// Signed: negative for a return.
    pub total_minor: i64,
    pub tax_minor: i64,
    pub discount_minor: i64,
    pub change_minor: i64,
    /// What the customer types on the self-invoicing page.
    pub receipt_code: String,
    pub invoice_id: Option<Uuid>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
