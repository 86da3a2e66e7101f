//! Payments received against stamped invoices. An invoice paid in installments or later
//! (PPD) gets a payment receipt (CFDI type P, Pagos 2.0) for each payment, stamped by a job;
//! one paid in a single payment (PUE) needs none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use tianguis_entity::billing::{invoices, payments};
use uuid::Uuid;

use super::cfdi::{self, Party, pagos};
use super::invoices::{Invoice, Status};
use super::{catalogs, fiscal};
use crate::audit;
use crate::db::TenantTx;
use crate::db::Touched;
use crate::ports::{Job, PacError};
use crate::rules::{from_minor, money_minor, optional_text};
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub type Payment = payments::Model;

/// The series of payment receipts.
const RECEIPT_SERIES: &str = "P";

#[derive(Clone, Debug)]
pub struct PaymentInput {
    pub amount: Decimal,
    /// When the money arrived; now by default.
    pub paid_at: Option<DateTime<Utc>>,
    /// c_FormaPago: how it was paid (01 cash, 03 transfer, 04 credit card, …).
    pub payment_form: String,
    /// The bank's operation number.
    pub reference: Option<String>,
    /// Pesos per unit of the invoice's currency on the payment day; not for MXN.
    pub exchange_rate: Option<Decimal>,
}

tianguis_kernel::stored_enum! {
    /// Where a payment's receipt (CFDI de pago) stands.
    pub enum ReceiptStatus {
        Stamping = "stamping",
        Stamped = "stamped",
        Failed = "failed",
    }
}

/// Records a payment of a stamped invoice, and for a PPD invoice has its receipt stamped.
/// The invoice's paid amount grows in the same statement that checks it stays within the
/// total, so two payments at once cannot overpay it.
pub async fn record(
    deps: &Deps,
    ctx: &TenantCtx,
    invoice_id: Uuid,
    input: PaymentInput,
) -> Result<Payment> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let payment = record_in(&mut tx, deps, ctx, invoice_id, input, Source::Manual).await?;
    tx.commit().await?;
    Ok(payment)
}

/// Who reported a payment.
#[derive(Clone, Debug)]
pub enum Source {
    /// Recorded by the team (cash, transfer).
    Manual,
    /// Reported by Stripe: its PaymentIntent id.
    Stripe(String),
}

