//! Invoices: drafted by hand or from an accepted proposal, stamped as CFDI 4.0 through the
//! business's PAC by a job, cancelled with SAT's motives.
//!
//! draft → stamping → stamped → cancelling → cancelled; a PAC rejection leaves it `failed`
//! with the PAC's code and message, editable and stampable again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use tianguis_documents::files::{self, File};
use tianguis_entity::billing::{invoice_items as items, invoices};
use tianguis_entity::crm::{companies, contacts, proposal_items, proposals};
use uuid::Uuid;

use super::catalogs::{self, CancellationMotive};
use super::cfdi::{self, Party};
use super::fiscal;
use crate::db::Current;
use crate::db::TenantTx;
use crate::db::stamped;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::ports::{Attachment, CancelRequest, Cancellation, Job, PacError};
use crate::pricing::{self, StoredTerms, Tax, Withholding};
use crate::rules::{optional_email, optional_text, postal_code, rfc, tax_regime};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub type Invoice = invoices::Model;
pub type InvoiceItem = items::Model;

/// The code kept on an invoice whose cancellation SAT is holding for the receiver.
pub const CANCELLATION_PENDING: &str = "CANCELLATION_PENDING";

/// Unknown product or service: SAT's key for lines not classified yet.
pub const DEFAULT_PRODUCT_KEY: &str = "01010101";
/// Unit of service.
pub const DEFAULT_UNIT_KEY: &str = "E48";
/// Items an invoice written by hand may have.
const MAX_ITEMS: usize = 500;
/// Items an invoice drawn from sales may have: a factura global has a line per ticket and
/// tax rate.
const MAX_DRAWN_ITEMS: usize = 20_000;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Draft = "draft",
        /// Sent to the PAC; the answer is awaited.
        Stamping = "stamping",
        Stamped = "stamped",
        /// The PAC refused it; fix and stamp again.
        Failed = "failed",
        Cancelling = "cancelling",
        Cancelled = "cancelled",
    }
}

impl Status {
    pub(crate) fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Failed)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ReceiverInput {
    pub rfc: Option<String>,
    pub name: Option<String>,
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub cfdi_use: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ItemInput {
    /// The catalog's product, when the line sells one.
    pub product_id: Option<Uuid>,
    pub product_key: Option<String>,
    pub unit_key: Option<String>,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount: Option<Decimal>,
    pub tax: Tax,
    pub withholdings: Vec<Withholding>,
}

#[derive(Clone, Debug, Default)]
pub struct InvoiceInput {
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub receiver: Option<ReceiverInput>,
    /// PUE (paid in one go) or PPD (in installments or later).
    pub payment_method: Option<String>,
    pub payment_form: Option<String>,
    pub currency: Option<String>,
    pub exchange_rate: Option<Decimal>,
    pub export_code: Option<String>,
    pub items: Option<Vec<ItemInput>>,
}

fn sat_key(
    raw: Option<&str>,
    default: &str,
    len: std::ops::RangeInclusive<usize>,
    field: &'static str,
) -> Result<String> {
    let key = raw
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or(default)
        .to_uppercase();
    if len.contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(key)
    } else {
        Err(Error::invalid(
            field,
            format!("'{key}' is not a SAT catalogue key"),
        ))
    }
}

