//! Card payments through Stripe: a Checkout page for an invoice's balance, and Stripe's
//! webhook events applied once each.
//!
//! Events are verified against the endpoint's signing secret on the raw body (Stripe's
//! `Stripe-Signature` scheme: HMAC-SHA256 of `{timestamp}.{body}`, within a tolerance
//! window), routed to their business by the metadata this service put on the payment, and
//! recorded by id in the same transaction as their effect: a replay finds the id and
//! changes nothing. Effects do not depend on arrival order: a payment reported by two
//! events is recorded once, a failure reported after a success changes nothing, and a
//! refund reported before its payment is refused so that Stripe delivers it again later.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::Sha256;
use tianguis_entity::billing::{invoices, payments as payment_rows, stripe_events};
use tianguis_entity::crm::proposals;
use uuid::Uuid;

use super::invoices::{Invoice, Status};
use super::payments::{self, Payment, PaymentInput, Source};
use super::subscription;
use crate::db::TenantTx;
use crate::db::stamped;
use crate::ports::{CheckoutRequest, Purchase};
use crate::rules::from_minor;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, commerce, plans, scheduling};

/// How old a signed event may be: Stripe's own libraries default to five minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct StripeSettings {
    /// The webhook endpoint's signing secret (`whsec_…`); events are refused without it.
    pub webhook_secret: Option<String>,
    pub tolerance: Duration,
    /// The Stripe price of each plan sold by subscription.
    pub prices: Vec<(crate::plans::Plan, String)>,
}

