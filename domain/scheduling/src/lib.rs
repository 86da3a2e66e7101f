//! Scheduling: services, the resources that perform them (staff, rooms, equipment), their
//! weekly hours and time off, free slots in the business's time zone, and appointments.

pub mod appointments;
pub mod setup;
pub mod slots;

// The kernel, reachable as `crate::…` in the modules.
use tianguis_kernel::{Deps, Error, Permission, Result, TenantCtx, audit, db, error, page};

/// Scheduling has no jobs or consumers yet: its work happens in the use case's transaction.
pub fn register(_registry: &mut tianguis_kernel::Registry) {}