/// Collapses runs of whitespace: the cadena original does, so the stored text matches it.
fn collapsed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prices the items into the invoice's totals and returns their rows, to be written once
/// the invoice's own row is.
fn price(
    model: &mut invoices::ActiveModel,
    inputs: Vec<ItemInput>,
    now: DateTime<Utc>,
) -> Result<Vec<items::ActiveModel>> {
    let tenant_id = model.tenant_id.current()?;
    let invoice_id = model.id.current()?;
    let currency = model.currency.current()?;
    let currency = currency.as_str();
    if inputs.is_empty() || inputs.len() > MAX_DRAWN_ITEMS {
        return Err(Error::invalid(
            "items",
            format!("an invoice has 1 to {MAX_DRAWN_ITEMS} items"),
        ));
    }
    let mut rows = Vec::with_capacity(inputs.len());
    let mut figures_of_lines = Vec::with_capacity(inputs.len());
    for (position, input) in inputs.into_iter().enumerate() {
        let line = cfdi::Line {
            product_key: sat_key(
                input.product_key.as_deref(),
                DEFAULT_PRODUCT_KEY,
                8..=8,
                "productKey",
            )?,
            unit_key: sat_key(
                input.unit_key.as_deref(),
                DEFAULT_UNIT_KEY,
                1..=3,
                "unitKey",
            )?,
            sku: optional_text(input.sku.as_deref(), "sku", 100)?.map(|s| collapsed(&s)),
            description: collapsed(&required_text(&input.description, "description", 1000)?),
            quantity: input.quantity,
            unit_price: input.unit_price,
            discount: input.discount.unwrap_or_default(),
            tax: input.tax,
            withholdings: input.withholdings,
        };
        let figures = cfdi::build::line_totals(&line, currency)?;
        rows.push(stamped(
            now,
            items::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                invoice_id: Set(invoice_id),
                position: Set(position as i32),
                product_id: Set(input.product_id),
                product_key: Set(line.product_key.clone()),
                unit_key: Set(line.unit_key.clone()),
                sku: Set(line.sku.clone()),
                description: Set(line.description.clone()),
                quantity: Set(pricing::stored_decimal(line.quantity)),
                unit_price: Set(pricing::stored_decimal(line.unit_price)),
                discount_minor: Set(figures.discount),
                tax: Set(line.tax.key().to_owned()),
                withholdings: Set(pricing::stored_withholdings(&line.withholdings)),
                amount_minor: Set(figures.subtotal),
                tax_minor: Set(figures.transferred),
                withheld_minor: Set(figures.withheld),
                ..Default::default()
            },
        ));
        figures_of_lines.push(figures);
    }
    let totals: cfdi::Totals = figures_of_lines.into_iter().sum();
    model.subtotal_minor = Set(totals.subtotal);
    model.discount_minor = Set(totals.discount);
    model.tax_minor = Set(totals.transferred);
    model.withheld_minor = Set(totals.withheld);
    model.total_minor = Set(totals.total);
    Ok(rows)
}

async fn check_products(tx: &TenantTx, inputs: &[ItemInput]) -> Result<()> {
    let ids: Vec<Uuid> = inputs.iter().filter_map(|i| i.product_id).collect();
    tx.check_references::<tianguis_entity::commerce::products::Entity>(&ids, "productId", "product")
        .await
}

/// Fills the receiver from the company (or the contact) when the input names none.
async fn receiver_from_records(
    tx: &TenantTx,
    model: &mut invoices::ActiveModel,
    input: &InvoiceInput,
) -> Result<()> {
    let contact = match input.contact_id {
        Some(id) => Some(
            tx.get::<contacts::Entity>(id, "contact")
                .await
                .map_err(|_| Error::invalid("contactId", "no such contact"))?,
        ),
        None => None,
    };
    // Invoicing someone at a company invoices the company.
    let company_id = input
        .company_id
        .or_else(|| contact.as_ref().and_then(|c| c.company_id));
    let company = match company_id {
        Some(id) => Some(
            tx.get::<companies::Entity>(id, "company")
                .await
                .map_err(|_| Error::invalid("companyId", "no such company"))?,
        ),
        None => None,
    };
    model.contact_id = Set(contact.as_ref().map(|c| c.id));
    model.company_id = Set(company.as_ref().map(|c| c.id));
    let email = contact
        .as_ref()
        .and_then(|c| c.email.clone())
        .or_else(|| company.as_ref().and_then(|c| c.email.clone()));
    if email.is_some() {
        model.receiver_email = Set(email);
    }
    match (company, contact) {
        (Some(company), _) if company.rfc.is_some() => {
            model.receiver_rfc = Set(company.rfc.unwrap_or_default());
            model.receiver_name = Set(company.legal_name.unwrap_or(company.name).to_uppercase());
            if let Some(regime) = company.tax_regime {
                model.receiver_regime = Set(regime);
            }
            if let Some(postal) = company.postal_code {
                model.receiver_postal_code = Set(postal);
            }
        }
        (_, Some(contact)) if contact.rfc.is_some() => {
            model.receiver_rfc = Set(contact.rfc.unwrap_or_default());
            model.receiver_name = Set(format!("{} {}", contact.first_name, contact.last_name)
                .trim()
                .to_uppercase());
        }
        _ => {}
    }
    Ok(())
}

/// Applies the receiver given explicitly; each value is checked on its own here, the
/// combination when stamping.
fn apply_receiver(model: &mut invoices::ActiveModel, r: &ReceiverInput) -> Result<()> {
    if let Some(v) = &r.rfc {
        model.receiver_rfc = Set(rfc(v, "receiver.rfc")?);
    }
    if let Some(v) = &r.name {
        model.receiver_name =
            Set(collapsed(&required_text(v, "receiver.name", 300)?).to_uppercase());
    }
    if let Some(v) = &r.tax_regime {
        model.receiver_regime = Set(tax_regime(v, "receiver.taxRegime")?);
    }
    if let Some(v) = &r.postal_code {
        model.receiver_postal_code = Set(postal_code(v, "receiver.postalCode")?);
    }
    if let Some(v) = &r.cfdi_use {
        model.cfdi_use = Set(catalogs::cfdi_use(v)?);
    }
    if let Some(v) = &r.email {
        model.receiver_email = Set(optional_email(Some(v), "receiver.email")?);
    }
    Ok(())
}