impl Default for StripeSettings {
    fn default() -> Self {
        Self {
            webhook_secret: None,
            tolerance: DEFAULT_TOLERANCE,
            prices: Vec::new(),
        }
    }
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) over the raw body.
pub fn verify_signature(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<()> {
    let refused = |message: &str| Error::unauthenticated("bad_signature", message);
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| refused("the signature has no timestamp"))?;
    let age = (now.timestamp() - timestamp).unsigned_abs();
    if age > tolerance.as_secs() {
        return Err(Error::unauthenticated(
            "stale_signature",
            "the event was signed outside the tolerance window",
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| anyhow::anyhow!("the Stripe signing secret"))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let expected = mac.finalize().into_bytes();
    // Any v1 may match (Stripe sends one per active secret while one is being rolled);
    // each comparison takes the same time whatever the bytes.
    if signatures.iter().any(|s| constant_eq(s, &expected)) {
        Ok(())
    } else {
        Err(refused("the signature does not match the body"))
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A Checkout page for the invoice's balance; asked again for the same balance, the same
/// page.
pub async fn checkout_link(deps: &Deps, ctx: &TenantCtx, invoice_id: Uuid) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invoice = tx.get::<invoices::Entity>(invoice_id, "invoice").await?;
    tx.commit().await?;
    if Status::from_stored(&invoice.status)? != Status::Stamped {
        return Err(Error::conflict(
            "invoiceId",
            format!(
                "only a stamped invoice is paid online; this one is {}",
                invoice.status
            ),
        ));
    }
    let balance = invoice.total_minor - invoice.paid_minor;
    if balance <= 0 {
        return Err(Error::conflict("invoiceId", "the invoice is paid"));
    }
    if invoice.checkout_url.is_some() && invoice.checkout_amount_minor == Some(balance) {
        return Ok(invoice);
    }
    let Some(gateway) = &deps.payment_gateway else {
        return Err(Error::conflict(
            "invoiceId",
            "card payments are not set up on this service",
        ));
    };
    let number = format!("{}-{}", invoice.series, invoice.folio);
    let app = deps.mail.app_url.trim_end_matches('/');
    let link = gateway
        .checkout(&CheckoutRequest {
            purchase: Purchase::Once {
                description: format!("Factura {number}"),
                amount: balance,
                currency: invoice.currency.clone(),
            },
            customer_email: invoice.receiver_email.clone(),
            success_url: format!("{app}/invoices/{invoice_id}?payment=done"),
            cancel_url: format!("{app}/invoices/{invoice_id}"),
            metadata: vec![
                ("tenant_id".into(), ctx.tenant_id.to_string()),
                ("invoice_id".into(), invoice_id.to_string()),
            ],
            idempotency_key: format!("checkout-{invoice_id}-{}", invoice.paid_minor),
        })
        .await
        .map_err(|e| e.context("creating a Stripe Checkout Session"))?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<invoices::Entity>(invoice_id, "invoice").await?;
    let mut model: invoices::ActiveModel = current.into();
    model.checkout_id = Set(Some(link.id.clone()));
    model.checkout_url = Set(Some(link.url));
    model.checkout_amount_minor = Set(Some(balance));
    let invoice = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "billing.invoice.checkout_created",
        ("invoice", Some(invoice_id)),
        serde_json::json!({ "checkoutId": link.id, "amount": from_minor(balance, &invoice.currency).to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(invoice)
}

/// What became of a delivered event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Its id was applied before.
    Replayed,
    /// Not about a payment of this service's.
    Ignored,
}

pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) object: Value,
}

fn parse_event(payload: &[u8]) -> Result<Event> {
    let malformed = || Error::invalid("body", "not a Stripe event");
    let value: Value = serde_json::from_slice(payload).map_err(|_| malformed())?;
    Ok(Event {
        id: value["id"].as_str().ok_or_else(malformed)?.to_owned(),
        kind: value["type"].as_str().ok_or_else(malformed)?.to_owned(),
        created: value["created"]
            .as_i64()
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or_else(malformed)?,
        object: value["data"]["object"].clone(),
    })
}

pub(crate) fn metadata_id(object: &Value, key: &str) -> Option<Uuid> {
    object["metadata"][key]
        .as_str()
        .and_then(|v| v.parse().ok())
}

/// Verifies and applies one delivery of `/webhooks/stripe`.
pub async fn receive(deps: &Deps, payload: &[u8], signature: Option<&str>) -> Result<Applied> {
    let Some(secret) = deps.settings::<StripeSettings>()?.webhook_secret.as_deref() else {
        return Err(Error::unauthenticated(
            "not_configured",
            "Stripe webhooks are not set up on this service",
        ));
    };
    let signature = signature.ok_or_else(|| {
        Error::unauthenticated("bad_signature", "the Stripe-Signature header is missing")
    })?;
    verify_signature(
        signature,
        payload,
        secret,
        deps.clock.now(),
        deps.settings::<StripeSettings>()?.tolerance,
    )?;
    let event = parse_event(payload)?;
    let Some(tenant_id) = metadata_id(&event.object, "tenant_id") else {
        return Ok(Applied::Ignored);
    };
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    // The metadata names an invoice of that business, or the business's own plan; anything
    // else is not ours to apply.
    let subject = if event.kind.starts_with("customer.subscription.")
        || event.object["mode"] == "subscription"
    {
        match plans::current(&tx).await {
            Ok(_) => Subject::Plan,
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else if let Some(invoice_id) = metadata_id(&event.object, "invoice_id") {
        match tx.get::<invoices::Entity>(invoice_id, "invoice").await {
            Ok(invoice) => Subject::Invoice(Box::new(invoice)),
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else if let Some(card_id) = metadata_id(&event.object, "prepaid_card_id") {
        match commerce::prepaid::get_in(&tx, card_id).await {
            Ok(card) => Subject::PrepaidCard(Box::new(card)),
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else if let Some(order_id) = metadata_id(&event.object, "sales_order_id") {
        match commerce::orders::get_in(&tx, order_id).await {
            Ok(order) => Subject::SalesOrder(Box::new(order)),
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else if let Some(event_id) = metadata_id(&event.object, "event_id") {
        match scheduling::events::get_in(&tx, event_id).await {
            Ok(booked) => Subject::Event(Box::new(booked)),
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else if let Some(proposal_id) = metadata_id(&event.object, "proposal_id") {
        match tx.get::<proposals::Entity>(proposal_id, "proposal").await {
            Ok(proposal) => Subject::Proposal(Box::new(proposal)),
            Err(Error::NotFound(_)) => return Ok(Applied::Ignored),
            Err(other) => return Err(other),
        }
    } else {
        return Ok(Applied::Ignored);
    };
    let inserted = stripe_events::Entity::insert(stamped(
        tx.now(),
        stripe_events::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            event_id: Set(event.id.clone()),
            event_type: Set(event.kind.clone()),
            event_created_at: Set(event.created),
            ..Default::default()
        },
    ))
    .on_conflict(
        OnConflict::columns([
            stripe_events::Column::TenantId,
            stripe_events::Column::EventId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    if inserted == 0 {
        return Ok(Applied::Replayed);
    }
    let ctx = TenantCtx::system(tenant_id);
    let object = &event.object;
    let paid = paid_report(&event.kind, object);
    match (subject, paid) {
        (Subject::Plan, _) => subscription::apply(&mut tx, deps, &ctx, &event).await?,
        (Subject::Invoice(invoice), Some(reported)) => {
            received(&mut tx, deps, &ctx, &invoice, &event, reported).await?;
        }
        (Subject::Invoice(invoice), None) => match event.kind.as_str() {
            "payment_intent.payment_failed" => failed(&mut tx, &ctx, &invoice, &event).await?,
            "charge.refunded" => refunded(&mut tx, &ctx, &event).await?,
            _ => {}
        },
        (Subject::Proposal(proposal), Some(reported)) => {
            proposal_paid(&mut tx, &ctx, *proposal, &event, reported).await?;
        }
        (Subject::SalesOrder(order), Some(r)) => {
            commerce::orders::paid_online(
                &mut tx,
                &ctx,
                *order,
                r.payment_intent,
                r.amount,
                r.currency,
            )
            .await?;
        }
        (Subject::Event(booked), Some(r)) => {
            scheduling::events::paid_online(
                &mut tx,
                &ctx,
                *booked,
                r.payment_intent,
                r.amount,
                r.currency,
            )
            .await?;
        }
        (Subject::PrepaidCard(card), Some(r)) => {
            commerce::prepaid::paid_online(
                &mut tx,
                &ctx,
                *card,
                r.payment_intent,
                r.amount,
                r.currency,
            )
            .await?;
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(Applied::Applied)
}

/// What an event is about.
enum Subject {
    Invoice(Box<Invoice>),
    SalesOrder(Box<commerce::orders::SalesOrder>),
    PrepaidCard(Box<commerce::prepaid::Card>),
    Proposal(Box<proposals::Model>),
    Event(Box<scheduling::events::Event>),
    Plan,
}

/// A payment an event reports as received.
struct Reported<'a> {
    payment_intent: &'a str,
    amount: i64,
    currency: &'a str,
}

/// The payment a completed Checkout Session or a succeeded PaymentIntent reports; none for
/// any other event.
fn paid_report<'a>(kind: &str, object: &'a Value) -> Option<Reported<'a>> {
    let (intent, amount) = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if object["payment_status"] == "paid" =>
        {
            ("payment_intent", "amount_total")
        }
        "payment_intent.succeeded" => ("id", "amount_received"),
        _ => return None,
    };
    Some(Reported {
        payment_intent: object[intent].as_str()?,
        amount: object[amount].as_i64()?,
        currency: object["currency"].as_str()?,
    })
}

async fn payment_of(tx: &TenantTx, payment_intent: &str) -> Result<Option<Payment>> {
    Ok(tx
        .select::<payment_rows::Entity>()
        .filter(payment_rows::Column::ExternalId.eq(payment_intent))
        .one(&**tx)
        .await?)
}

/// A payment Stripe received: recorded once, whichever of its events comes first. Money
/// that cannot be applied (the invoice was paid meanwhile, another currency) is reported
/// for a person to settle rather than lost.
async fn received(
    tx: &mut TenantTx,
    deps: &Deps,
    ctx: &TenantCtx,
    invoice: &Invoice,
    event: &Event,
    reported: Reported<'_>,
) -> Result<()> {
    let (payment_intent, amount, currency) =
        (reported.payment_intent, reported.amount, reported.currency);
    if payment_of(tx, payment_intent).await?.is_some() {
        return Ok(());
    }
    let invoice_id = invoice.id;
    let currency = currency.to_uppercase();
    let problem = if currency != invoice.currency {
        Some(format!(
            "paid in {currency}, invoiced in {}",
            invoice.currency
        ))
    } else {
        let input = PaymentInput {
            amount: from_minor(amount, &currency),
            paid_at: Some(std::cmp::min(event.created, tx.now())),
            payment_form: CARD.into(),
            reference: Some(payment_intent.to_owned()),
            exchange_rate: None,
        };
        let source = Source::Stripe(payment_intent.to_owned());
        match payments::record_in(tx, deps, ctx, invoice_id, input, source).await {
            Ok(_) => None,
            Err(Error::Invalid { message, .. } | Error::Conflict { message, .. }) => Some(message),
            Err(other) => return Err(other),
        }
    };
    if let Some(problem) = problem {
        audit::record(
            tx,
            ctx,
            "billing.payment.unapplied",
            ("invoice", Some(invoice_id)),
            serde_json::json!({
                "paymentIntent": payment_intent,
                "amount": from_minor(amount, &currency).to_string(),
                "currency": currency,
                "reason": problem,
            }),
        )
        .await?;
    }
    Ok(())
}

/// A failed attempt: news for the team, unless the payment has succeeded since.
async fn failed(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    invoice: &Invoice,
    event: &Event,
) -> Result<()> {
    let object = &event.object;
    let Some(payment_intent) = object["id"].as_str() else {
        return Ok(());
    };
    if payment_of(tx, payment_intent).await?.is_some() {
        return Ok(());
    }
    audit::record(
        tx,
        ctx,
        "billing.payment.failed",
        ("invoice", Some(invoice.id)),
        serde_json::json!({
            "paymentIntent": payment_intent,
            "reason": object["last_payment_error"]["message"].as_str(),
        }),
    )
    .await
}

/// A refund: the charge's refunded total, so refunds arriving in any order settle on the
/// largest; the invoice's balance grows back by what is new.
async fn refunded(tx: &mut TenantTx, ctx: &TenantCtx, event: &Event) -> Result<()> {
    let object = &event.object;
    let (Some(payment_intent), Some(refunded)) = (
        object["payment_intent"].as_str(),
        object["amount_refunded"].as_i64(),
    ) else {
        return Ok(());
    };
    let Some(payment) = payment_of(tx, payment_intent).await? else {
        return Err(Error::conflict(
            "body",
            "the refunded payment has not arrived yet; deliver again later",
        ));
    };
    let refunded = std::cmp::min(refunded, payment.amount_minor);
    let more = refunded - payment.refunded_minor;
    if more <= 0 {
        return Ok(());
    }
    invoices::Entity::update_many()
        .col_expr(
            invoices::Column::PaidMinor,
            Expr::col(invoices::Column::PaidMinor).sub(more),
        )
        .filter(invoices::Column::TenantId.eq(ctx.tenant_id))
        .filter(invoices::Column::Id.eq(payment.invoice_id))
        .exec(&**tx)
        .await?;
    let invoice = tx
        .get::<invoices::Entity>(payment.invoice_id, "invoice")
        .await?;
    super::installments::settle(tx, invoice.id, invoice.paid_minor).await?;
    let currency = payment.currency.clone();
    let (payment_id, invoice_id) = (payment.id, payment.invoice_id);
    let mut model: payment_rows::ActiveModel = payment.into();
    model.refunded_minor = Set(refunded);
    tx.update(model).await?;
    audit::record(
        tx,
        ctx,
        "billing.payment.refunded",
        ("payment", Some(payment_id)),
        serde_json::json!({
            "invoiceId": invoice_id,
            "refunded": from_minor(refunded, &currency).to_string(),
            "currency": currency,
        }),
    )
    .await
}

/// A Checkout page for an accepted proposal's total, so the customer pays as they accept.
pub async fn proposal_checkout_link(
    deps: &Deps,
    ctx: &TenantCtx,
    proposal_id: Uuid,
) -> Result<proposals::Model> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let proposal = tx.get::<proposals::Entity>(proposal_id, "proposal").await?;
    tx.commit().await?;
    if proposal.status != "accepted" {
        return Err(Error::conflict(
            "proposalId",
            format!(
                "an accepted proposal is paid online; this one is {}",
                proposal.status
            ),
        ));
    }
    if proposal.paid_at.is_some() {
        return Err(Error::conflict("proposalId", "the proposal is paid"));
    }
    if proposal.checkout_url.is_some() {
        return Ok(proposal);
    }
    let Some(gateway) = &deps.payment_gateway else {
        return Err(Error::conflict(
            "proposalId",
            "card payments are not set up on this service",
        ));
    };
    let app = deps.mail.app_url.trim_end_matches('/');
    let link = gateway
        .checkout(&CheckoutRequest {
            purchase: Purchase::Once {
                description: format!("Cotización {}", proposal.number),
                amount: proposal.total_minor,
                currency: proposal.currency.clone(),
            },
            customer_email: proposal.recipient_email.clone(),
            success_url: format!("{app}/proposals/{proposal_id}?payment=done"),
            cancel_url: format!("{app}/proposals/{proposal_id}"),
            metadata: vec![
                ("tenant_id".into(), ctx.tenant_id.to_string()),
                ("proposal_id".into(), proposal_id.to_string()),
            ],
            idempotency_key: format!("checkout-proposal-{proposal_id}"),
        })
        .await
        .map_err(|e| e.context("creating a Stripe Checkout Session"))?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<proposals::Entity>(proposal_id, "proposal").await?;
    let mut model: proposals::ActiveModel = current.into();
    model.checkout_id = Set(Some(link.id.clone()));
    model.checkout_url = Set(Some(link.url));
    let proposal = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.proposal.checkout_created",
        ("proposal", Some(proposal_id)),
        serde_json::json!({ "checkoutId": link.id }),
    )
    .await?;
    tx.commit().await?;
    Ok(proposal)
}

/// A proposal paid by card: remembered on the proposal once, its draft invoice becomes
/// paid in one go (PUE, card), and the payment is recorded on the invoice when it is
/// stamped ([`record_proposal_payment`]).
async fn proposal_paid(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    proposal: proposals::Model,
    event: &Event,
    reported: Reported<'_>,
) -> Result<()> {
    let (payment_intent, amount, currency) =
        (reported.payment_intent, reported.amount, reported.currency);
    if proposal.payment_intent.is_some() {
        return Ok(());
    }
    let proposal_id = proposal.id;
    if currency.to_uppercase() != proposal.currency || amount != proposal.total_minor {
        return audit::record(
            tx,
            ctx,
            "billing.payment.unapplied",
            ("proposal", Some(proposal_id)),
            serde_json::json!({
                "paymentIntent": payment_intent,
                "amount": from_minor(amount, &proposal.currency).to_string(),
                "currency": currency.to_uppercase(),
                "reason": "the amount paid is not the proposal's total",
            }),
        )
        .await;
    }
    let mut model: proposals::ActiveModel = proposal.into();
    model.payment_intent = Set(Some(payment_intent.to_owned()));
    model.paid_at = Set(Some(std::cmp::min(event.created, tx.now())));
    tx.update(model).await?;
    let drafted = tx
        .select::<invoices::Entity>()
        .filter(invoices::Column::ProposalId.eq(proposal_id))
        .one(&**tx)
        .await?;
    let editable = match &drafted {
        Some(invoice) => Status::from_stored(&invoice.status)?.editable(),
        None => false,
    };
    if let Some(invoice) = drafted.filter(|_| editable) {
        let mut model: invoices::ActiveModel = invoice.into();
        model.payment_method = Set("PUE".into());
        model.payment_form = Set(CARD.into());
        tx.update(model).await?;
    }
    audit::record(
        tx,
        ctx,
        "crm.proposal.paid",
        ("proposal", Some(proposal_id)),
        serde_json::json!({
            "paymentIntent": payment_intent,
            "amount": from_minor(amount, &currency.to_uppercase()).to_string(),
        }),
    )
    .await
}

/// c_FormaPago of a card payment through Stripe (credit unless told otherwise).
pub const CARD: &str = "04";

/// Once the invoice of a proposal paid by card is stamped, the payment is recorded on it.
pub(crate) async fn record_proposal_payment(
    tx: &mut TenantTx,
    deps: &Deps,
    ctx: &TenantCtx,
    invoice: &Invoice,
) -> Result<()> {
    let Some(proposal_id) = invoice.proposal_id else {
        return Ok(());
    };
    let proposal = tx.get::<proposals::Entity>(proposal_id, "proposal").await?;
    let (Some(payment_intent), Some(paid_at)) = (proposal.payment_intent, proposal.paid_at) else {
        return Ok(());
    };
    if payment_of(tx, &payment_intent).await?.is_some() {
        return Ok(());
    }
    let balance = invoice.total_minor - invoice.paid_minor;
    let input = PaymentInput {
        amount: from_minor(
            std::cmp::min(proposal.total_minor, balance),
            &invoice.currency,
        ),
        paid_at: Some(paid_at),
        payment_form: CARD.into(),
        reference: Some(payment_intent.clone()),
        exchange_rate: None,
    };
    payments::record_in(
        tx,
        deps,
        ctx,
        invoice.id,
        input,
        Source::Stripe(payment_intent),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(payload: &str, secret: &str, t: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.{payload}").as_bytes());
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).expect("time")
    }

    #[test]
    fn a_signature_over_the_body_within_the_window_is_accepted() {
        let body = r#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_a", 1_800_000_000);
        verify_signature(
            &header,
            body.as_bytes(),
            "whsec_a",
            at(1_800_000_100),
            DEFAULT_TOLERANCE,
        )
        .expect("valid");
        // Another v1 (a rolled secret) next to the right one is fine.
        let both = format!("{header},v1={}", "00".repeat(32));
        verify_signature(
            &both,
            body.as_bytes(),
            "whsec_a",
            at(1_800_000_000),
            DEFAULT_TOLERANCE,
        )
        .expect("valid");
    }

    #[test]
    fn a_changed_body_another_secret_or_an_old_timestamp_is_refused() {
        let body = r#"{"id":"evt_1","amount":100}"#;
        let header = sign(body, "whsec_a", 1_800_000_000);
        let reason = |r: Result<()>| match r {
            Err(Error::Unauthenticated { reason, .. }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let now = at(1_800_000_000);
        assert_eq!(
            reason(verify_signature(
                &header,
                br#"{"id":"evt_1","amount":1}"#,
                "whsec_a",
                now,
                DEFAULT_TOLERANCE
            )),
            "bad_signature"
        );
        assert_eq!(
            reason(verify_signature(
                &header,
                body.as_bytes(),
                "whsec_b",
                now,
                DEFAULT_TOLERANCE
            )),
            "bad_signature"
        );
        assert_eq!(
            reason(verify_signature(
                &header,
                body.as_bytes(),
                "whsec_a",
                at(1_800_000_301),
                DEFAULT_TOLERANCE
            )),
            "stale_signature"
        );
        assert_eq!(
            reason(verify_signature(
                "v1=abc",
                body.as_bytes(),
                "whsec_a",
                now,
                DEFAULT_TOLERANCE
            )),
            "bad_signature"
        );
    }
}
