//! Tenancy: tenants, users, memberships, roles, invitations, API keys, sessions, 2FA and
//! the audit log.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod invitations;
pub mod members;
pub mod plans;
pub mod roles;
pub mod rules;
pub mod secrets;
pub mod tenants;
pub mod totp;
