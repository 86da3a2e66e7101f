//! Proposals (quotes): gapless numbers per tenant and series, exact totals, a lifecycle
//! draft → sent → viewed → accepted | rejected | expired, and a public page where the
//! customer accepts or rejects without an account.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use tianguis_entity::crm::{companies, contacts, leads, proposal_items as items, proposals};
use uuid::Uuid;

use super::{Money, rules, search};
use crate::db::Current;
use crate::db::stamped;
use crate::db::{TenantTx, begin_system};
use crate::email;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::pricing::{self as quote, LineInput, Tax, Withholding};
use crate::secrets::{random_token, sha256_hex};
use crate::tenancy::tenants;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use items::Model as ProposalItem;
pub use proposals::Model as Proposal;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Draft = "draft",
        Sent = "sent",
        Viewed = "viewed",
        Accepted = "accepted",
        Rejected = "rejected",
        Expired = "expired",
    }
}

impl Status {
    /// Still waiting for the customer's answer.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Sent | Status::Viewed)
    }
}

/// What can happen to a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Edit,
    Send,
    View,
    Accept,
    Reject,
    Expire,
}

/// The lifecycle: the status after `action`, or why it cannot happen.
pub fn transition(from: Status, action: Action) -> std::result::Result<Status, String> {
    use Status::*;
    match (from, action) {
        (Draft, Action::Edit) => Ok(Draft),
        (Draft | Sent, Action::Send) => Ok(Sent),
        (Viewed, Action::Send) => Ok(Viewed),
        (Sent | Viewed, Action::View) => Ok(Viewed),
        (Sent | Viewed, Action::Accept) => Ok(Accepted),
        (Sent | Viewed, Action::Reject) => Ok(Rejected),
        (Sent | Viewed, Action::Expire) => Ok(Expired),
        (Draft, Action::Accept | Action::Reject) => {
            Err("a draft proposal must be sent before the customer can answer it".into())
        }
        (from, action) => Err(format!(
            "a proposal that is {} cannot be {}",
            from.key(),
            match action {
                Action::Edit => "edited",
                Action::Send => "sent",
                Action::View => "viewed",
                Action::Accept => "accepted",
                Action::Reject => "rejected",
                Action::Expire => "expired",
            }
        )),
    }
}

fn step(from: &str, action: Action) -> Result<Status> {
    transition(Status::from_stored(from)?, action).map_err(|message| Error::invalid("id", message))
}

#[derive(Clone, Debug)]
pub struct ItemInput {
    pub product_id: Option<Uuid>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount: Option<Decimal>,
    pub tax: Tax,
    pub withholdings: Vec<Withholding>,
}

#[derive(Clone, Debug, Default)]
pub struct ProposalInput {
    pub title: Option<String>,
    pub lead_id: Option<Option<Uuid>>,
    pub contact_id: Option<Option<Uuid>>,
    pub company_id: Option<Option<Uuid>>,
    pub currency: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
    pub items: Option<Vec<ItemInput>>,
}

const MAX_ITEMS: usize = 200;

fn series(raw: Option<&str>) -> Result<String> {
    let series = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("COT")
        .to_uppercase();
    if series.len() <= 10 && series.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(series)
    } else {
        Err(Error::invalid(
            "series",
            "series is 1 to 10 letters or digits, such as COT",
        ))
    }
}

struct Priced {
    rows: Vec<items::ActiveModel>,
    totals: quote::Totals,
}

