//! A business's plan, paid through a Stripe subscription: an upgrade starts at a Checkout
//! page, and the subscription's events keep the plan in step with Stripe (renewals,
//! changes and cancellations made there), the newest event winning whatever the order
//! they arrive in.

use sea_orm::{ActiveValue::Set, EntityTrait};
use tianguis_entity::tenancy::tenants;

use super::stripe::Event;
use crate::audit;
use crate::db::TenantTx;
use crate::plans::Plan;
use crate::ports::{CheckoutRequest, Purchase};
use crate::stripe::StripeSettings;
use crate::{Deps, Error, Permission, Result, TenantCtx};

/// A Checkout page subscribing the business to `plan`.
pub async fn start_change(deps: &Deps, ctx: &TenantCtx, plan: Plan) -> Result<String> {
    ctx.require(Permission::TenantPlanManage)?;
    let Some(price) = deps
        .settings::<StripeSettings>()?
        .prices
        .iter()
        .find(|(p, _)| *p == plan)
        .map(|(_, price)| price.clone())
    else {
        return Err(Error::invalid(
            "plan",
            format!(
                "the {} plan is not sold here; the free plan follows from cancelling the subscription",
                plan.key()
            ),
        ));
    };
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = crate::plans::current(&tx).await?;
    tx.commit().await?;
    if current == plan {
        return Err(Error::conflict(
            "plan",
            format!("the business is on the {} plan", plan.key()),
        ));
    }
    let Some(gateway) = &deps.payment_gateway else {
        return Err(Error::conflict(
            "plan",
            "card payments are not set up on this service",
        ));
    };
    let app = deps.mail.app_url.trim_end_matches('/');
    let link = gateway
        .checkout(&CheckoutRequest {
            purchase: Purchase::Subscription { price },
            customer_email: None,
            success_url: format!("{app}/settings/plan?changed=1"),
            cancel_url: format!("{app}/settings/plan"),
            metadata: vec![
                ("tenant_id".into(), ctx.tenant_id.to_string()),
                ("plan".into(), plan.key().into()),
            ],
            idempotency_key: format!("plan-{}", uuid::Uuid::now_v7()),
        })
        .await
        .map_err(|e| e.context("creating a Stripe subscription Checkout Session"))?;
    Ok(link.url)
}

/// The plan a subscription event leaves the business on, if it says.
fn plan_after(stripe: &StripeSettings, event: &Event) -> Option<Plan> {
    let object = &event.object;
    let by_metadata = || object["metadata"]["plan"].as_str().and_then(Plan::from_key);
    match event.kind.as_str() {
        "checkout.session.completed" if object["payment_status"] == "paid" => by_metadata(),
        "customer.subscription.created" | "customer.subscription.updated" => {
            match object["status"].as_str() {
                Some("active" | "trialing" | "past_due") => {
                    let price = object["items"]["data"][0]["price"]["id"].as_str();
                    stripe
                        .prices
                        .iter()
                        .find(|(_, p)| Some(p.as_str()) == price)
                        .map(|(plan, _)| *plan)
                        .or_else(by_metadata)
                }
                Some(_) => Some(Plan::Free),
                None => None,
            }
        }
        "customer.subscription.deleted" => Some(Plan::Free),
        _ => None,
    }
}

/// Applies a subscription event to the business's plan.
pub(crate) async fn apply(
    tx: &mut TenantTx,
    deps: &Deps,
    ctx: &TenantCtx,
    event: &Event,
) -> Result<()> {
    let Some(plan) = plan_after(deps.settings::<StripeSettings>()?, event) else {
        return Ok(());
    };
    let tenant = tenants::Entity::find_by_id(tx.tenant_id())
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("business"))?;
    if tenant.plan_changed_at.is_some_and(|at| event.created < at) {
        return Ok(());
    }
    let object = &event.object;
    let subscription = match event.kind.as_str() {
        "checkout.session.completed" => object["subscription"].as_str(),
        _ => object["id"].as_str(),
    };
    // The end of a subscription the business has since replaced changes nothing.
    if event.kind == "customer.subscription.deleted"
        && tenant
            .stripe_subscription_id
            .as_deref()
            .is_some_and(|s| Some(s) != subscription)
    {
        return Ok(());
    }
    let from = tenant.plan.clone();
    let customer = object["customer"].as_str().map(str::to_owned);
    let mut model: tenants::ActiveModel = tenant.into();
    model.plan = Set(plan.key().into());
    // Sessions carry the plan; every replica reads it afresh once this commits.
    tx.publish_after_commit(
        crate::tenancy::access_cache::ACCESS_CHANGED.to_owned(),
        Vec::new(),
    );
    model.plan_changed_at = Set(Some(event.created));
    if plan == Plan::Free {
        model.stripe_subscription_id = Set(None);
    } else {
        model.stripe_subscription_id = Set(subscription.map(str::to_owned));
    }
    if customer.is_some() {
        model.stripe_customer_id = Set(customer);
    }
    tx.update(model).await?;
    if from != plan.key() {
        audit::record(
            tx,
            ctx,
            "tenant.plan.changed",
            ("tenant", Some(ctx.tenant_id)),
            serde_json::json!({ "from": from, "to": plan.key() }),
        )
        .await?;
    }
    Ok(())
}