fn apply_terms(model: &mut invoices::ActiveModel, input: &InvoiceInput) -> Result<()> {
    if let Some(method) = &input.payment_method {
        let method = method.trim().to_uppercase();
        if method != "PUE" && method != "PPD" {
            return Err(Error::invalid(
                "paymentMethod",
                "the payment method is PUE or PPD",
            ));
        }
        model.payment_method = Set(method);
    }
    if let Some(form) = &input.payment_form {
        model.payment_form = Set(catalogs::payment_form(form, "paymentForm")?);
    }
    if let Some(code) = &input.export_code {
        model.export_code = Set(catalogs::export_code(code)?);
    }
    if let Some(rate) = input.exchange_rate {
        if rate <= Decimal::ZERO || rate.normalize().scale() > 6 {
            return Err(Error::invalid(
                "exchangeRate",
                "a positive rate with at most 6 decimals",
            ));
        }
        model.exchange_rate = Set(Some(rate.normalize().to_string()));
    }
    Ok(())
}

fn event_data(i: &Invoice) -> serde_json::Value {
    serde_json::json!({
        "series": i.series,
        "folio": i.folio,
        "status": i.status,
        "uuid": i.uuid,
        "currency": i.currency,
        "total": crate::money::Money::new(i.total_minor, &i.currency).amount().to_string(),
        "proposalId": i.proposal_id,
    })
}

pub(crate) async fn insert_draft(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: InvoiceInput,
    proposal_id: Option<Uuid>,
) -> Result<Invoice> {
    let profile = fiscal::required(tx).await?;
    let now = tx.now();
    let id = Uuid::now_v7();
    let currency = catalogs::currency(input.currency.as_deref().unwrap_or("MXN"))?;
    let folio = crate::numbering::next_number(tx, &format!("cfdi:{}", profile.series), now).await?;
    let mut model = invoices::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant_id),
        series: Set(profile.series.clone()),
        folio: Set(folio),
        status: Set(Status::Draft.key().into()),
        proposal_id: Set(proposal_id),
        contact_id: Set(None),
        company_id: Set(None),
        receiver_rfc: Set(String::new()),
        receiver_name: Set(String::new()),
        receiver_regime: Set(String::new()),
        receiver_postal_code: Set(String::new()),
        receiver_email: Set(None),
        cfdi_use: Set("G03".into()),
        payment_method: Set("PUE".into()),
        payment_form: Set("03".into()),
        currency: Set(currency),
        exchange_rate: Set(None),
        export_code: Set("01".into()),
        paid_minor: Set(0),
        uuid: Set(None),
        issued_at: Set(None),
        stamped_at: Set(None),
        xml: Set(None),
        pac_error_code: Set(None),
        pac_error_message: Set(None),
        cancellation_motive: Set(None),
        substituted_by: Set(None),
        cancelled_at: Set(None),
        created_by: Set(ctx.actor_user()),
        global_periodicity: Set(None),
        global_months: Set(None),
        global_year: Set(None),
        ..Default::default()
    };
    receiver_from_records(tx, &mut model, &input).await?;
    if let Some(r) = &input.receiver {
        apply_receiver(&mut model, r)?;
    }
    apply_terms(&mut model, &input)?;
    let Some(inputs) = input.items else {
        return Err(Error::invalid("items", "an invoice has at least one item"));
    };
    check_products(tx, &inputs).await?;
    let rows = price(&mut model, inputs, now)?;
    let invoice = tx.insert(model).await?;
    // In chunks, within the databases' limits on parameters per statement.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        items::Entity::insert_many(rows.by_ref().take(1_000))
            .exec_without_returning(&**tx)
            .await?;
    }
    audit::record(
        tx,
        ctx,
        "billing.invoice.created",
        ("invoice", Some(invoice.id)),
        event_data(&invoice),
    )
    .await?;
    Ok(invoice)
}

/// An invoice's items as typed: at most [`MAX_ITEMS`].
fn typed_items(input: &InvoiceInput) -> Result<()> {
    if input.items.as_ref().is_some_and(|i| i.len() > MAX_ITEMS) {
        return Err(Error::invalid(
            "items",
            format!("an invoice has 1 to {MAX_ITEMS} items"),
        ));
    }
    Ok(())
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: InvoiceInput) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    typed_items(&input)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = insert_draft(&mut tx, ctx, input, None).await?;
    tx.commit().await?;
    Ok(invoice)
}

