//! CRM's GraphQL object types.

mod activities;
mod proposals;
mod records;
mod sales;
mod shared;

pub(crate) use activities::*;
pub(crate) use proposals::*;
pub(crate) use records::*;
pub(crate) use sales::*;
pub(crate) use shared::*;