fn price(
    tx: &TenantTx,
    proposal_id: Uuid,
    currency: &str,
    inputs: Vec<ItemInput>,
    now: DateTime<Utc>,
) -> Result<Priced> {
    if inputs.is_empty() || inputs.len() > MAX_ITEMS {
        return Err(Error::invalid(
            "items",
            format!("a proposal has 1 to {MAX_ITEMS} items"),
        ));
    }
    let mut rows = Vec::with_capacity(inputs.len());
    let mut lines = Vec::with_capacity(inputs.len());
    for (position, input) in inputs.into_iter().enumerate() {
        let description = required_text(&input.description, "description", 1000)?;
        let line = quote::line(
            &LineInput {
                quantity: input.quantity,
                unit_price: input.unit_price,
                discount: input.discount.unwrap_or_default(),
                tax: input.tax,
                withholdings: input.withholdings.clone(),
            },
            currency,
        )?;
        rows.push(stamped(
            now,
            items::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                proposal_id: Set(proposal_id),
                position: Set(position as i32),
                product_id: Set(input.product_id),
                description: Set(description),
                quantity: Set(quote::stored_decimal(input.quantity)),
                unit_price: Set(quote::stored_decimal(input.unit_price)),
                discount_minor: Set(line.discount),
                tax: Set(input.tax.key().to_owned()),
                withholdings: Set(quote::stored_withholdings(&input.withholdings)),
                amount_minor: Set(line.amount),
                tax_minor: Set(line.tax),
                withheld_minor: Set(line.withheld),
                ..Default::default()
            },
        ));
        lines.push(line);
    }
    Ok(Priced {
        totals: quote::totals(&lines),
        rows,
    })
}

/// Items that name a product name one of the business's catalog.
async fn check_products(tx: &TenantTx, items: &[ItemInput]) -> Result<()> {
    let ids: Vec<Uuid> = items.iter().filter_map(|i| i.product_id).collect();
    tx.check_references::<tianguis_entity::commerce::products::Entity>(&ids, "productId", "product")
        .await
}

/// Checks the references and fills the contact and company in from the lead.
async fn parties(
    tx: &TenantTx,
    model: &mut proposals::ActiveModel,
    input: &ProposalInput,
) -> Result<()> {
    if let Some(lead) = input.lead_id {
        if let Some(id) = lead {
            let lead = tx
                .get::<leads::Entity>(id, "lead")
                .await
                .map_err(|_| Error::invalid("leadId", "no such lead"))?;
            if input.contact_id.is_none() {
                model.contact_id = Set(lead.contact_id);
            }
            if input.company_id.is_none() {
                model.company_id = Set(lead.company_id);
            }
        }
        model.lead_id = Set(lead);
    }
    if let Some(contact) = input.contact_id {
        if let Some(id) = contact {
            let contact = tx
                .get::<contacts::Entity>(id, "contact")
                .await
                .map_err(|_| Error::invalid("contactId", "no such contact"))?;
            // A proposal for someone at a company is for the company too.
            if input.company_id.is_none() && model.company_id.current()?.is_none() {
                model.company_id = Set(contact.company_id);
            }
        }
        model.contact_id = Set(contact);
    }
    if let Some(company) = input.company_id {
        if let Some(id) = company {
            tx.get::<companies::Entity>(id, "company")
                .await
                .map_err(|_| Error::invalid("companyId", "no such company"))?;
        }
        model.company_id = Set(company);
    }
    if model.contact_id.current()?.is_none() && model.company_id.current()?.is_none() {
        return Err(Error::invalid(
            "contactId",
            "a proposal is for a contact, a company or both",
        ));
    }
    Ok(())
}

fn set_totals(model: &mut proposals::ActiveModel, totals: &quote::Totals) {
    model.subtotal_minor = Set(totals.subtotal);
    model.discount_minor = Set(totals.discount);
    model.tax_minor = Set(totals.tax);
    model.withheld_minor = Set(totals.withheld);
    model.total_minor = Set(totals.total);
}

fn event_data(p: &Proposal) -> serde_json::Value {
    serde_json::json!({
        "number": p.number,
        "title": p.title,
        "status": p.status,
        "leadId": p.lead_id,
        "contactId": p.contact_id,
        "companyId": p.company_id,
        "currency": p.currency,
        "total": Money::new(p.total_minor, &p.currency).amount().to_string(),
        "validUntil": p.valid_until,
    })
}

fn check_validity(valid_until: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if valid_until < today {
        Err(Error::invalid(
            "validUntil",
            "the validity date is in the past",
        ))
    } else {
        Ok(valid_until)
    }
}

