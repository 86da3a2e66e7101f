//! GraphQL of the automation context: workflows and their runs, public forms and their
//! submissions, outgoing webhook endpoints and their deliveries.

mod form_types;
mod inputs;
mod mutation;
mod query;
mod types;
mod workflow_inputs;
mod workflow_types;

pub(crate) use form_types::*;
pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use types::*;
pub(crate) use workflow_inputs::*;
pub(crate) use workflow_types::*;
