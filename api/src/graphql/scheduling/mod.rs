//! GraphQL of scheduling: services, resources with their hours and time off, free slots,
//! and appointments.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
