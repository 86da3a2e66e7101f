//! GraphQL of billing: the fiscal profile and its CSD, invoices stamped as CFDI 4.0.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::billing::{fiscal, installments, invoices, payments, stripe, subscription};
use tianguis_domain::plans::Plan;

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::crm::records::optional_id;
use crate::graphql::crm::types::{Company, Contact, Money, TaxRate, Withholding, money};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{
    CompanyLoader, ContactLoader, InvoiceInstallmentsLoader, InvoiceItemsLoader,
    InvoicePaymentsLoader, load, load_opt,
};

/// Who the business invoices as, its CSD and its PAC. The key itself is never shown.
pub struct FiscalProfile(fiscal::FiscalProfile);

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

impl From<invoices::Status> for InvoiceStatus {
    fn from(s: invoices::Status) -> Self {
        use invoices::Status as S;
        match s {
            S::Draft => Self::Draft,
            S::Stamping => Self::Stamping,
            S::Stamped => Self::Stamped,
            S::Failed => Self::Failed,
            S::Cancelling => Self::Cancelling,
            S::Cancelled => Self::Cancelled,
        }
    }
}

impl From<InvoiceStatus> for invoices::Status {
    fn from(s: InvoiceStatus) -> Self {
        use invoices::Status as S;
        match s {
            InvoiceStatus::Draft => S::Draft,
            InvoiceStatus::Stamping => S::Stamping,
            InvoiceStatus::Stamped => S::Stamped,
            InvoiceStatus::Failed => S::Failed,
            InvoiceStatus::Cancelling => S::Cancelling,
            InvoiceStatus::Cancelled => S::Cancelled,
        }
    }
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

pub struct Invoice(invoices::Invoice);

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
    async fn status(&self) -> InvoiceStatus {
        invoices::Status::parse(&self.0.status).into()
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

pub struct InvoiceItem(invoices::InvoiceItem, String);

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
pub enum InstallmentStatus {
    Pending,
    Paid,
    /// Past its due date unpaid; the receiver has been reminded.
    Overdue,
}

/// One monthly installment of an interest-free plan.
pub struct Installment(installments::Installment, String);

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
    async fn status(&self) -> InstallmentStatus {
        match installments::Status::parse(&self.0.status) {
            installments::Status::Pending => InstallmentStatus::Pending,
            installments::Status::Paid => InstallmentStatus::Paid,
            installments::Status::Overdue => InstallmentStatus::Overdue,
        }
    }
    async fn reminded_at(&self) -> Option<DateTime<Utc>> {
        self.0.reminded_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
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

pub struct Payment(payments::Payment);

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
    async fn receipt(&self) -> Option<PaymentReceipt> {
        let p = &self.0;
        let status = match payments::ReceiptStatus::parse(p.receipt_status.as_deref()?)? {
            payments::ReceiptStatus::Stamping => ReceiptStatus::Stamping,
            payments::ReceiptStatus::Stamped => ReceiptStatus::Stamped,
            payments::ReceiptStatus::Failed => ReceiptStatus::Failed,
        };
        Some(PaymentReceipt {
            status,
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
        })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    pub statuses: Option<Vec<InvoiceStatus>>,
    pub company_id: Option<ID>,
    pub contact_id: Option<ID>,
}

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    async fn fiscal_profile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FiscalProfile>> {
        Ok(fiscal::get(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .map(FiscalProfile))
    }

    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Invoice> {
        let id = parse_id(&id, "id")?;
        Ok(Invoice(
            invoices::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        filter: Option<InvoiceFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Invoice>> {
        let f = filter.unwrap_or_default();
        let filter = invoices::InvoiceFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
        };
        let page = page_request(first, after, last, before)?;
        let page = invoices::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |i| i.id, Invoice))
    }
}

#[derive(InputObject)]
pub struct FiscalProfileInput {
    pub rfc: String,
    pub legal_name: String,
    /// c_RegimenFiscal, e.g. 601.
    pub tax_regime: String,
    /// The issuing postal code (LugarExpedicion).
    pub postal_code: String,
    /// Defaults to F.
    pub series: Option<String>,
    /// The PAC stamping the business's invoices: sandbox (the default) or finkok.
    pub pac: Option<String>,
    pub pac_username: Option<String>,
    pub pac_password: Option<String>,
}

#[derive(InputObject)]
pub struct UploadCsdInput {
    /// The .cer file, base64.
    pub certificate: String,
    /// The .key file, base64.
    pub private_key: String,
    /// The key's password; used to open it and not kept.
    pub password: String,
}

#[derive(InputObject, Default)]
pub struct ReceiverInput {
    pub rfc: Option<String>,
    pub name: Option<String>,
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub cfdi_use: Option<String>,
    pub email: Option<String>,
}

#[derive(InputObject)]
pub struct InvoiceItemInput {
    /// c_ClaveProdServ; defaults to 01010101.
    pub product_key: Option<String>,
    /// c_ClaveUnidad; defaults to E48 (unit of service).
    pub unit_key: Option<String>,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount: Option<Decimal>,
    #[graphql(default_with = "TaxRate::Iva16")]
    pub tax_rate: TaxRate,
    #[graphql(default)]
    pub withholdings: Vec<Withholding>,
}

#[derive(InputObject)]
pub struct CreateInvoiceInput {
    /// The receiver defaults to the company's (or the contact's) fiscal data.
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub receiver: Option<ReceiverInput>,
    /// PUE (default) or PPD.
    pub payment_method: Option<String>,
    /// c_FormaPago; 03 (transfer) by default, 99 for PPD.
    pub payment_form: Option<String>,
    /// MXN (default), USD or EUR.
    pub currency: Option<String>,
    pub exchange_rate: Option<Decimal>,
    /// c_Exportacion; 01 by default.
    pub export_code: Option<String>,
    pub items: Vec<InvoiceItemInput>,
}

#[derive(InputObject)]
pub struct UpdateInvoiceInput {
    pub id: ID,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub receiver: Option<ReceiverInput>,
    pub payment_method: Option<String>,
    pub payment_form: Option<String>,
    pub currency: Option<String>,
    pub exchange_rate: Option<Decimal>,
    pub export_code: Option<String>,
    /// Replaces every item.
    pub items: Option<Vec<InvoiceItemInput>>,
}

#[derive(InputObject)]
pub struct StampInvoiceInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct CancelInvoiceInput {
    pub id: ID,
    /// SAT's motive: 01 (errors, replaced: give substituteUuid), 02 (errors), 03 (the
    /// operation did not happen) or 04 (included in a global invoice).
    pub motive: String,
    pub substitute_uuid: Option<String>,
}

fn items(inputs: Vec<InvoiceItemInput>) -> Vec<invoices::ItemInput> {
    inputs
        .into_iter()
        .map(|i| invoices::ItemInput {
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
        .collect()
}

fn receiver(r: ReceiverInput) -> invoices::ReceiverInput {
    invoices::ReceiverInput {
        rfc: r.rfc,
        name: r.name,
        tax_regime: r.tax_regime,
        postal_code: r.postal_code,
        cfdi_use: r.cfdi_use,
        email: r.email,
    }
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub invoice_id: ID,
    /// In the invoice's currency; at most its balance.
    pub amount: Decimal,
    /// When the money arrived; now by default.
    pub paid_at: Option<DateTime<Utc>>,
    /// c_FormaPago: 01 cash, 02 check, 03 transfer, 04 credit card, 28 debit card, …
    pub payment_form: String,
    /// The bank's operation number.
    pub reference: Option<String>,
    /// Pesos per unit of the invoice's currency on the payment day; not for MXN.
    pub exchange_rate: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreateInstallmentPlanInput {
    pub invoice_id: ID,
    /// 3, 6, 9, 12 or 18.
    pub months: u32,
    /// A month from today by default.
    pub first_due_date: Option<NaiveDate>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PlanKind {
    Free,
    Pro,
    Enterprise,
}

#[derive(InputObject)]
pub struct StartPlanChangeInput {
    pub plan: PlanKind,
}

#[derive(SimpleObject)]
pub struct PlanCheckout {
    /// The Stripe Checkout page where the subscription is paid; the plan changes when
    /// Stripe confirms it.
    pub checkout_url: String,
}

#[derive(InputObject)]
pub struct CreateProposalCheckoutLinkInput {
    pub proposal_id: ID,
}

#[derive(InputObject)]
pub struct CreateCheckoutLinkInput {
    pub invoice_id: ID,
}

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// Sets who the business invoices as and through which PAC.
    async fn set_fiscal_profile(
        &self,
        ctx: &Context<'_>,
        input: FiscalProfileInput,
    ) -> async_graphql::Result<FiscalProfile> {
        let cmd = fiscal::ProfileInput {
            rfc: input.rfc,
            legal_name: input.legal_name,
            tax_regime: input.tax_regime,
            postal_code: input.postal_code,
            series: input.series,
            pac: input.pac,
            pac_username: input.pac_username,
            pac_password: input.pac_password,
        };
        Ok(FiscalProfile(
            fiscal::set(deps(ctx)?, tenant(ctx)?, cmd).await.gql()?,
        ))
    }

    /// Uploads the CSD: checked against the profile's RFC and today's date, key kept sealed.
    async fn upload_csd(
        &self,
        ctx: &Context<'_>,
        input: UploadCsdInput,
    ) -> async_graphql::Result<FiscalProfile> {
        let upload = fiscal::CsdUpload {
            certificate: input.certificate,
            private_key: input.private_key,
            password: input.password,
        };
        Ok(FiscalProfile(
            fiscal::upload_csd(deps(ctx)?, tenant(ctx)?, upload)
                .await
                .gql()?,
        ))
    }

    /// Drafts an invoice.
    async fn create_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreateInvoiceInput,
    ) -> async_graphql::Result<Invoice> {
        let cmd = invoices::InvoiceInput {
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            receiver: input.receiver.map(receiver),
            payment_method: input.payment_method,
            payment_form: input.payment_form,
            currency: input.currency,
            exchange_rate: input.exchange_rate,
            export_code: input.export_code,
            items: Some(items(input.items)),
        };
        Ok(Invoice(
            invoices::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft, or an invoice the PAC refused.
    async fn update_invoice(
        &self,
        ctx: &Context<'_>,
        input: UpdateInvoiceInput,
    ) -> async_graphql::Result<Invoice> {
        let id = parse_id(&input.id, "id")?;
        let cmd = invoices::InvoiceInput {
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            receiver: input.receiver.map(receiver),
            payment_method: input.payment_method,
            payment_form: input.payment_form,
            currency: input.currency,
            exchange_rate: input.exchange_rate,
            export_code: input.export_code,
            items: input.items.map(items),
        };
        Ok(Invoice(
            invoices::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Checks the invoice against SAT's rules and stamps it through the PAC (in the
    /// background: the status goes to STAMPING, then STAMPED or FAILED).
    async fn stamp_invoice(
        &self,
        ctx: &Context<'_>,
        input: StampInvoiceInput,
    ) -> async_graphql::Result<Invoice> {
        let id = parse_id(&input.id, "id")?;
        Ok(Invoice(
            invoices::request_stamp(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Records a payment of a stamped invoice (cash, transfer, …). For an invoice paid in
    /// installments or later (PPD) its payment receipt is stamped in the background.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> async_graphql::Result<Payment> {
        let invoice_id = parse_id(&input.invoice_id, "invoiceId")?;
        let cmd = payments::PaymentInput {
            amount: input.amount,
            paid_at: input.paid_at,
            payment_form: input.payment_form,
            reference: input.reference,
            exchange_rate: input.exchange_rate,
        };
        Ok(Payment(
            payments::record(deps(ctx)?, tenant(ctx)?, invoice_id, cmd)
                .await
                .gql()?,
        ))
    }

    /// A Stripe Checkout page for the invoice's balance (the same page while the balance
    /// stays the same). Stripe's events then record the payment.
    async fn create_checkout_link(
        &self,
        ctx: &Context<'_>,
        input: CreateCheckoutLinkInput,
    ) -> async_graphql::Result<Invoice> {
        let id = parse_id(&input.invoice_id, "invoiceId")?;
        Ok(Invoice(
            stripe::checkout_link(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Splits a stamped PPD invoice's balance into interest-free monthly installments
    /// (meses sin intereses) with exact cents.
    async fn create_installment_plan(
        &self,
        ctx: &Context<'_>,
        input: CreateInstallmentPlanInput,
    ) -> async_graphql::Result<Invoice> {
        let id = parse_id(&input.invoice_id, "invoiceId")?;
        Ok(Invoice(
            installments::create_plan(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.months,
                input.first_due_date,
            )
            .await
            .gql()?,
        ))
    }

    /// A Stripe Checkout page for an accepted proposal's total. Once paid, its invoice is
    /// drafted paid in one go, and the payment is recorded on it when it is stamped.
    async fn create_proposal_checkout_link(
        &self,
        ctx: &Context<'_>,
        input: CreateProposalCheckoutLinkInput,
    ) -> async_graphql::Result<crate::graphql::crm::types::Proposal> {
        let id = parse_id(&input.proposal_id, "proposalId")?;
        Ok(crate::graphql::crm::types::Proposal(
            stripe::proposal_checkout_link(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Starts moving the business to a paid plan: a Stripe Checkout page for its
    /// subscription. Changes and cancellations made in Stripe follow through its events.
    async fn start_plan_change(
        &self,
        ctx: &Context<'_>,
        input: StartPlanChangeInput,
    ) -> async_graphql::Result<PlanCheckout> {
        let plan = match input.plan {
            PlanKind::Free => Plan::Free,
            PlanKind::Pro => Plan::Pro,
            PlanKind::Enterprise => Plan::Enterprise,
        };
        Ok(PlanCheckout {
            checkout_url: subscription::start_change(deps(ctx)?, tenant(ctx)?, plan)
                .await
                .gql()?,
        })
    }

    /// Asks SAT, through the PAC, to cancel a stamped invoice.
    async fn cancel_invoice(
        &self,
        ctx: &Context<'_>,
        input: CancelInvoiceInput,
    ) -> async_graphql::Result<Invoice> {
        let id = parse_id(&input.id, "id")?;
        Ok(Invoice(
            invoices::request_cancel(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                &input.motive,
                input.substitute_uuid,
            )
            .await
            .gql()?,
        ))
    }
}
