//! GraphQL of billing: the fiscal profile and its CSD, invoices stamped as CFDI 4.0.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
