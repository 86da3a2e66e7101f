//! GraphQL of scheduling: services, resources with their hours and time off, free slots,
//! appointments, events and staff pay.

mod events;
mod inputs;
mod mutation;
mod payroll;
mod query;
mod types;

pub(crate) use events::*;
pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use payroll::*;
pub(crate) use query::*;
pub(crate) use types::*;
