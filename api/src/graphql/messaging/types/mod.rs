//! Messaging's GraphQL object types.

mod inbox;
mod templates;

pub(crate) use inbox::*;
pub(crate) use templates::*;
