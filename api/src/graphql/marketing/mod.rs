//! GraphQL of marketing: segments with a preview count, campaigns with their lifecycle,
//! metrics and recipient log.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
