use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub invoice_id: Uuid,
    /// In the invoice's currency.
    pub amount_minor: i64,
    pub currency: String,
    /// Pesos per unit of the currency on the payment day; none for MXN.
    pub exchange_rate: Option<String>,
    pub paid_at: DateTimeUtc,
    /// c_FormaPago.
    pub payment_form: String,
    /// The bank's operation number or the provider's payment id.
    pub reference: Option<String>,
    /// `manual`, or the provider that reported it.
    pub source: String,
    /// 1 for the invoice's first payment, 2 for the next, …
    pub installment: i32,
    pub balance_before_minor: i64,
    /// stamping, stamped or failed; none when the invoice needs no receipt (PUE).
    pub receipt_status: Option<String>,
    pub receipt_series: Option<String>,
    pub receipt_folio: Option<i64>,
    pub receipt_issued_at: Option<DateTimeUtc>,
    pub receipt_uuid: Option<String>,
    pub receipt_xml: Option<String>,
    pub pac_error_code: Option<String>,
    pub pac_error_message: Option<String>,
    /// The provider's id of the payment (a Stripe PaymentIntent), unique per business.
    pub external_id: Option<String>,
    /// What the provider has refunded of it.
    pub refunded_minor: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
