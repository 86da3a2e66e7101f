//! billing's GraphQL input types.

use crate::graphql::crm::TaxRate;
use crate::graphql::crm::Withholding;
use async_graphql::ID;
use async_graphql::InputObject;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;

use crate::graphql::billing::*;

#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    pub statuses: Option<Vec<InvoiceStatus>>,
    pub company_id: Option<ID>,
    pub contact_id: Option<ID>,
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
    /// The catalog's product the line sells, if any.
    pub product_id: Option<ID>,
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

#[derive(InputObject)]
pub struct StartPlanChangeInput {
    pub plan: PlanKind,
}

#[derive(InputObject)]
pub struct CreateProposalCheckoutLinkInput {
    pub proposal_id: ID,
}

#[derive(InputObject)]
pub struct CreateCheckoutLinkInput {
    pub invoice_id: ID,
}

#[derive(InputObject)]
pub struct InvoiceSalesOrderInput {
    pub order_id: ID,
    /// Who is invoiced, when not the order's contact (or their company) as recorded.
    pub receiver: Option<ReceiverInput>,
}

#[derive(InputObject)]
pub struct CreateGlobalInvoiceInput {
    pub periodicity: GlobalPeriodicity,
    /// First day of the period, in the business's time zone.
    pub from: chrono::NaiveDate,
    /// Last day of the period, included.
    pub to: chrono::NaiveDate,
}
