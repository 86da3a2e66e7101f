//! GraphQL of the automation context: outgoing webhook endpoints and their deliveries.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
