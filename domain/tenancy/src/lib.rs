//! Tenancy: tenants, users, memberships, roles, invitations, API keys, sessions, 2FA and
//! the audit log.

pub mod access_cache;
pub mod account;
pub mod api_keys;
pub mod auth;
pub mod emails;
pub mod invitations;
pub mod login_throttle;
pub mod members;
pub mod policy;
pub mod roles;
pub mod tenants;
pub mod totp;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Actor, Deps, Error, Permission, PermissionSet, RequestMeta, Result, TenantCtx, audit, db,
    email, error, page, plans, ports, rules, secrets,
};

/// Tenancy adds no job kinds or sweeps; its settings (signing keys and token lifetimes) are
/// provided by the wiring.
pub fn register(_registry: &mut tianguis_kernel::Registry) {}
