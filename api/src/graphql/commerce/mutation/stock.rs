//! Commerce's GraphQL mutations of stock: locations, receipts, adjustments, transfers and stocktakes.

use async_graphql::{Context, Object};
use tianguis_domain::commerce::{counts, stock};

use crate::graphql::commerce::*;
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    async fn create_stock_location(
        &self,
        ctx: &Context<'_>,
        input: CreateStockLocationInput,
    ) -> async_graphql::Result<StockLocation> {
        let location = stock::LocationInput {
            name: Some(input.name),
            kind: Some(input.kind.into()),
            alert_emails: Some(input.alert_emails),
            active: None,
        };
        Ok(StockLocation(
            stock::create_location(deps(ctx)?, tenant(ctx)?, location)
                .await
                .gql()?,
        ))
    }

    async fn update_stock_location(
        &self,
        ctx: &Context<'_>,
        input: UpdateStockLocationInput,
    ) -> async_graphql::Result<StockLocation> {
        let id = parse_id(&input.id, "id")?;
        let location = stock::LocationInput {
            name: input.name,
            kind: input.kind.map(Into::into),
            alert_emails: input.alert_emails,
            active: input.active,
        };
        Ok(StockLocation(
            stock::update_location(deps(ctx)?, tenant(ctx)?, id, location)
                .await
                .gql()?,
        ))
    }

    /// Goods received at a location at a cost; average costs take them in.
    async fn receive_stock(
        &self,
        ctx: &Context<'_>,
        input: ReceiveStockInput,
    ) -> async_graphql::Result<Vec<StockMovement>> {
        let location = parse_id(&input.location_id, "locationId")?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(stock::ReceiptLine {
                    variant_id: parse_id(&l.variant_id, "variantId")?,
                    quantity: l.quantity,
                    unit_cost: l.unit_cost,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        let deps = deps(ctx)?;
        let tenant = tenant(ctx)?;
        let rows = stock::receive(deps, tenant, location, lines, input.reason)
            .await
            .gql()?;
        movements(deps, tenant, rows).await
    }

    /// A correction of the count, with its reason.
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
    ) -> async_graphql::Result<StockMovement> {
        let location = parse_id(&input.location_id, "locationId")?;
        let variant = parse_id(&input.variant_id, "variantId")?;
        let deps = deps(ctx)?;
        let tenant = tenant(ctx)?;
        let row = stock::adjust(
            deps,
            tenant,
            location,
            variant,
            input.quantity,
            input.reason,
        )
        .await
        .gql()?;
        Ok(movements(deps, tenant, vec![row]).await?.remove(0))
    }

    /// Stock lost to spoilage, breakage or trimming (merma).
    async fn record_waste(
        &self,
        ctx: &Context<'_>,
        input: RecordWasteInput,
    ) -> async_graphql::Result<StockMovement> {
        let location = parse_id(&input.location_id, "locationId")?;
        let variant = parse_id(&input.variant_id, "variantId")?;
        let deps = deps(ctx)?;
        let tenant = tenant(ctx)?;
        let row = stock::record_waste(
            deps,
            tenant,
            location,
            variant,
            input.quantity,
            input.reason,
        )
        .await
        .gql()?;
        Ok(movements(deps, tenant, vec![row]).await?.remove(0))
    }

    /// Moves stock between locations; the source never goes below zero.
    async fn transfer_stock(
        &self,
        ctx: &Context<'_>,
        input: TransferStockInput,
    ) -> async_graphql::Result<Vec<StockMovement>> {
        let from = parse_id(&input.from_location_id, "fromLocationId")?;
        let to = parse_id(&input.to_location_id, "toLocationId")?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(stock::TransferLine {
                    variant_id: parse_id(&l.variant_id, "variantId")?,
                    quantity: l.quantity,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        let deps = deps(ctx)?;
        let tenant = tenant(ctx)?;
        let rows = stock::transfer(deps, tenant, from, to, lines, input.reason)
            .await
            .gql()?;
        movements(deps, tenant, rows).await
    }

    /// Starts counting a location.
    async fn start_stock_count(
        &self,
        ctx: &Context<'_>,
        input: StartStockCountInput,
    ) -> async_graphql::Result<StockCount> {
        let location = parse_id(&input.location_id, "locationId")?;
        Ok(StockCount(
            counts::start(deps(ctx)?, tenant(ctx)?, location, input.note)
                .await
                .gql()?,
        ))
    }

    /// Records counted quantities; answers every line with its difference so far.
    async fn record_stock_count(
        &self,
        ctx: &Context<'_>,
        input: RecordStockCountInput,
    ) -> async_graphql::Result<Vec<StockCountLine>> {
        let id = parse_id(&input.id, "id")?;
        let counted = input
            .lines
            .into_iter()
            .map(|l| Ok((parse_id(&l.variant_id, "variantId")?, l.quantity)))
            .collect::<async_graphql::Result<_>>()?;
        Ok(counts::record(deps(ctx)?, tenant(ctx)?, id, counted)
            .await
            .gql()?
            .into_iter()
            .map(StockCountLine)
            .collect())
    }

    /// Posts a stocktake's differences as adjustments, all at once.
    async fn post_stock_count(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<StockCount> {
        let id = parse_id(&input.id, "id")?;
        Ok(StockCount(
            counts::post(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Drops an open stocktake without touching stock.
    async fn cancel_stock_count(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<StockCount> {
        let id = parse_id(&input.id, "id")?;
        Ok(StockCount(
            counts::cancel(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

/// Movements with the currency their costs are in: the business's.
async fn movements(
    deps: &tianguis_domain::Deps,
    tenant: &tianguis_domain::TenantCtx,
    rows: Vec<stock::Movement>,
) -> async_graphql::Result<Vec<StockMovement>> {
    let currency = stock::currency(deps, tenant).await.gql()?;
    Ok(rows
        .into_iter()
        .map(|m| StockMovement(m, currency.clone()))
        .collect())
}