/// Creates a draft with the next number of `series` (default `COT`): `COT-2026-0001`.
pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    input: ProposalInput,
    series_name: Option<String>,
) -> Result<Proposal> {
    ctx.require(Permission::CrmProposalsWrite)?;
    let title = required_text(input.title.as_deref().unwrap_or_default(), "title", 200)?;
    let series = series(series_name.as_deref())?;
    let now = deps.clock.now();
    let today = now.date_naive();
    let valid_until = check_validity(
        input
            .valid_until
            .unwrap_or(today + chrono::Duration::days(30)),
        today,
    )?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let region = super::tenant_region(&*tx, ctx.tenant_id).await?;
    let currency = match &input.currency {
        Some(c) => crate::rules::currency_code(c)?,
        None => region.currency.clone(),
    };
    let id = Uuid::now_v7();
    check_products(&tx, input.items.as_deref().unwrap_or_default()).await?;
    let priced = price(
        &tx,
        id,
        &currency,
        input.items.clone().unwrap_or_default(),
        now,
    )?;
    let mut model = proposals::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant_id),
        number: Set(String::new()),
        series: Set(series.clone()),
        title: Set(title),
        lead_id: Set(None),
        contact_id: Set(None),
        company_id: Set(None),
        currency: Set(currency),
        status: Set(Status::Draft.key().to_owned()),
        valid_until: Set(valid_until),
        notes: Set(rules::optional_text(input.notes.as_deref(), "notes", 5000)?.unwrap_or_default()),
        subtotal_minor: Set(0),
        discount_minor: Set(0),
        tax_minor: Set(0),
        withheld_minor: Set(0),
        total_minor: Set(0),
        public_token_hash: Set(None),
        recipient_email: Set(None),
        view_count: Set(0),
        sent_at: Set(None),
        first_viewed_at: Set(None),
        decided_at: Set(None),
        accepted_by: Set(None),
        rejection_reason: Set(None),
        checkout_id: Set(None),
        checkout_url: Set(None),
        payment_intent: Set(None),
        paid_at: Set(None),
        created_by: Set(ctx.actor_user()),
        ..Default::default()
    };
    parties(&tx, &mut model, &input).await?;
    set_totals(&mut model, &priced.totals);
    let year = today.year();
    let sequence = crate::numbering::next_number(&tx, &format!("{series}-{year}"), now).await?;
    model.number = Set(format!("{series}-{year}-{sequence:04}"));
    let proposal = tx.insert(model).await?;
    items::Entity::insert_many(priced.rows).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.proposal.created",
        ("proposal", Some(proposal.id)),
        event_data(&proposal),
    )
    .await?;
    tx.commit().await?;
    Ok(proposal)
}

/// Changes a draft. Items, when given, replace the old ones.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ProposalInput,
) -> Result<Proposal> {
    ctx.require(Permission::CrmProposalsWrite)?;
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(id, "proposal").await?;
    step(&current.status, Action::Edit)?;
    let mut model: proposals::ActiveModel = current.clone().into();
    if let Some(title) = &input.title {
        model.title = Set(required_text(title, "title", 200)?);
    }
    if let Some(valid_until) = input.valid_until {
        model.valid_until = Set(check_validity(valid_until, now.date_naive())?);
    }
    if input.notes.is_some() {
        model.notes =
            Set(rules::optional_text(input.notes.as_deref(), "notes", 5000)?.unwrap_or_default());
    }
    if let Some(currency) = &input.currency {
        if input.items.is_none() {
            return Err(Error::invalid(
                "currency",
                "give the items again when changing the currency",
            ));
        }
        model.currency = Set(crate::rules::currency_code(currency)?);
    }
    parties(&tx, &mut model, &input).await?;
    if let Some(new_items) = input.items {
        let currency = model.currency.current()?;
        check_products(&tx, &new_items).await?;
        let priced = price(&tx, id, &currency, new_items, now)?;
        items::Entity::delete_many()
            .filter(items::Column::TenantId.eq(ctx.tenant_id))
            .filter(items::Column::ProposalId.eq(id))
            .exec(&*tx)
            .await?;
        items::Entity::insert_many(priced.rows).exec(&*tx).await?;
        set_totals(&mut model, &priced.totals);
    }
    let proposal = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.proposal.updated",
        ("proposal", Some(proposal.id)),
        event_data(&proposal),
    )
    .await?;
    tx.commit().await?;
    Ok(proposal)
}

