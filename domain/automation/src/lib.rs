//! Automation: outgoing webhooks now; workflows later.

pub mod emails;
pub mod webhooks;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, events, page, ports, registry,
    rules, secrets,
};
use tianguis_tenancy as tenancy;

/// Outgoing webhooks: their job kind, their consumer of every event, and the sweep that
/// finds deliveries whose job was lost.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: webhooks::DeliverWebhook| async move {
        webhooks::deliver(&deps, job.tenant_id, job.delivery_id).await
    });
    registry.consumer(webhooks::WebhookConsumer);
    registry.sweep("automation.undelivered_webhooks", |deps| async move {
        webhooks::enqueue_undelivered(&deps, deps.clock.now() - tianguis_kernel::jobs::LOST_AFTER)
            .await
    });
}