/// [`record`] in the caller's transaction.
pub(crate) async fn record_in(
    tx: &mut TenantTx,
    deps: &Deps,
    ctx: &TenantCtx,
    invoice_id: Uuid,
    input: PaymentInput,
    source: Source,
) -> Result<Payment> {
    ctx.require(Permission::BillingPaymentsWrite)?;
    let payment_form = catalogs::payment_form(&input.payment_form, "paymentForm")?;
    if payment_form == "99" {
        return Err(Error::invalid(
            "paymentForm",
            "a payment names how it was paid, not 99 (to be defined)",
        ));
    }
    let reference = optional_text(input.reference.as_deref(), "reference", 100)?;
    let now = tx.now();
    let invoice = tx.get::<invoices::Entity>(invoice_id, "invoice").await?;
    if Status::from_stored(&invoice.status)? != Status::Stamped {
        return Err(Error::conflict(
            "invoiceId",
            format!(
                "payments are recorded on stamped invoices; this one is {}",
                invoice.status
            ),
        ));
    }
    let amount = money_minor(input.amount, &invoice.currency, "amount")?;
    let paid_at = input.paid_at.unwrap_or(now);
    if paid_at > now {
        return Err(Error::invalid(
            "paidAt",
            "a payment cannot be in the future",
        ));
    }
    let exchange_rate = match (invoice.currency.as_str(), input.exchange_rate) {
        ("MXN", Some(_)) => {
            return Err(Error::invalid(
                "exchangeRate",
                "a payment in MXN takes no exchange rate",
            ));
        }
        ("MXN", None) => None,
        (_, Some(rate)) if rate > Decimal::ZERO && rate.normalize().scale() <= 6 => {
            Some(rate.normalize())
        }
        (_, _) => {
            return Err(Error::invalid(
                "exchangeRate",
                "a payment in another currency gives the day's exchange rate (up to 6 decimals)",
            ));
        }
    };
    let balance = invoice.total_minor - invoice.paid_minor;
    if amount == 0 || amount > balance {
        return Err(Error::invalid(
            "amount",
            format!(
                "a payment is more than zero and at most the balance, {} {}",
                from_minor(balance, &invoice.currency),
                invoice.currency
            ),
        ));
    }
    let paid = invoices::Entity::update_many()
        .col_expr(
            invoices::Column::PaidMinor,
            Expr::col(invoices::Column::PaidMinor).add(amount),
        )
        .touched(now)
        .filter(invoices::Column::TenantId.eq(ctx.tenant_id))
        .filter(invoices::Column::Id.eq(invoice_id))
        .filter(invoices::Column::PaidMinor.eq(invoice.paid_minor))
        .exec(&**tx)
        .await?;
    if paid.rows_affected != 1 {
        return Err(Error::conflict(
            "invoiceId",
            "another payment of this invoice was recorded at the same time; try again",
        ));
    }
    super::installments::settle(tx, invoice_id, invoice.paid_minor + amount).await?;
    let installment = tx
        .select::<payments::Entity>()
        .filter(payments::Column::InvoiceId.eq(invoice_id))
        .count(&**tx)
        .await? as i32
        + 1;
    let needs_receipt = invoice.payment_method == "PPD";
    let receipt_folio = if needs_receipt {
        Some(crate::numbering::next_number(tx, &format!("cfdi:{RECEIPT_SERIES}"), now).await?)
    } else {
        None
    };
    let payment = tx
        .insert(payments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            invoice_id: Set(invoice_id),
            amount_minor: Set(amount),
            currency: Set(invoice.currency.clone()),
            exchange_rate: Set(exchange_rate.map(|r| r.to_string())),
            paid_at: Set(paid_at),
            payment_form: Set(payment_form),
            reference: Set(reference),
            source: Set(match source {
                Source::Manual => "manual",
                Source::Stripe(_) => "stripe",
            }
            .into()),
            external_id: Set(match source {
                Source::Manual => None,
                Source::Stripe(id) => Some(id),
            }),
            refunded_minor: Set(0),
            installment: Set(installment),
            balance_before_minor: Set(balance),
            receipt_status: Set(needs_receipt.then(|| ReceiptStatus::Stamping.key().into())),
            receipt_series: Set(needs_receipt.then(|| RECEIPT_SERIES.into())),
            receipt_folio: Set(receipt_folio),
            receipt_issued_at: Set(needs_receipt.then_some(now)),
            receipt_uuid: Set(None),
            receipt_xml: Set(None),
            pac_error_code: Set(None),
            pac_error_message: Set(None),
            created_by: Set(ctx.actor_user()),
            ..Default::default()
        })
        .await?;
    if needs_receipt {
        // Every problem the PAC would refuse the receipt for is found now, by its field.
        let profile = fiscal::required(tx).await?;
        let csd = fiscal::open_csd(deps, &profile)?;
        pagos::document(&receipt_of(&payment, &invoice, &profile)?, &csd.certificate)?;
        tx.enqueue_after_commit(Job::new(crate::StampPaymentReceipt {
            tenant_id: ctx.tenant_id,
            payment_id: payment.id,
        }))
        .await?;
    }
    audit::record(
        tx,
        ctx,
        "billing.payment.received",
        ("payment", Some(payment.id)),
        serde_json::json!({
            "invoiceId": invoice_id,
            "amount": from_minor(amount, &invoice.currency).to_string(),
            "currency": invoice.currency,
            "paymentForm": payment.payment_form,
            "installment": installment,
            "balance": from_minor(balance - amount, &invoice.currency).to_string(),
        }),
    )
    .await?;
    Ok(payment)
}

/// The receipt of `payment`, from the invoice's own stamped CFDI.
fn receipt_of(
    payment: &Payment,
    invoice: &Invoice,
    profile: &fiscal::FiscalProfile,
) -> Result<pagos::Receipt> {
    let stamped = invoice
        .xml
        .as_deref()
        .map(cfdi::Element::parse)
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("a stamped invoice without its CFDI"))?;
    let local = |at: DateTime<Utc>| cfdi::local_time(&profile.postal_code, at);
    Ok(pagos::Receipt {
        series: payment.receipt_series.clone(),
        folio: payment.receipt_folio.map(|f| f.to_string()),
        issued_at: local(payment.receipt_issued_at.unwrap_or(payment.created_at)),
        paid_at: local(payment.paid_at),
        payment_form: payment.payment_form.clone(),
        amount: payment.amount_minor,
        exchange_rate: payment
            .exchange_rate
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::from)?,
        operation: payment.reference.clone(),
        installment: payment.installment as u32,
        balance_before: payment.balance_before_minor,
        issuer: Party {
            rfc: profile.rfc.clone(),
            name: profile.legal_name.clone(),
            regime: profile.tax_regime.clone(),
            postal_code: profile.postal_code.clone(),
        },
        receiver: Party {
            rfc: invoice.receiver_rfc.clone(),
            name: invoice.receiver_name.clone(),
            regime: invoice.receiver_regime.clone(),
            postal_code: invoice.receiver_postal_code.clone(),
        },
        invoice: pagos::RelatedInvoice::from_stamped(&stamped)?,
    })
}

