//! Commerce's GraphQL types of the catalog: categories, products and variants.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::{Unit, from_milli};
use tianguis_domain::commerce::catalog::{self, ProductKind as Kind, ProductStatus as Status};
use tianguis_domain::pricing;

use crate::graphql::commerce::*;
use crate::graphql::common::{GqlResult, Money, money, stored};
use crate::graphql::crm::TaxRate;
use crate::graphql::loaders::{
    CategoryLoader, ProductLoader, ProductVariantsLoader, VariantStockLoader, load, load_opt,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Kind")]
pub enum ProductKind {
    /// Kept in stock and counted.
    Good,
    /// Sold without stock.
    Service,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Status")]
pub enum ProductStatus {
    Active,
    /// Kept for history; not sold.
    Archived,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Unit")]
pub enum ProductUnit {
    /// Whole pieces.
    Piece,
    /// Up to 3 decimals.
    Kilogram,
    /// Up to 3 decimals.
    Litre,
    /// Up to 3 decimals.
    Metre,
}

pub struct ProductCategory(pub catalog::Category);

#[Object]
impl ProductCategory {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductCategory>> {
        Ok(load_opt::<CategoryLoader>(ctx, self.0.parent_id)
            .await?
            .map(ProductCategory))
    }
}

pub struct Product(pub catalog::Product);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn kind(&self) -> async_graphql::Result<ProductKind> {
        stored(Kind::from_stored, &self.0.kind)
    }
    async fn unit(&self) -> async_graphql::Result<ProductUnit> {
        stored(Unit::from_stored, &self.0.unit)
    }
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductCategory>> {
        Ok(load_opt::<CategoryLoader>(ctx, self.0.category_id)
            .await?
            .map(ProductCategory))
    }
    /// SAT's ClaveProdServ.
    async fn sat_product_key(&self) -> &str {
        &self.0.sat_product_key
    }
    /// SAT's ClaveUnidad.
    async fn sat_unit_key(&self) -> &str {
        &self.0.sat_unit_key
    }
    /// The IVA in the price.
    async fn tax(&self) -> async_graphql::Result<TaxRate> {
        stored(pricing::Tax::from_stored, &self.0.tax)
    }
    /// The IEPS rate in the price (0.265 for 26.5 %), when it applies.
    async fn ieps_rate(&self) -> async_graphql::Result<Option<Decimal>> {
        catalog::ieps_of(&self.0).gql()
    }
    /// Whether a sale may take stock below zero.
    async fn allow_backorder(&self) -> bool {
        self.0.allow_backorder
    }
    async fn tracks_stock(&self) -> bool {
        self.0.track_stock
    }
    async fn status(&self) -> async_graphql::Result<ProductStatus> {
        stored(Status::from_stored, &self.0.status)
    }
    /// The options variants give values for, in order (Talla, Color).
    async fn option_names(&self) -> Vec<String> {
        catalog::option_names_of(&self.0)
    }
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductVariant>> {
        Ok(load::<ProductVariantsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ProductVariant)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ProductVariant(pub catalog::Variant);

#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    /// Values for the product's options, in order.
    async fn option_values(&self) -> Vec<String> {
        catalog::option_values_of(&self.0)
    }
    /// To the public, taxes included.
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.0.currency)
    }
    /// The average cost of what is in stock.
    async fn cost(&self) -> Money {
        money(self.0.cost_minor, &self.0.currency)
    }
    async fn low_stock_threshold(&self) -> Option<Decimal> {
        self.0.low_stock_milli.map(from_milli)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(load::<ProductLoader>(ctx, self.0.product_id)
            .await?
            .map(Product))
    }
    /// What each location holds.
    async fn stock(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StockLevel>> {
        Ok(load::<VariantStockLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(StockLevel)
            .collect())
    }
    /// All locations together.
    async fn on_hand(&self, ctx: &Context<'_>) -> async_graphql::Result<Decimal> {
        let levels = load::<VariantStockLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(from_milli(levels.iter().map(|l| l.on_hand_milli).sum()))
    }
}
