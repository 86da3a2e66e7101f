//! Automation: workflows a business configures on events, schedules and webhooks, public
//! forms that bring contacts and leads in, and outgoing webhooks.

pub mod emails;
pub mod forms;
pub mod webhooks;
pub mod workflows;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, events, jobs, page, plans, ports,
    registry, rules, secrets,
};
use tianguis_tenancy as tenancy;

/// Outgoing webhooks (their job kind, their consumer of every event, and the sweep that
/// finds deliveries whose job was lost) and workflows (the job that advances a run, the
/// consumer that starts runs on events, and the sweep that starts due schedules).
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: workflows::runs::AdvanceRun| async move {
        workflows::runs::advance(&deps, job.tenant_id, job.run_id).await
    });
    registry.consumer(workflows::runs::WorkflowTrigger);
    registry.sweep("automation.scheduled_workflows", |deps| async move {
        workflows::runs::start_due_schedules(&deps).await
    });
    registry.job(|deps, job: webhooks::DeliverWebhook| async move {
        webhooks::deliver(&deps, job.tenant_id, job.delivery_id).await
    });
    registry.consumer(webhooks::WebhookConsumer);
    registry.sweep("automation.undelivered_webhooks", |deps| async move {
        webhooks::enqueue_undelivered(&deps, deps.clock.now() - tianguis_kernel::jobs::LOST_AFTER)
            .await
    });
}
