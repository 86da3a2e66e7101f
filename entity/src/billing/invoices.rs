use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub series: String,
    pub folio: i64,
    /// draft, stamping, stamped, failed, cancelling, cancelled.
    pub status: String,
    pub proposal_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub receiver_rfc: String,
    pub receiver_name: String,
    pub receiver_regime: String,
    pub receiver_postal_code: String,
    pub receiver_email: Option<String>,
    pub cfdi_use: String,
    /// PUE or PPD.
    pub payment_method: String,
    pub payment_form: String,
    pub currency: String,
    /// Exact decimal text; none for MXN.
    pub exchange_rate: Option<String>,
    pub export_code: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub withheld_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    /// The fiscal folio (UUID) SAT's stamp gave it.
    pub uuid: Option<String>,
    pub issued_at: Option<DateTimeUtc>,
    pub stamped_at: Option<DateTimeUtc>,
    /// The stamped CFDI.
    pub xml: Option<String>,
    pub pac_error_code: Option<String>,
    pub pac_error_message: Option<String>,
    pub cancellation_motive: Option<String>,
    pub substituted_by: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The Stripe Checkout Session paying the balance, its page and the amount it asks.
    pub checkout_id: Option<String>,
    pub checkout_url: Option<String>,
    pub checkout_amount_minor: Option<i64>,
    pub created_by: Option<Uuid>,
    /// A factura global's period (SAT c_Periodicidad, c_Meses and the year).
    pub global_periodicity: Option<String>,
    pub global_months: Option<String>,
    pub global_year: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
