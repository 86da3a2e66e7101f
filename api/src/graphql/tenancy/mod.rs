//! GraphQL of the tenancy context: sessions, the team, access and the audit log.

mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use subscription::*;
pub(crate) use types::*;
