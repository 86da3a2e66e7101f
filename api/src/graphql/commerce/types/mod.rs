//! Commerce's GraphQL types, one module per part of the context.

mod catalog;
mod orders;
mod pos;
mod prepaid;
mod price_lists;
mod purchasing;
mod stock;

pub(crate) use catalog::*;
pub(crate) use orders::*;
pub(crate) use pos::*;
pub(crate) use prepaid::*;
pub(crate) use price_lists::*;
pub(crate) use purchasing::*;
pub(crate) use stock::*;