/// Emails the customer a link to the public page. Each send makes a new link (the old one
/// stops working), so a proposal forwarded by mistake can be re-sent safely.
pub async fn send(deps: &Deps, ctx: &TenantCtx, id: Uuid, to: Option<String>) -> Result<Proposal> {
    ctx.require(Permission::CrmProposalsWrite)?;
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(id, "proposal").await?;
    let status = step(&current.status, Action::Send)?;
    if current.valid_until < now.date_naive() {
        return Err(Error::invalid(
            "id",
            "the proposal's validity date has passed; change it first",
        ));
    }
    let contact_email = match current.contact_id {
        Some(contact) => tx.get::<contacts::Entity>(contact, "contact").await?.email,
        None => None,
    };
    let to = match to {
        Some(to) => rules::optional_email(Some(&to), "to")?,
        None => contact_email,
    }
    .ok_or_else(|| {
        Error::invalid(
            "to",
            "the contact has no email: say where to send the proposal",
        )
    })?;
    let token = random_token(32);
    let mut model: proposals::ActiveModel = current.into();
    model.status = Set(status.key().to_owned());
    model.public_token_hash = Set(Some(sha256_hex(&token)));
    model.recipient_email = Set(Some(to.clone()));
    model.sent_at = Set(Some(now));
    let proposal = tx.update(model).await?;

    let (branding, locale) = tenants::branding(&*tx, ctx.tenant_id).await?;
    let link = format!("{}/p/{token}", deps.mail.public_url.trim_end_matches('/'));
    let total = format!(
        "{} {}",
        Money::new(proposal.total_minor, &proposal.currency).amount(),
        proposal.currency
    );
    let (_, printed) = keep_pdf(deps, &mut tx, proposal.clone()).await?;
    let job = email::queue_with_attachments(
        &*tx,
        email::NewEmail {
            at: now,
            tenant_id: Some(ctx.tenant_id),
            to: &to,
            locale: &locale,
            branding: &branding,
            template: &crate::emails::ProposalSent {
                number: &proposal.number,
                title: &proposal.title,
                total: &total,
                valid_until: proposal.valid_until,
                link: &link,
            },
        },
        &[crate::ports::Attachment {
            filename: format!("{}.pdf", proposal.number),
            content_type: "application/pdf".into(),
            content: printed,
        }],
    )
    .await?;
    tx.enqueue_after_commit(job).await?;
    let mut data = event_data(&proposal);
    data["to"] = serde_json::json!(to);
    audit::record(
        &mut tx,
        ctx,
        "crm.proposal.sent",
        ("proposal", Some(proposal.id)),
        data,
    )
    .await?;
    tx.commit().await?;
    Ok(proposal)
}

