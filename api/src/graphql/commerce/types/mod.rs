//! Commerce's GraphQL types, one module per part of the context.

mod catalog;
mod pos;
mod prepaid;
mod purchasing;
mod stock;

pub(crate) use catalog::*;
pub(crate) use pos::*;
pub(crate) use prepaid::*;
pub(crate) use purchasing::*;
pub(crate) use stock::*;
