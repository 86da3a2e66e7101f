//! Commerce's GraphQL mutations, one object per part of the context, merged.

mod catalog;
mod orders;
mod pos;
mod prepaid;
mod purchasing;
mod stock;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct CommerceMutation(
    catalog::CatalogMutation,
    stock::StockMutation,
    pos::PosMutation,
    prepaid::PrepaidMutation,
    purchasing::PurchasingMutation,
    orders::OrdersMutation,
);