/// Records the customer's answer, given to the tenant in person or on the public page.
async fn decide(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    current: Proposal,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<Proposal> {
    if current.valid_until < now.date_naive() && Status::from_stored(&current.status)?.is_open() {
        return Err(Error::invalid("id", "the proposal expired"));
    }
    let (action, event) = match answer {
        Answer::Accept { .. } => (Action::Accept, crate::events::PROPOSAL_ACCEPTED),
        Answer::Reject { .. } => (Action::Reject, "crm.proposal.rejected"),
    };
    let status = step(&current.status, action)?;
    let mut model: proposals::ActiveModel = current.into();
    model.status = Set(status.key().to_owned());
    model.decided_at = Set(Some(now));
    match answer {
        Answer::Accept { name } => {
            model.accepted_by = Set(Some(required_text(&name, "name", 200)?))
        }
        Answer::Reject { reason } => {
            model.rejection_reason = Set(rules::optional_text(reason.as_deref(), "reason", 1000)?)
        }
    }
    let proposal = tx.update(model).await?;
    let mut data = event_data(&proposal);
    data["acceptedBy"] = serde_json::json!(proposal.accepted_by);
    data["rejectionReason"] = serde_json::json!(proposal.rejection_reason);
    audit::record(tx, ctx, event, ("proposal", Some(proposal.id)), data).await?;
    Ok(proposal)
}

#[derive(Clone, Debug)]
pub enum Answer {
    /// Accepted, signed with the customer's name.
    Accept {
        name: String,
    },
    Reject {
        reason: Option<String>,
    },
}

/// Records an answer the customer gave the team (by phone, in person).
pub async fn record_answer(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    answer: Answer,
) -> Result<Proposal> {
    ctx.require(Permission::CrmProposalsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(id, "proposal").await?;
    let proposal = decide(&mut tx, ctx, current, answer, deps.clock.now()).await?;
    tx.commit().await?;
    Ok(proposal)
}

/// What the public page shows.
#[derive(Clone, Debug)]
pub struct PublicProposal {
    pub proposal: Proposal,
    pub status: Status,
    pub items: Vec<ProposalItem>,
    pub tenant: tenants::Tenant,
    pub customer_name: Option<String>,
}

/// The proposal a public link names, with its tenant. Tokens are compared by hash.
async fn by_token(deps: &Deps, token: &str) -> Result<Proposal> {
    // One indexed read, before a tenant is known: no transaction needed around it.
    proposals::Entity::find()
        .filter(proposals::Column::PublicTokenHash.eq(sha256_hex(token)))
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("proposal"))
}

/// Opens the public page: counts the view, marks a sent proposal viewed (emitting
/// `crm.proposal.viewed` the first time) and expires one past its validity.
pub async fn open_public(deps: &Deps, token: &str) -> Result<PublicProposal> {
    let found = by_token(deps, token).await?;
    let ctx = TenantCtx::system(found.tenant_id);
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, found.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(found.id, "proposal").await?;
    let status = Status::from_stored(&current.status)?;
    let mut model: proposals::ActiveModel = current.clone().into();
    model.view_count = Set(current.view_count + 1);
    let mut event = None;
    if status.is_open() && current.valid_until < now.date_naive() {
        model.status = Set(Status::Expired.key().to_owned());
        model.decided_at = Set(Some(now));
        event = Some("crm.proposal.expired");
    } else if status == Status::Sent {
        model.status = Set(Status::Viewed.key().to_owned());
        model.first_viewed_at = Set(Some(now));
        event = Some("crm.proposal.viewed");
    }
    let proposal = model.update(&*tx).await?;
    if let Some(event) = event {
        audit::record(
            &mut tx,
            &ctx,
            event,
            ("proposal", Some(proposal.id)),
            event_data(&proposal),
        )
        .await?;
    }
    let page = public_page(&tx, proposal).await?;
    tx.commit().await?;
    Ok(page)
}

async fn public_page(tx: &TenantTx, proposal: Proposal) -> Result<PublicProposal> {
    let lines = tx
        .select::<items::Entity>()
        .filter(items::Column::ProposalId.eq(proposal.id))
        .order_by_asc(items::Column::Position)
        .all(&**tx)
        .await?;
    let tenant = tianguis_entity::tenancy::tenants::Entity::find_by_id(proposal.tenant_id)
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let company = match proposal.company_id {
        Some(id) => tx
            .get::<companies::Entity>(id, "company")
            .await
            .ok()
            .map(|c| c.name),
        None => None,
    };
    let person = match proposal.contact_id {
        Some(id) => tx
            .get::<contacts::Entity>(id, "contact")
            .await
            .ok()
            .map(|c| {
                format!("{} {}", c.first_name, c.last_name)
                    .trim()
                    .to_owned()
            }),
        None => None,
    };
    let customer_name = match (company, person) {
        (Some(company), Some(person)) => Some(format!("{company} — {person}")),
        (company, person) => company.or(person),
    };
    Ok(PublicProposal {
        status: Status::from_stored(&proposal.status)?,
        proposal,
        items: lines,
        tenant: tenant.into(),
        customer_name,
    })
}

/// The customer's answer from the public page. Answering twice is refused, so a double
/// click cannot flip an acceptance.
pub async fn answer_public(deps: &Deps, token: &str, answer: Answer) -> Result<PublicProposal> {
    let found = by_token(deps, token).await?;
    let ctx = TenantCtx::system(found.tenant_id);
    let mut tx = TenantTx::begin(deps, found.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(found.id, "proposal").await?;
    let proposal = decide(&mut tx, &ctx, current, answer, deps.clock.now()).await?;
    let page = public_page(&tx, proposal).await?;
    tx.commit().await?;
    Ok(page)
}

/// Expires every sent or viewed proposal whose validity date has passed, in every tenant.
/// Run by the daily maintenance job; safe to run twice.
pub async fn expire_overdue(deps: &Deps) -> Result<usize> {
    let now = deps.clock.now();
    let today = now.date_naive();
    let system = begin_system(&deps.db).await?;
    let overdue = proposals::Entity::find()
        .filter(proposals::Column::Status.is_in([Status::Sent.key(), Status::Viewed.key()]))
        .filter(proposals::Column::ValidUntil.lt(today))
        .all(&system)
        .await?;
    system.commit().await?;
    let mut by_tenant: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for p in &overdue {
        by_tenant.entry(p.tenant_id).or_default().push(p.id);
    }
    let mut expired = 0;
    for (tenant_id, ids) in by_tenant {
        let ctx = TenantCtx::system(tenant_id);
        let mut tx = TenantTx::begin(deps, tenant_id).await?;
        for id in ids {
            let current = tx.get::<proposals::Entity>(id, "proposal").await?;
            // Answered in the meantime: nothing to expire.
            let Ok(status) = step(&current.status, Action::Expire) else {
                continue;
            };
            let mut model: proposals::ActiveModel = current.into();
            model.status = Set(status.key().to_owned());
            model.decided_at = Set(Some(now));
            let proposal = tx.update(model).await?;
            audit::record(
                &mut tx,
                &ctx,
                "crm.proposal.expired",
                ("proposal", Some(proposal.id)),
                event_data(&proposal),
            )
            .await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    Ok(expired)
}

/// The proposal as a letter-size PDF: the business, the customer, the items, the totals
/// and the notes, as the customer's page shows them.
fn printed(page: &PublicProposal) -> Vec<u8> {
    use tianguis_documents::pdf::{Column, Document, PageSize, money};
    let proposal = &page.proposal;
    let currency = proposal.currency.as_str();
    let amount = |minor: i64| money(Money::new(minor, currency).amount(), currency);
    let title = format!("Cotización {}", proposal.number);
    let mut doc = Document::new(PageSize::Letter, &title);
    doc.title(&title);
    doc.strong(&page.tenant.name);
    doc.space(6.0);
    let created = proposal
        .created_at
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let valid = proposal.valid_until.format("%Y-%m-%d").to_string();
    doc.fields(&[
        ("Asunto", proposal.title.as_str()),
        ("Cliente", page.customer_name.as_deref().unwrap_or_default()),
        ("Fecha", &created),
        ("Válida hasta", &valid),
    ]);
    doc.heading("Conceptos");
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|item| {
            vec![
                item.description.clone(),
                item.quantity.clone(),
                money(&item.unit_price, ""),
                if item.discount_minor == 0 {
                    String::new()
                } else {
                    money(Money::new(item.discount_minor, currency).amount(), "")
                },
                money(Money::new(item.amount_minor, currency).amount(), ""),
            ]
        })
        .collect();
    doc.table(
        &[
            Column::left("Descripción", 4.0),
            Column::right("Cantidad", 1.0),
            Column::right("Precio unitario", 1.5),
            Column::right("Descuento", 1.2),
            Column::right("Importe", 1.5),
        ],
        &rows,
    );
    let (subtotal, discount, tax, withheld, total) = (
        amount(proposal.subtotal_minor),
        amount(proposal.discount_minor),
        amount(proposal.tax_minor),
        amount(proposal.withheld_minor),
        amount(proposal.total_minor),
    );
    let mut totals = vec![("Subtotal", subtotal.as_str())];
    if proposal.discount_minor != 0 {
        totals.push(("Descuento", &discount));
    }
    totals.push(("Impuestos", &tax));
    if proposal.withheld_minor != 0 {
        totals.push(("Retenciones", &withheld));
    }
    totals.push(("Total", &total));
    doc.totals(&totals);
    if !proposal.notes.trim().is_empty() {
        doc.heading("Notas");
        doc.text(&proposal.notes);
    }
    doc.finish()
}

/// Keeps the proposal's PDF among its files; the bytes are handed back for an email.
async fn keep_pdf(
    deps: &Deps,
    tx: &mut TenantTx,
    proposal: Proposal,
) -> Result<(tianguis_documents::files::File, Vec<u8>)> {
    use tianguis_documents::files;
    let page = public_page(tx, proposal).await?;
    let document = files::Generated {
        folder_kind: files::FolderKind::Proposal,
        folder_id: page.proposal.id,
        name: format!("Cotización {}.pdf", page.proposal.number),
        content_type: "application/pdf",
        bytes: printed(&page),
    };
    let file = files::keep_generated(deps, tx, &document).await?;
    Ok((file, document.bytes))
}

/// The proposal's PDF as it stands, kept among its files.
pub async fn pdf(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<tianguis_documents::files::Printed> {
    ctx.require(Permission::CrmLeadsRead)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let proposal = tx.get::<proposals::Entity>(id, "proposal").await?;
    let (file, _) = keep_pdf(deps, &mut tx, proposal).await?;
    tx.commit().await?;
    Ok(tianguis_documents::files::printed(deps, ctx, file))
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Proposal> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let proposal = tx.get::<proposals::Entity>(id, "proposal").await?;
    tx.commit().await?;
    Ok(proposal)
}

/// Each proposal's items in order: one statement per batch.
pub async fn items_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ProposalItem>>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<items::Entity>()
        .filter(items::Column::ProposalId.is_in(ids.iter().copied()))
        .order_by_asc(items::Column::Position)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(super::group_by(found, |i| Some(i.proposal_id)))
}

#[derive(Clone, Debug, Default)]
pub struct ProposalFilter {
    pub statuses: Vec<Status>,
    pub lead_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// Number or title.
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub valid_before: Option<NaiveDate>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: ProposalFilter,
    direction: SortDirection,
    page: &PageRequest,
) -> Result<Page<Proposal>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut select = tx.select::<proposals::Entity>();
    if !filter.statuses.is_empty() {
        select =
            select.filter(proposals::Column::Status.is_in(filter.statuses.iter().map(|s| s.key())));
    }
    if let Some(id) = filter.lead_id {
        select = select.filter(proposals::Column::LeadId.eq(id));
    }
    if let Some(id) = filter.contact_id {
        select = select.filter(proposals::Column::ContactId.eq(id));
    }
    if let Some(id) = filter.company_id {
        select = select.filter(proposals::Column::CompanyId.eq(id));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = search::contains_pattern(text);
        select = select.filter(
            sea_orm::Condition::any()
                .add(search::like_sql(
                    backend,
                    "lower(proposals.number)",
                    &pattern,
                ))
                .add(search::like_sql(
                    backend,
                    "lower(proposals.title)",
                    &pattern,
                )),
        );
    }
    if let Some(after) = filter.created_after {
        select = select.filter(proposals::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(proposals::Column::CreatedAt.lt(before));
    }
    if let Some(before) = filter.valid_before {
        select = select.filter(proposals::Column::ValidUntil.lt(before));
    }
    let page = paginate(&*tx, select, proposals::Column::Id, direction, page).await?;
    tx.commit().await?;
    Ok(page)
}

/// Proposals of each lead, newest first: one statement per batch.
pub async fn of_leads(
    deps: &Deps,
    ctx: &TenantCtx,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Proposal>>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<proposals::Entity>()
        .filter(proposals::Column::LeadId.is_in(lead_ids.iter().copied()))
        .order_by_desc(proposals::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(super::group_by(found, |p| p.lead_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_allows_only_legal_transitions() {
        use Status::*;
        assert_eq!(transition(Draft, Action::Send), Ok(Sent));
        assert_eq!(transition(Sent, Action::View), Ok(Viewed));
        assert_eq!(transition(Viewed, Action::Send), Ok(Viewed));
        assert_eq!(transition(Viewed, Action::Accept), Ok(Accepted));
        assert_eq!(transition(Sent, Action::Reject), Ok(Rejected));
        assert_eq!(transition(Sent, Action::Expire), Ok(Expired));
        for (from, action) in [
            (Draft, Action::Accept),
            (Draft, Action::Expire),
            (Accepted, Action::Reject),
            (Rejected, Action::Accept),
            (Expired, Action::Accept),
            (Sent, Action::Edit),
            (Accepted, Action::Send),
        ] {
            assert!(transition(from, action).is_err(), "{from:?} {action:?}");
        }
    }
}
