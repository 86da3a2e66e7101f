//! Paying online: a Stripe Checkout page for one payment, whose report billing's webhook
//! hands back to the order or card it names.

use tianguis_kernel::ports::{CheckoutLink, CheckoutRequest, Purchase};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::{Deps, Error, Result, TenantCtx};

/// What a Checkout page sells and for what.
pub(crate) struct Page<'a> {
    /// The metadata key naming what is paid (`sales_order_id`, `prepaid_card_id`) and its id.
    pub subject: (&'static str, Uuid),
    /// The app's page for it, where Stripe sends the customer back.
    pub return_path: String,
    pub description: String,
    pub amount: i64,
    pub currency: &'a str,
    pub customer_email: Option<String>,
    /// The same key asks Stripe for the same page again.
    pub idempotency_key: String,
}

/// A contact's email, to prefill the page with.
pub(crate) async fn email_of(tx: &TenantTx, contact: Option<Uuid>) -> Result<Option<String>> {
    Ok(match contact {
        Some(id) => {
            tx.get::<tianguis_entity::crm::contacts::Entity>(id, "contact")
                .await?
                .email
        }
        None => None,
    })
}

pub(crate) async fn checkout(deps: &Deps, ctx: &TenantCtx, page: Page<'_>) -> Result<CheckoutLink> {
    let Some(gateway) = &deps.payment_gateway else {
        return Err(Error::conflict(
            "id",
            "card payments are not set up on this service",
        ));
    };
    let app = deps.mail.app_url.trim_end_matches('/');
    let back = format!("{app}/{}", page.return_path);
    let (key, id) = page.subject;
    Ok(gateway
        .checkout(&CheckoutRequest {
            purchase: Purchase::Once {
                description: page.description,
                amount: page.amount,
                currency: page.currency.to_owned(),
            },
            customer_email: page.customer_email,
            success_url: format!("{back}?payment=done"),
            cancel_url: back,
            metadata: vec![
                ("tenant_id".into(), ctx.tenant_id.to_string()),
                (key.into(), id.to_string()),
            ],
            idempotency_key: page.idempotency_key,
        })
        .await
        .map_err(|e| e.context("creating a Stripe Checkout Session"))?)
}
