use sea_orm::entity::prelude::*;

/// An order a customer places: at the counter, in a conversation or through the API.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Folio per business.
    pub number: i64,
    /// api, inbox or pos.
    pub source: String,
    /// draft, confirmed, paid, fulfilled, cancelled or returned.
    pub status: String,
    pub contact_id: Option<Uuid>,
    /// The conversation it was taken in, which hears of its progress.
    pub conversation_id: Option<Uuid>,
    /// Where its stock is reserved and taken from.
    pub location_id: Uuid,
    /// The prices it sells at, when not the catalog's.
    pub price_list_id: Option<Uuid>,
    pub currency: String,
    /// The lines after their own discounts, taxes included.
    pub subtotal_minor: i64,
    /// The discount on the whole order, shared over its lines.
    pub discount_minor: i64,
    pub total_minor: i64,
    /// IVA and IEPS included in the total.
    pub tax_minor: i64,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    pub delivery_address: Option<Json>,
    pub notes: Option<String>,
    pub checkout_id: Option<String>,
    pub checkout_url: Option<String>,
    /// The balance the Checkout page asks for; a new balance needs a new page.
    pub checkout_amount_minor: Option<i64>,
    pub invoice_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
