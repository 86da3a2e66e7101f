//! Commerce's GraphQL types of stock: locations, levels, the ledger and stocktakes.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tianguis_domain::commerce::amounts::from_milli;
use tianguis_domain::commerce::counts;
use tianguis_domain::commerce::stock::{self, LocationKind as LKind, MovementKind};

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money, stored};
use crate::graphql::loaders::{LocationLoader, VariantLoader, load};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "LKind")]
pub enum StockLocationKind {
    Store,
    Warehouse,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "MovementKind")]
pub enum StockMovementKind {
    Receipt,
    Sale,
    Return,
    Adjustment,
    TransferIn,
    TransferOut,
    /// Merma.
    Waste,
}

pub struct StockLocation(pub stock::Location);

#[Object]
impl StockLocation {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> async_graphql::Result<StockLocationKind> {
        stored(LKind::from_stored, &self.0.kind)
    }
    /// Who hears of low stock here.
    async fn alert_emails(&self) -> Vec<String> {
        stock::alert_emails_of(&self.0)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

pub struct StockLevel(pub stock::StockLevel);

#[Object]
impl StockLevel {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn on_hand(&self) -> Decimal {
        from_milli(self.0.on_hand_milli)
    }
    /// Held back for confirmed orders.
    async fn reserved(&self) -> Decimal {
        from_milli(self.0.reserved_milli)
    }
    /// What can still be sold: on hand less reserved.
    async fn available(&self) -> Decimal {
        from_milli(self.0.on_hand_milli - self.0.reserved_milli)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct StockMovement(pub stock::Movement, pub String);

#[Object]
impl StockMovement {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<StockMovementKind> {
        stored(MovementKind::from_stored, &self.0.kind)
    }
    /// Signed: negative when stock left.
    async fn quantity(&self) -> Decimal {
        from_milli(self.0.quantity_milli)
    }
    /// On hand at the location after this movement.
    async fn balance_after(&self) -> Decimal {
        from_milli(self.0.balance_after_milli)
    }
    /// What a receipt paid per unit; the average cost for other movements.
    async fn unit_cost(&self) -> Money {
        money(self.0.unit_cost_minor, &self.1)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// The ticket or transfer it belongs to.
    async fn reference_id(&self) -> Option<ID> {
        self.0.reference_id.map(Into::into)
    }
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "counts::CountStatus")]
pub enum StockCountStatus {
    /// Being counted.
    Open,
    /// Its differences are adjustments now.
    Posted,
    Cancelled,
}

pub struct StockCount(pub counts::StockCount);

#[Object]
impl StockCount {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<StockCountStatus> {
        stored(counts::CountStatus::from_stored, &self.0.status)
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StockLocation>> {
        Ok(load::<LocationLoader>(ctx, self.0.location_id)
            .await?
            .map(StockLocation))
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn posted_at(&self) -> Option<DateTime<Utc>> {
        self.0.posted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A counted variant beside what the ledger holds.
pub struct StockCountLine(pub counts::Reviewed);

#[Object]
impl StockCountLine {
    async fn variant(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductVariant>> {
        Ok(load::<VariantLoader>(ctx, self.0.line.variant_id)
            .await?
            .map(ProductVariant))
    }
    async fn counted(&self) -> Decimal {
        from_milli(self.0.line.counted_milli)
    }
    /// On hand now while the count is open; on hand when it was posted afterwards.
    async fn on_hand(&self) -> Decimal {
        from_milli(self.0.on_hand_milli)
    }
    /// Counted minus on hand: what posting adjusts.
    async fn difference(&self) -> Decimal {
        from_milli(self.0.difference_milli())
    }
}