/// Drafts the invoice of an accepted proposal, once: a redelivered event finds it drafted.
/// A business without a fiscal profile does not invoice through this service; nothing is
/// drafted.
pub async fn draft_from_proposal(
    deps: &Deps,
    tenant_id: Uuid,
    proposal_id: Uuid,
) -> Result<Option<Invoice>> {
    let ctx = TenantCtx::system(tenant_id);
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let existing = tx
        .select::<invoices::Entity>()
        .filter(invoices::Column::ProposalId.eq(proposal_id))
        .one(&*tx)
        .await?;
    if existing.is_some() || fiscal::of(&tx).await?.is_none() {
        return Ok(existing);
    }
    let proposal = tx.get::<proposals::Entity>(proposal_id, "proposal").await?;
    let lines = tx
        .select::<proposal_items::Entity>()
        .filter(proposal_items::Column::ProposalId.eq(proposal_id))
        .order_by_asc(proposal_items::Column::Position)
        .all(&*tx)
        .await?;
    let items = lines
        .into_iter()
        .map(|l| {
            let terms = StoredTerms::read(&l.quantity, &l.unit_price, &l.tax, &l.withholdings)?;
            Ok(ItemInput {
                product_id: l.product_id,
                product_key: None,
                unit_key: None,
                sku: None,
                description: l.description,
                quantity: terms.quantity,
                unit_price: terms.unit_price,
                discount: Some(crate::rules::from_minor(
                    l.discount_minor,
                    &proposal.currency,
                )),
                tax: terms.tax,
                withholdings: terms.withholdings,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Paid by card as it was accepted: an invoice paid in one go.
    let paid = proposal.paid_at.is_some();
    let input = InvoiceInput {
        contact_id: proposal.contact_id,
        company_id: proposal.company_id,
        currency: Some(proposal.currency.clone()),
        payment_method: paid.then(|| "PUE".to_owned()),
        payment_form: paid.then(|| super::stripe::CARD.to_owned()),
        items: Some(items),
        ..InvoiceInput::default()
    };
    let invoice = insert_draft(&mut tx, &ctx, input, Some(proposal_id)).await?;
    tx.commit().await?;
    Ok(Some(invoice))
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: InvoiceInput,
) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    typed_items(&input)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = tx.get::<invoices::Entity>(id, "invoice").await?;
    if !Status::from_stored(&invoice.status)?.editable() {
        return Err(Error::conflict(
            "id",
            format!("a {} invoice cannot be edited", invoice.status),
        ));
    }
    let mut model: invoices::ActiveModel = invoice.into();
    if input.contact_id.is_some() || input.company_id.is_some() {
        receiver_from_records(&tx, &mut model, &input).await?;
    }
    if let Some(r) = &input.receiver {
        apply_receiver(&mut model, r)?;
    }
    apply_terms(&mut model, &input)?;
    if let Some(c) = &input.currency {
        model.currency = Set(catalogs::currency(c)?);
    }
    let now = tx.now();
    if let Some(items) = &input.items {
        check_products(&tx, items).await?;
    }
    let rows = input.items.map(|i| price(&mut model, i, now)).transpose()?;
    let invoice = tx.update(model).await?;
    if let Some(rows) = rows {
        items::Entity::delete_many()
            .filter(items::Column::TenantId.eq(ctx.tenant_id))
            .filter(items::Column::InvoiceId.eq(id))
            .exec(&*tx)
            .await?;
        items::Entity::insert_many(rows).exec(&*tx).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "billing.invoice.updated",
        ("invoice", Some(id)),
        event_data(&invoice),
    )
    .await?;
    tx.commit().await?;
    Ok(invoice)
}

async fn lines_of(tx: &TenantTx, invoice: &Invoice) -> Result<Vec<cfdi::Line>> {
    let rows = tx
        .select::<items::Entity>()
        .filter(items::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(items::Column::Position)
        .all(&**tx)
        .await?;
    rows.into_iter()
        .map(|r| {
            let terms = StoredTerms::read(&r.quantity, &r.unit_price, &r.tax, &r.withholdings)?;
            Ok(cfdi::Line {
                product_key: r.product_key,
                unit_key: r.unit_key,
                sku: r.sku,
                description: r.description,
                quantity: terms.quantity,
                unit_price: terms.unit_price,
                discount: crate::rules::from_minor(r.discount_minor, &invoice.currency),
                tax: terms.tax,
                withholdings: terms.withholdings,
            })
        })
        .collect()
}

/// The invoice as the CFDI to seal, checked against SAT's rules: every problem a PAC would
/// reject for is found here and named by its field.
fn document_of(
    invoice: &Invoice,
    profile: &fiscal::FiscalProfile,
    lines: Vec<cfdi::Line>,
    issued_at: DateTime<Utc>,
) -> Result<cfdi::Invoice> {
    if invoice.receiver_rfc.is_empty() {
        return Err(Error::invalid(
            "receiver.rfc",
            "the receiver's RFC is missing",
        ));
    }
    if invoice.receiver_name.is_empty() {
        return Err(Error::invalid(
            "receiver.name",
            "the receiver's name is missing",
        ));
    }
    if invoice.receiver_postal_code.is_empty() {
        return Err(Error::invalid(
            "receiver.postalCode",
            "the receiver's fiscal postal code is missing",
        ));
    }
    if invoice.receiver_regime.is_empty() {
        return Err(Error::invalid(
            "receiver.taxRegime",
            "the receiver's tax regime is missing",
        ));
    }
    catalogs::check_receiver(
        &invoice.receiver_rfc,
        &invoice.receiver_regime,
        &invoice.cfdi_use,
    )?;
    if invoice.receiver_rfc == catalogs::PUBLIC_RFC
        && invoice.receiver_postal_code != profile.postal_code
    {
        return Err(Error::invalid(
            "receiver.postalCode",
            "an invoice to the general public takes the issuer's postal code",
        ));
    }
    match (
        invoice.payment_method.as_str(),
        invoice.payment_form.as_str(),
    ) {
        ("PPD", form) if form != "99" => {
            return Err(Error::invalid(
                "paymentForm",
                "a PPD invoice (paid later) has payment form 99, to be defined",
            ));
        }
        ("PUE", "99") => {
            return Err(Error::invalid(
                "paymentForm",
                "a PUE invoice (paid in one go) names how it was paid, not 99",
            ));
        }
        _ => {}
    }
    Ok(cfdi::Invoice {
        series: Some(invoice.series.clone()),
        folio: Some(invoice.folio.to_string()),
        issued_at: cfdi::local_time(&profile.postal_code, issued_at),
        payment_form: invoice.payment_form.clone(),
        payment_method: invoice.payment_method.clone(),
        currency: invoice.currency.clone(),
        exchange_rate: invoice
            .exchange_rate
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::from)?,
        export_code: invoice.export_code.clone(),
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
        cfdi_use: invoice.cfdi_use.clone(),
        lines,
        related: None,
        global: match (
            &invoice.global_periodicity,
            &invoice.global_months,
            invoice.global_year,
        ) {
            (Some(periodicity), Some(months), Some(year)) => Some(cfdi::GlobalPeriod {
                periodicity: periodicity.clone(),
                months: months.clone(),
                year,
            }),
            _ => None,
        },
    })
}

/// Records the period a factura global covers.
pub(crate) async fn set_global_period(
    tx: &TenantTx,
    invoice: Invoice,
    period: &cfdi::GlobalPeriod,
) -> Result<Invoice> {
    let mut model: invoices::ActiveModel = invoice.into();
    model.global_periodicity = Set(Some(period.periodicity.clone()));
    model.global_months = Set(Some(period.months.clone()));
    model.global_year = Set(Some(period.year));
    Ok(tx.update(model).await?)
}

/// Checks everything SAT will, then hands the invoice to the stamping job.
pub async fn request_stamp(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = tx.get::<invoices::Entity>(id, "invoice").await?;
    let invoice = request_stamp_in(&mut tx, deps, ctx, invoice).await?;
    tx.commit().await?;
    Ok(invoice)
}

/// [`request_stamp`] inside the caller's transaction.
pub(crate) async fn request_stamp_in(
    tx: &mut TenantTx,
    deps: &Deps,
    ctx: &TenantCtx,
    invoice: Invoice,
) -> Result<Invoice> {
    let id = invoice.id;
    if !Status::from_stored(&invoice.status)?.editable() {
        return Err(Error::conflict(
            "id",
            format!("a {} invoice cannot be stamped", invoice.status),
        ));
    }
    let profile = fiscal::required(tx).await?;
    let csd = fiscal::open_csd(deps, &profile)?;
    let now = tx.now();
    csd.check_for(&profile.rfc, now)?;
    let document = document_of(&invoice, &profile, lines_of(tx, &invoice).await?, now)?;
    cfdi::build::document(&document, &csd.certificate)?;
    let mut model: invoices::ActiveModel = invoice.into();
    model.status = Set(Status::Stamping.key().into());
    model.issued_at = Set(Some(now));
    model.pac_error_code = Set(None);
    model.pac_error_message = Set(None);
    let invoice = tx.update(model).await?;
    audit::record(
        tx,
        ctx,
        "billing.invoice.stamp_requested",
        ("invoice", Some(id)),
        event_data(&invoice),
    )
    .await?;
    tx.enqueue_after_commit(Job::new(crate::StampCfdi {
        tenant_id: ctx.tenant_id,
        invoice_id: id,
    }))
    .await?;
    Ok(invoice)
}

/// The invoice while it is in `status`: a job finding it moved on has nothing left to do.
async fn in_status(tx: &TenantTx, id: Uuid, status: Status) -> Result<Option<Invoice>> {
    let invoice = tx.get::<invoices::Entity>(id, "invoice").await?;
    Ok((Status::from_stored(&invoice.status)? == status).then_some(invoice))
}

/// The StampCfdi job: seals the invoice and has the PAC stamp it. A rejection is final and
/// kept on the invoice; an unreachable PAC fails the job so it is tried again. The document
/// is sealed with the date the stamp was requested, so every attempt sends the same CFDI and
/// a PAC that already stamped it answers with the same UUID.
pub async fn stamp(deps: &Deps, tenant_id: Uuid, invoice_id: Uuid) -> Result<()> {
    let ctx = TenantCtx::system(tenant_id);
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let Some(invoice) = in_status(&tx, invoice_id, Status::Stamping).await? else {
        return Ok(());
    };
    let profile = fiscal::required(&tx).await?;
    let lines = lines_of(&tx, &invoice).await?;
    tx.commit().await?;
    let issued_at = invoice.issued_at.unwrap_or_else(|| deps.clock.now());
    let outcome = fiscal::seal_and_stamp(deps, &profile, |certificate| {
        cfdi::build::document(
            &document_of(&invoice, &profile, lines, issued_at)?,
            certificate,
        )
    })
    .await?;
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let Some(invoice) = in_status(&tx, invoice_id, Status::Stamping).await? else {
        return Ok(());
    };
    let now = tx.now();
    let mut model: invoices::ActiveModel = invoice.into();
    let retry = match outcome {
        Ok(stamped) => {
            model.status = Set(Status::Stamped.key().into());
            model.uuid = Set(Some(stamped.uuid));
            model.xml = Set(Some(stamped.xml));
            model.stamped_at = Set(Some(now));
            let invoice = tx.update(model).await?;
            audit::record(
                &mut tx,
                &ctx,
                "billing.invoice.stamped",
                ("invoice", Some(invoice_id)),
                event_data(&invoice),
            )
            .await?;
            super::stripe::record_proposal_payment(&mut tx, deps, &ctx, &invoice).await?;
            let printed = keep_pdf(deps, &mut tx, &invoice).await?;
            email_to_receiver(&mut tx, &invoice, printed.map(|(_, pdf)| pdf)).await?;
            None
        }
        Err(PacError::Rejected { code, message }) => {
            model.status = Set(Status::Failed.key().into());
            model.pac_error_code = Set(Some(code.clone()));
            model.pac_error_message = Set(Some(message.clone()));
            let invoice = model.update(&*tx).await?;
            let mut data = event_data(&invoice);
            data["error"] = serde_json::json!({ "code": code, "message": message });
            audit::record(
                &mut tx,
                &ctx,
                "billing.invoice.stamp_failed",
                ("invoice", Some(invoice_id)),
                data,
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

/// Asks for the cancellation of a stamped invoice; motive 01 names the invoice replacing it.
pub async fn request_cancel(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    motive: &str,
    substitute: Option<String>,
) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let motive = CancellationMotive::parse(motive.trim())
        .ok_or_else(|| Error::invalid("motive", "the motive is one of SAT's: 01, 02, 03 or 04"))?;
    let substitute = match (
        motive,
        substitute
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty()),
    ) {
        (CancellationMotive::ErrorsWithRelation, Some(uuid)) => {
            Uuid::parse_str(&uuid)
                .map_err(|_| Error::invalid("substituteUuid", "not a fiscal folio (UUID)"))?;
            Some(uuid)
        }
        (CancellationMotive::ErrorsWithRelation, None) => {
            return Err(Error::invalid(
                "substituteUuid",
                "motive 01 needs the UUID of the invoice that replaces this one",
            ));
        }
        (_, Some(_)) => {
            return Err(Error::invalid(
                "substituteUuid",
                "only motive 01 names a replacing invoice",
            ));
        }
        (_, None) => None,
    };
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = tx.get::<invoices::Entity>(id, "invoice").await?;
    if Status::from_stored(&invoice.status)? != Status::Stamped {
        return Err(Error::conflict(
            "id",
            format!(
                "only a stamped invoice can be cancelled; this one is {}",
                invoice.status
            ),
        ));
    }
    if invoice.paid_minor > 0 {
        return Err(Error::conflict(
            "id",
            "an invoice with recorded payments is not cancelled while they stand",
        ));
    }
    let mut model: invoices::ActiveModel = invoice.into();
    model.status = Set(Status::Cancelling.key().into());
    model.cancellation_motive = Set(Some(motive.code().into()));
    model.substituted_by = Set(substitute);
    model.pac_error_code = Set(None);
    model.pac_error_message = Set(None);
    let invoice = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "billing.invoice.cancel_requested",
        ("invoice", Some(id)),
        event_data(&invoice),
    )
    .await?;
    tx.enqueue_after_commit(Job::new(crate::CancelCfdi {
        tenant_id: ctx.tenant_id,
        invoice_id: id,
    }))
    .await?;
    tx.commit().await?;
    Ok(invoice)
}

/// The CancelCfdi job. SAT may need the receiver's consent; until then the invoice stays
/// `cancelling` and the job asks again later.
pub async fn cancel(deps: &Deps, tenant_id: Uuid, invoice_id: Uuid) -> Result<()> {
    let ctx = TenantCtx::system(tenant_id);
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let Some(invoice) = in_status(&tx, invoice_id, Status::Cancelling).await? else {
        return Ok(());
    };
    let profile = fiscal::required(&tx).await?;
    tx.commit().await?;
    let total = crate::rules::from_minor(invoice.total_minor, &invoice.currency).to_string();
    let request = CancelRequest {
        issuer_rfc: &profile.rfc,
        receiver_rfc: &invoice.receiver_rfc,
        uuid: invoice.uuid.as_deref().unwrap_or_default(),
        total: &total,
        motive: invoice.cancellation_motive.as_deref().unwrap_or("02"),
        substitute: invoice.substituted_by.as_deref(),
        certificate_number: profile.certificate_number.as_deref().unwrap_or_default(),
    };
    let account = fiscal::pac_account(deps, &profile)?;
    // Asked once; while SAT waits for the receiver, later runs ask how it stands.
    let outcome = if invoice.pac_error_code.as_deref() == Some(CANCELLATION_PENDING) {
        deps.pac.cancellation_status(&account, &request).await
    } else {
        deps.pac.cancel(&account, &request).await
    };
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let Some(invoice) = in_status(&tx, invoice_id, Status::Cancelling).await? else {
        return Ok(());
    };
    let now = tx.now();
    let mut model: invoices::ActiveModel = invoice.into();
    let (action, retry) = match outcome {
        Ok(Cancellation::Cancelled) => {
            model.status = Set(Status::Cancelled.key().into());
            model.cancelled_at = Set(Some(now));
            model.pac_error_code = Set(None);
            model.pac_error_message = Set(None);
            (Some("billing.invoice.cancelled"), None)
        }
        Ok(Cancellation::Pending) => {
            let waiting = "SAT waits for the receiver to accept the cancellation";
            model.pac_error_code = Set(Some(CANCELLATION_PENDING.into()));
            model.pac_error_message = Set(Some(waiting.into()));
            (None, Some(waiting.to_owned()))
        }
        Ok(Cancellation::Rejected) => {
            model.status = Set(Status::Stamped.key().into());
            model.pac_error_code = Set(Some("CANCELLATION_REJECTED".into()));
            model.pac_error_message = Set(Some("the receiver rejected the cancellation".into()));
            (Some("billing.invoice.cancel_rejected"), None)
        }
        Err(PacError::Rejected { code, message }) => {
            model.status = Set(Status::Stamped.key().into());
            model.pac_error_code = Set(Some(code));
            model.pac_error_message = Set(Some(message));
            (Some("billing.invoice.cancel_rejected"), None)
        }
        Err(PacError::Unavailable(reason)) => (None, Some(reason)),
    };
    let invoice = tx.update(model).await?;
    if let Some(action) = action {
        audit::record(
            &mut tx,
            &ctx,
            action,
            ("invoice", Some(invoice_id)),
            event_data(&invoice),
        )
        .await?;
    }
    tx.commit().await?;
    match retry {
        Some(reason) => Err(anyhow::anyhow!("cancellation not settled: {reason}").into()),
        None => Ok(()),
    }
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Invoice> {
    TenantTx::read_one::<invoices::Entity>(
        deps,
        ctx,
        Permission::BillingInvoicesRead,
        id,
        "invoice",
    )
    .await
}

/// Each invoice's items in order: one statement per batch.
pub async fn items_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<InvoiceItem>>> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<items::Entity>()
        .filter(items::Column::InvoiceId.is_in(ids.iter().copied()))
        .order_by_asc(items::Column::Position)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(found, |i| Some(i.invoice_id)))
}

#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub statuses: Vec<Status>,
    pub company_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: InvoiceFilter,
    page: &PageRequest,
) -> Result<Page<Invoice>> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<invoices::Entity>();
    if !filter.statuses.is_empty() {
        select =
            select.filter(invoices::Column::Status.is_in(filter.statuses.iter().map(|s| s.key())));
    }
    if let Some(id) = filter.company_id {
        select = select.filter(invoices::Column::CompanyId.eq(id));
    }
    if let Some(id) = filter.contact_id {
        select = select.filter(invoices::Column::ContactId.eq(id));
    }
    let page = paginate(
        &*tx,
        select,
        invoices::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

fn stamped_document(invoice: &Invoice) -> Option<cfdi::Element> {
    cfdi::Element::parse(invoice.xml.as_deref()?).ok()
}

/// The SAT verification URL of a stamped invoice, which its printed QR code carries.
pub fn verification_url(invoice: &Invoice) -> Option<String> {
    cfdi::printable::verification_url(&stamped_document(invoice)?)
}

/// The printable copy of a stamped invoice (HTML with the QR code and the stamp).
pub fn printable_html(invoice: &Invoice) -> Option<String> {
    cfdi::printable::html(&stamped_document(invoice)?)
}

/// Keeps the printed copy of a stamped CFDI (an invoice or one of its payment receipts) as
/// a PDF among the invoice's files; nothing for a document not stamped.
pub(crate) async fn keep_printed(
    deps: &Deps,
    tx: &mut TenantTx,
    invoice_id: Uuid,
    name: String,
    xml: Option<&str>,
) -> Result<Option<(File, Vec<u8>)>> {
    let Some(bytes) = xml
        .and_then(|xml| cfdi::Element::parse(xml).ok())
        .and_then(|doc| cfdi::printable::pdf(&doc))
    else {
        return Ok(None);
    };
    let document = files::Generated {
        folder_kind: files::FolderKind::Invoice,
        folder_id: invoice_id,
        name,
        content_type: "application/pdf",
        bytes,
    };
    let file = files::keep_generated(deps, tx, &document).await?;
    Ok(Some((file, document.bytes)))
}

async fn keep_pdf(
    deps: &Deps,
    tx: &mut TenantTx,
    invoice: &Invoice,
) -> Result<Option<(File, Vec<u8>)>> {
    let name = format!("Factura {}-{}.pdf", invoice.series, invoice.folio);
    keep_printed(deps, tx, invoice.id, name, invoice.xml.as_deref()).await
}

/// The stamped invoice's PDF, kept among its files (the one kept at stamping, or made now
/// for an invoice stamped before PDFs were kept).
pub async fn pdf(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<files::Printed> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = tx.get::<invoices::Entity>(id, "invoice").await?;
    let (file, _) = keep_pdf(deps, &mut tx, &invoice)
        .await?
        .ok_or_else(|| Error::invalid("id", "only a stamped invoice has a printed copy"))?;
    tx.commit().await?;
    Ok(files::printed(deps, ctx, file))
}

/// Queues the stamped invoice to its receiver with the XML and its printed copy attached.
async fn email_to_receiver(
    tx: &mut TenantTx,
    invoice: &Invoice,
    printed: Option<Vec<u8>>,
) -> Result<()> {
    let (Some(to), Some(xml), Some(uuid)) = (&invoice.receiver_email, &invoice.xml, &invoice.uuid)
    else {
        return Ok(());
    };
    let number = format!("{}-{}", invoice.series, invoice.folio);
    let (branding, locale) = crate::tenancy::tenants::branding(&**tx, invoice.tenant_id).await?;
    let total = format!(
        "{} {}",
        crate::money::Money::new(invoice.total_minor, &invoice.currency).amount(),
        invoice.currency
    );
    let mut attachments = vec![Attachment {
        filename: format!("{number}.xml"),
        content_type: "application/xml".into(),
        content: xml.clone().into_bytes(),
    }];
    if let Some(printed) = printed {
        attachments.push(Attachment {
            filename: format!("{number}.pdf"),
            content_type: "application/pdf".into(),
            content: printed,
        });
    }
    let job = crate::email::queue_with_attachments(
        &**tx,
        crate::email::NewEmail {
            at: tx.now(),
            tenant_id: Some(invoice.tenant_id),
            to,
            locale: &locale,
            branding: &branding,
            template: &crate::emails::InvoiceStamped {
                number: &number,
                total: &total,
                uuid,
            },
        },
        &attachments,
    )
    .await?;
    tx.enqueue_after_commit(job).await
}
