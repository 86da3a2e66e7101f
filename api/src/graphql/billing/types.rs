//! billing's GraphQL object types.

use crate::graphql::common::Money;
use crate::graphql::common::money;
use crate::graphql::common::stored;
use crate::graphql::crm::Company;
use crate::graphql::crm::Contact;
use crate::graphql::error::GqlResult;
use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::InvoiceInstallmentsLoader;
use crate::graphql::loaders::InvoiceItemsLoader;
use crate::graphql::loaders::InvoicePaymentsLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Object;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;
use tianguis_domain::billing::fiscal;
use tianguis_domain::billing::installments;
use tianguis_domain::billing::invoices;
use tianguis_domain::billing::payments;

use crate::graphql::billing::*;

/// Who the business invoices as, its CSD and its PAC. The key itself is never shown.
pub struct FiscalProfile(pub(crate) fiscal::FiscalProfile);

#[Object]
impl FiscalProfile {
    async fn rfc(&self) -> &str {
        &self.0.rfc
    }
    async fn legal_name(&self) -> &str {
        &self.0.legal_name
    }
    /// c_RegimenFiscal.
    async fn tax_regime(&self) -> &str {
        &self.0.tax_regime
    }
    /// Where invoices are issued (LugarExpedicion).
    async fn postal_code(&self) -> &str {
        &self.0.postal_code
    }
    async fn series(&self) -> &str {
        &self.0.series
    }
    async fn pac(&self) -> &str {
        &self.0.pac
    }
    /// The uploaded CSD, if any.
    async fn certificate(&self) -> Option<CertificateSummary> {
        Some(CertificateSummary {
            number: self.0.certificate_number.clone()?,
            valid_from: self.0.certificate_valid_from?,
            valid_until: self.0.certificate_valid_until?,
        })
    }
}

#[derive(SimpleObject)]
pub struct CertificateSummary {
    /// NoCertificado.
    pub number: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "invoices::Status")]
pub enum InvoiceStatus {
    Draft,
    /// Handed to the PAC.
    Stamping,
    Stamped,
    /// The PAC refused it; see `pacError`.
    Failed,
    Cancelling,
    Cancelled,
}

#[derive(SimpleObject)]
pub struct Receiver {
    pub rfc: String,
    pub name: String,
    pub tax_regime: String,
    pub postal_code: String,
    /// c_UsoCFDI.
    pub cfdi_use: String,
    pub email: Option<String>,
}

