//! Commerce: the catalog, stock kept through a movement ledger, and the point of sale
//! (registers, cash sessions and tickets).

pub mod amounts;
pub mod catalog;
pub mod counts;
pub mod emails;
mod online;
pub mod orders;
pub mod pos;
pub mod prepaid;
pub mod price_lists;
pub mod purchasing;
pub mod stock;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, error, page, plans, search,
};
use tianguis_tenancy as tenancy;

/// Commerce has no jobs or consumers yet: its work happens in the use case's transaction.
pub fn register(_registry: &mut tianguis_kernel::Registry) {}
