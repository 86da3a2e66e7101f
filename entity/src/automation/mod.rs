//! Automation: outgoing webhooks, workflows with their versions, runs and step logs, and
//! public forms with their submissions.

pub mod form_submissions;
pub mod forms;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod workflow_run_steps;
pub mod workflow_runs;
pub mod workflow_versions;
pub mod workflows;

crate::tenant_owned!(
    form_submissions,
    forms,
    webhook_deliveries,
    webhook_endpoints,
    workflow_run_steps,
    workflow_runs,
    workflow_versions,
    workflows
);