/// What the PAC answered when it refused the invoice or its cancellation.
#[derive(SimpleObject)]
pub struct PacError {
    pub code: String,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct InvoiceCancellation {
    /// SAT's motive: 01, 02, 03 or 04.
    pub motive: String,
    pub substitute_uuid: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

pub struct Invoice(pub(crate) invoices::Invoice);

#[Object]
impl Invoice {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn series(&self) -> &str {
        &self.0.series
    }
    async fn folio(&self) -> i64 {
        self.0.folio
    }
    /// Series and folio: F-12.
    async fn number(&self) -> String {
        format!("{}-{}", self.0.series, self.0.folio)
    }
    async fn status(&self) -> async_graphql::Result<InvoiceStatus> {
        stored(invoices::Status::from_stored, &self.0.status)
    }
    /// For a factura global: the period its tickets cover.
    async fn global_period(&self) -> Option<GlobalPeriod> {
        let i = &self.0;
        Some(GlobalPeriod {
            periodicity: i.global_periodicity.clone()?,
            months: i.global_months.clone()?,
            year: i.global_year?,
        })
    }
    async fn receiver(&self) -> Receiver {
        let i = &self.0;
        Receiver {
            rfc: i.receiver_rfc.clone(),
            name: i.receiver_name.clone(),
            tax_regime: i.receiver_regime.clone(),
            postal_code: i.receiver_postal_code.clone(),
            cfdi_use: i.cfdi_use.clone(),
            email: i.receiver_email.clone(),
        }
    }
    /// PUE or PPD.
    async fn payment_method(&self) -> &str {
        &self.0.payment_method
    }
    /// c_FormaPago.
    async fn payment_form(&self) -> &str {
        &self.0.payment_form
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn exchange_rate(&self) -> Option<Decimal> {
        self.0.exchange_rate.as_deref().and_then(|r| r.parse().ok())
    }
    /// c_Exportacion.
    async fn export_code(&self) -> &str {
        &self.0.export_code
    }
    async fn subtotal(&self) -> Money {
        money(self.0.subtotal_minor, &self.0.currency)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.0.currency)
    }
    /// Transferred taxes (IVA).
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.0.currency)
    }
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.0.currency)
    }
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    /// What its recorded payments add up to.
    async fn paid(&self) -> Money {
        money(self.0.paid_minor, &self.0.currency)
    }
    /// What is still owed.
    async fn balance(&self) -> Money {
        money(self.0.total_minor - self.0.paid_minor, &self.0.currency)
    }
    /// Its interest-free installment plan, if it has one.
    async fn installments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Installment>> {
        Ok(load::<InvoiceInstallmentsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|i| Installment(i, self.0.currency.clone()))
            .collect())
    }
    /// Payments received, first to last.
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Payment>> {
        Ok(load::<InvoicePaymentsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Payment)
            .collect())
    }
    /// The fiscal folio SAT's stamp gave it.
    async fn uuid(&self) -> Option<&str> {
        self.0.uuid.as_deref()
    }
    async fn stamped_at(&self) -> Option<DateTime<Utc>> {
        self.0.stamped_at
    }
    /// The stamped CFDI.
    async fn xml(&self) -> Option<&str> {
        self.0.xml.as_deref()
    }
    /// SAT's verification page for the stamped invoice: what its printed QR code encodes.
    async fn verification_url(&self) -> Option<String> {
        invoices::verification_url(&self.0)
    }
    /// The Stripe Checkout page where the customer pays the balance by card, once asked
    /// for with `createCheckoutLink`.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }
    /// The printable copy of the stamped invoice: HTML with the stamp and the QR code.
    async fn printable_html(&self) -> Option<String> {
        invoices::printable_html(&self.0)
    }
    async fn pac_error(&self) -> Option<PacError> {
        Some(PacError {
            code: self.0.pac_error_code.clone()?,
            message: self.0.pac_error_message.clone().unwrap_or_default(),
        })
    }
    async fn cancellation(&self) -> Option<InvoiceCancellation> {
        Some(InvoiceCancellation {
            motive: self.0.cancellation_motive.clone()?,
            substitute_uuid: self.0.substituted_by.clone(),
            cancelled_at: self.0.cancelled_at,
        })
    }
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InvoiceItem>> {
        Ok(load::<InvoiceItemsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|i| InvoiceItem(i, self.0.currency.clone()))
            .collect())
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn proposal_id(&self) -> Option<ID> {
        self.0.proposal_id.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct InvoiceItem(pub(crate) invoices::InvoiceItem, String);

#[Object]
impl InvoiceItem {
    /// c_ClaveProdServ.
    async fn product_key(&self) -> &str {
        &self.0.product_key
    }
    /// c_ClaveUnidad.
    async fn unit_key(&self) -> &str {
        &self.0.unit_key
    }
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The catalog's product the line sells.
    async fn product(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::commerce::Product>> {
        Ok(
            crate::graphql::loaders::load_opt::<crate::graphql::loaders::ProductLoader>(
                ctx,
                self.0.product_id,
            )
            .await?
            .map(crate::graphql::commerce::Product),
        )
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.parse().unwrap_or_default()
    }
    async fn unit_price(&self) -> Decimal {
        self.0.unit_price.parse().unwrap_or_default()
    }
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.1)
    }
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.1)
    }
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.1)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "installments::Status")]
pub enum InstallmentStatus {
    Pending,
    Paid,
    /// Past its due date unpaid; the receiver has been reminded.
    Overdue,
}

/// One monthly installment of an interest-free plan.
pub struct Installment(pub(crate) installments::Installment, String);

