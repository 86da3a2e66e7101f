//! GraphQL of the tenancy context: sessions, the team, access and the audit log.

mod access;
mod session;
mod team;
pub(crate) mod types;

use async_graphql::{MergedObject, MergedSubscription};

#[derive(MergedObject, Default)]
pub struct TenancyQuery(session::SessionQuery, team::TeamQuery, access::AccessQuery);

#[derive(MergedObject, Default)]
pub struct TenancyMutation(
    session::SessionMutation,
    team::TeamMutation,
    access::AccessMutation,
);

#[derive(MergedSubscription, Default)]
pub struct TenancySubscription(access::AuditSubscription);
