//! Commerce's GraphQL types of price lists.

use async_graphql::{Context, ID, Object};
use tianguis_domain::commerce::price_lists;

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money};
use crate::graphql::loaders::{PriceListItemsLoader, VariantLoader, load};

/// Prices other than the catalog's: wholesale, or those of a group of customers.
pub struct PriceList(pub price_lists::PriceList, pub String);

#[Object]
impl PriceList {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Contacts with this tag buy at these prices.
    async fn contact_tag(&self) -> Option<&str> {
        self.0.contact_tag.as_deref()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn prices(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PriceListPrice>> {
        Ok(load::<PriceListItemsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|i| PriceListPrice(i, self.1.clone()))
            .collect())
    }
}

pub struct PriceListPrice(pub price_lists::PriceListItem, pub String);

#[Object]
impl PriceListPrice {
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    /// Taxes included.
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.1)
    }
}
