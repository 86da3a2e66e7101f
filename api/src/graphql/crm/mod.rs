//! GraphQL of the CRM: contacts, companies, custom fields, pipelines, leads, activities,
//! proposals and the sales dashboard.

mod inputs;
mod mutation;
mod query;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
