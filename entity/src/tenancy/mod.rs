//! Tenants, users, memberships, roles, invitations, API keys, sessions and the audit log.

pub mod api_keys;
pub mod audit_logs;
pub mod invitations;
pub mod memberships;
pub mod refresh_tokens;
pub mod roles;
pub mod sessions;
pub mod tenants;
pub mod user_tokens;
pub mod users;

crate::tenant_owned!(api_keys, audit_logs, invitations, memberships, roles);
