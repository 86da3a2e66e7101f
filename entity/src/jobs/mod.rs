//! The ledger of background jobs: what was asked, what became of it.

pub mod job_runs;
pub mod schedules;

crate::tenant_owned!(job_runs);