#[Object]
impl Installment {
    /// 1 to `months`.
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn months(&self) -> i32 {
        self.0.months
    }
    async fn due_date(&self) -> NaiveDate {
        self.0.due_date
    }
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    async fn status(&self) -> async_graphql::Result<InstallmentStatus> {
        stored(installments::Status::from_stored, &self.0.status)
    }
    async fn reminded_at(&self) -> Option<DateTime<Utc>> {
        self.0.reminded_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payments::ReceiptStatus")]
pub enum ReceiptStatus {
    /// Handed to the PAC.
    Stamping,
    Stamped,
    /// The PAC refused it; see `pacError`.
    Failed,
}

/// The payment receipt (CFDI type P) of a payment of a PPD invoice.
#[derive(SimpleObject)]
pub struct PaymentReceipt {
    pub status: ReceiptStatus,
    /// Series and folio: P-3.
    pub number: String,
    pub uuid: Option<String>,
    pub xml: Option<String>,
    pub pac_error: Option<PacError>,
}

pub struct Payment(pub(crate) payments::Payment);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.0.currency)
    }
    async fn paid_at(&self) -> DateTime<Utc> {
        self.0.paid_at
    }
    /// c_FormaPago.
    async fn payment_form(&self) -> &str {
        &self.0.payment_form
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// 1 for the invoice's first payment, 2 for the next, …
    async fn installment(&self) -> i32 {
        self.0.installment
    }
    async fn balance_before(&self) -> Money {
        money(self.0.balance_before_minor, &self.0.currency)
    }
    async fn balance_after(&self) -> Money {
        money(
            self.0.balance_before_minor - self.0.amount_minor,
            &self.0.currency,
        )
    }
    /// None for an invoice paid in one payment (PUE).
    async fn receipt(&self) -> async_graphql::Result<Option<PaymentReceipt>> {
        let p = &self.0;
        let Some(status) = p.receipt_status.as_deref() else {
            return Ok(None);
        };
        Ok(Some(PaymentReceipt {
            status: payments::ReceiptStatus::from_stored(status).gql()?.into(),
            number: format!(
                "{}-{}",
                p.receipt_series.as_deref().unwrap_or_default(),
                p.receipt_folio.unwrap_or_default()
            ),
            uuid: p.receipt_uuid.clone(),
            xml: p.receipt_xml.clone(),
            pac_error: p.pac_error_code.clone().map(|code| PacError {
                code,
                message: p.pac_error_message.clone().unwrap_or_default(),
            }),
        }))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub(crate) fn items(
    inputs: Vec<InvoiceItemInput>,
) -> async_graphql::Result<Vec<invoices::ItemInput>> {
    inputs
        .into_iter()
        .map(|i| {
            Ok(invoices::ItemInput {
                product_id: crate::graphql::common::optional_id(
                    i.product_id.as_ref(),
                    "productId",
                )?,
                product_key: i.product_key,
                unit_key: i.unit_key,
                sku: i.sku,
                description: i.description,
                quantity: i.quantity,
                unit_price: i.unit_price,
                discount: i.discount,
                tax: i.tax_rate.into(),
                withholdings: i.withholdings.into_iter().map(Into::into).collect(),
            })
        })
        .collect()
}

pub(crate) fn receiver(r: ReceiverInput) -> invoices::ReceiverInput {
    invoices::ReceiverInput {
        rfc: r.rfc,
        name: r.name,
        tax_regime: r.tax_regime,
        postal_code: r.postal_code,
        cfdi_use: r.cfdi_use,
        email: r.email,
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "tianguis_domain::plans::Plan")]
pub enum PlanKind {
    Free,
    Pro,
    Enterprise,
}

#[derive(SimpleObject)]
pub struct PlanCheckout {
    /// The Stripe Checkout page where the subscription is paid; the plan changes when
    /// Stripe confirms it.
    pub checkout_url: String,
}

/// The period a factura global covers, as SAT's InformacionGlobal states it.
#[derive(async_graphql::SimpleObject)]
pub struct GlobalPeriod {
    /// c_Periodicidad: 01 daily, 02 weekly, 03 fortnightly, 04 monthly, 05 bimonthly.
    pub periodicity: String,
    /// c_Meses: 01–12, or 13–18 for the bimonthly periods.
    pub months: String,
    pub year: i32,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "tianguis_domain::billing::sales::Periodicity")]
pub enum GlobalPeriodicity {
    Daily,
    Weekly,
    Fortnightly,
    Monthly,
    Bimonthly,
}