/// The StampPaymentReceipt job: seals the receipt and has the PAC stamp it, like an
/// invoice (a rejection is final and kept, an unreachable PAC is tried again).
pub async fn stamp_receipt(deps: &Deps, tenant_id: Uuid, payment_id: Uuid) -> Result<()> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let payment = tx.get::<payments::Entity>(payment_id, "payment").await?;
    if payment.receipt_status.as_deref() != Some(ReceiptStatus::Stamping.key()) {
        return Ok(());
    }
    let invoice = tx
        .get::<invoices::Entity>(payment.invoice_id, "invoice")
        .await?;
    let profile = fiscal::required(&tx).await?;
    tx.commit().await?;
    let receipt = receipt_of(&payment, &invoice, &profile)?;
    let outcome = fiscal::seal_and_stamp(deps, &profile, |certificate| {
        pagos::document(&receipt, certificate)
    })
    .await?;
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let payment = tx.get::<payments::Entity>(payment_id, "payment").await?;
    if payment.receipt_status.as_deref() != Some(ReceiptStatus::Stamping.key()) {
        return Ok(());
    }
    let ctx = TenantCtx::system(tenant_id);
    let mut model: payments::ActiveModel = payment.into();
    let retry = match outcome {
        Ok(stamped) => {
            model.receipt_status = Set(Some(ReceiptStatus::Stamped.key().into()));
            model.receipt_uuid = Set(Some(stamped.uuid.clone()));
            model.receipt_xml = Set(Some(stamped.xml));
            let payment = tx.update(model).await?;
            keep_receipt_pdf(deps, &mut tx, &payment).await?;
            audit::record(
                &mut tx,
                &ctx,
                "billing.payment.receipt_stamped",
                ("payment", Some(payment_id)),
                serde_json::json!({ "uuid": stamped.uuid }),
            )
            .await?;
            None
        }
        Err(PacError::Rejected { code, message }) => {
            model.receipt_status = Set(Some(ReceiptStatus::Failed.key().into()));
            model.pac_error_code = Set(Some(code.clone()));
            model.pac_error_message = Set(Some(message.clone()));
            model.update(&*tx).await?;
            audit::record(
                &mut tx,
                &ctx,
                "billing.payment.receipt_failed",
                ("payment", Some(payment_id)),
                serde_json::json!({ "error": { "code": code, "message": message } }),
            )
            .await?;
            None
        }
        Err(PacError::Unavailable(reason)) => {
            model.pac_error_code = Set(Some("PAC_UNAVAILABLE".into()));
            model.pac_error_message = Set(Some(reason.clone()));
            model.update(&*tx).await?;
            Some(reason)
        }
    };
    tx.commit().await?;
    match retry {
        Some(reason) => Err(anyhow::anyhow!("the PAC is unavailable: {reason}").into()),
        None => Ok(()),
    }
}

fn receipt_name(payment: &Payment) -> String {
    format!(
        "Recibo de pago {}-{}.pdf",
        payment.receipt_series.as_deref().unwrap_or_default(),
        payment.receipt_folio.unwrap_or_default()
    )
}

async fn keep_receipt_pdf(
    deps: &Deps,
    tx: &mut TenantTx,
    payment: &Payment,
) -> Result<Option<tianguis_documents::files::File>> {
    let kept = crate::invoices::keep_printed(
        deps,
        tx,
        payment.invoice_id,
        receipt_name(payment),
        payment.receipt_xml.as_deref(),
    )
    .await?;
    Ok(kept.map(|(file, _)| file))
}

/// The stamped payment receipt's PDF, kept among its invoice's files.
pub async fn receipt_pdf(
    deps: &Deps,
    ctx: &TenantCtx,
    payment_id: Uuid,
) -> Result<tianguis_documents::files::Printed> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let payment = tx.get::<payments::Entity>(payment_id, "payment").await?;
    let file = keep_receipt_pdf(deps, &mut tx, &payment)
        .await?
        .ok_or_else(|| Error::invalid("id", "only a stamped payment receipt has a printed copy"))?;
    tx.commit().await?;
    Ok(tianguis_documents::files::printed(deps, ctx, file))
}

/// Each invoice's payments, first to last: one statement per batch.
pub async fn of_invoices(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Payment>>> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<payments::Entity>()
        .filter(payments::Column::InvoiceId.is_in(ids.iter().copied()))
        .order_by_asc(payments::Column::Installment)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(found, |p| Some(p.invoice_id)))
}
