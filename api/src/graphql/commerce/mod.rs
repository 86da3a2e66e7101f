//! GraphQL of commerce: the catalog, stock and its ledger, registers, cash sessions and
//! tickets.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
