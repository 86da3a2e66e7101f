//! billing's GraphQL mutations.

use crate::graphql::common::optional_id;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::Object;
use tianguis_domain::billing::fiscal;
use tianguis_domain::billing::installments;
use tianguis_domain::billing::invoices;
use tianguis_domain::billing::payments;
use tianguis_domain::billing::sales;
use tianguis_domain::billing::stripe;
use tianguis_domain::billing::subscription;

use crate::graphql::billing::*;

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
            items: Some(items(input.items)?),
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
            items: input.items.map(items).transpose()?,
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

    /// The stamped invoice's printed copy as a PDF (with its QR code, UUID and seals), kept
    /// among the invoice's files; download it with `fileDownloadUrl`.
    async fn render_invoice_pdf(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let id = parse_id(&id, "id")?;
        Ok(crate::graphql::documents::PrintedFile(
            invoices::pdf(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// A payment's stamped receipt (CFDI type P) as a PDF, kept among its invoice's files.
    async fn render_payment_receipt_pdf(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let id = parse_id(&id, "id")?;
        Ok(crate::graphql::documents::PrintedFile(
            payments::receipt_pdf(deps(ctx)?, tenant(ctx)?, id)
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
    ) -> async_graphql::Result<crate::graphql::crm::Proposal> {
        let id = parse_id(&input.proposal_id, "proposalId")?;
        Ok(crate::graphql::crm::Proposal(
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
        let plan = input.plan.into();
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

    /// Drafts the invoice of a sales order: its lines net of returns, paid in one go (PUE)
    /// when paid in full, in installments (PPD) otherwise.
    async fn invoice_sales_order(
        &self,
        ctx: &Context<'_>,
        input: InvoiceSalesOrderInput,
    ) -> async_graphql::Result<Invoice> {
        let order = parse_id(&input.order_id, "orderId")?;
        Ok(Invoice(
            sales::invoice_order(
                deps(ctx)?,
                tenant(ctx)?,
                order,
                input.receiver.map(receiver),
            )
            .await
            .gql()?,
        ))
    }

    /// Drafts the factura global of a period: every ticket nobody invoiced, to the general
    /// public, with SAT's InformacionGlobal. Stamp it as any other invoice.
    async fn create_global_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreateGlobalInvoiceInput,
    ) -> async_graphql::Result<Invoice> {
        Ok(Invoice(
            sales::global_invoice(
                deps(ctx)?,
                tenant(ctx)?,
                input.periodicity.into(),
                input.from,
                input.to,
            )
            .await
            .gql()?,
        ))
    }
}
