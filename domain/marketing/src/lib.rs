//! Marketing: segments of contacts chosen by rules, and campaigns sent to them in batches
//! with delivery, open and click tracking and one-click unsubscribe.

pub mod campaigns;
pub mod segments;
pub mod tracking;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, events, page, plans, ports,
    registry, rules, search,
};
use tianguis_messaging as messaging;

/// Marketing's job kind, its listener for delivery statuses and its sweep.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: campaigns::SendCampaignBatch| async move {
        campaigns::send_batch(&deps, job.tenant_id, job.campaign_id, job.batch).await
    });
    registry.provide::<Box<dyn messaging::DeliveryStatusListener>>(Box::new(
        campaigns::RecipientDeliveries,
    ));
    registry.sweep("marketing.start_due", |deps| async move {
        campaigns::start_due(&deps).await
    });
}
