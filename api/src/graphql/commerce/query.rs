//! Commerce's GraphQL queries.

use async_graphql::{Context, ID, Object};

use tianguis_domain::commerce::{
    catalog, counts, orders, pos, prepaid, price_lists, purchasing, stock,
};

use crate::graphql::commerce::*;
use crate::graphql::common::optional_id;
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Default)]
pub struct CommerceQuery;

#[Object]
impl CommerceQuery {
    /// The catalog's categories by name.
    async fn product_categories(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProductCategory>> {
        Ok(catalog::list_categories(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(ProductCategory)
            .collect())
    }

    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Product> {
        let id = parse_id(&id, "id")?;
        Ok(Product(
            catalog::get_product(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Products, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Product>> {
        let f = filter.unwrap_or_default();
        let filter = catalog::ProductFilter {
            search: f.search,
            category_id: optional_id(f.category_id.as_ref(), "categoryId")?,
            status: f.status.map(Into::into),
        };
        let page = page_request(first, after, last, before)?;
        let page = catalog::list_products(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |p| p.id, Product))
    }

    /// The variant a till scans or types: a barcode or a SKU, exactly.
    async fn variant_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<ProductVariant> {
        Ok(ProductVariant(
            catalog::variant_by_code(deps(ctx)?, tenant(ctx)?, &code)
                .await
                .gql()?,
        ))
    }

    async fn stock_locations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<StockLocation>> {
        Ok(stock::list_locations(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(StockLocation)
            .collect())
    }

    /// What each location holds of each variant.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn stock_levels(
        &self,
        ctx: &Context<'_>,
        filter: Option<StockLevelFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<StockLevel>> {
        let f = filter.unwrap_or_default();
        let filter = stock::LevelFilter {
            location_id: optional_id(f.location_id.as_ref(), "locationId")?,
            variant_id: optional_id(f.variant_id.as_ref(), "variantId")?,
            low_only: f.low_only,
        };
        let page = page_request(first, after, last, before)?;
        let page = stock::levels(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |l| l.id, StockLevel))
    }

    /// The stock ledger, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        filter: Option<StockMovementFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<StockMovement>> {
        let f = filter.unwrap_or_default();
        let filter = stock::MovementFilter {
            variant_id: optional_id(f.variant_id.as_ref(), "variantId")?,
            location_id: optional_id(f.location_id.as_ref(), "locationId")?,
            kind: f.kind.map(Into::into),
            reference_id: optional_id(f.reference_id.as_ref(), "referenceId")?,
        };
        let page = page_request(first, after, last, before)?;
        let (page, currency) = stock::movements(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(
            page,
            |m| m.id,
            |m| StockMovement(m, currency.clone()),
        ))
    }

    async fn registers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Register>> {
        Ok(pos::list_registers(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Register)
            .collect())
    }

    /// The caller's open cash session, if any: a till picks it up again after a restart.
    async fn my_open_cash_session(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CashSession>> {
        Ok(pos::my_open_session(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .map(CashSession))
    }

    async fn cash_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CashSession> {
        let id = parse_id(&id, "id")?;
        Ok(CashSession(
            pos::get_session(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Cash sessions, newest first; a cashier sees their own.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn cash_sessions(
        &self,
        ctx: &Context<'_>,
        filter: Option<CashSessionFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<CashSession>> {
        let f = filter.unwrap_or_default();
        let filter = pos::SessionFilter {
            register_id: optional_id(f.register_id.as_ref(), "registerId")?,
            status: f.status.map(Into::into),
        };
        let page = page_request(first, after, last, before)?;
        let page = pos::list_sessions(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |s| s.id, CashSession))
    }

    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Ticket> {
        let id = parse_id(&id, "id")?;
        Ok(Ticket(
            pos::get_ticket(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Tickets, newest first; a cashier sees their own.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Ticket>> {
        let f = filter.unwrap_or_default();
        let filter = pos::TicketFilter {
            session_id: optional_id(f.session_id.as_ref(), "sessionId")?,
            register_id: optional_id(f.register_id.as_ref(), "registerId")?,
            kind: f.kind.map(Into::into),
            from: f.from,
            to: f.to,
        };
        let page = page_request(first, after, last, before)?;
        let page = pos::list_tickets(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |t| t.id, Ticket))
    }

    /// A ticket laid out for an 80 mm printer.
    async fn ticket_receipt(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Receipt> {
        let id = parse_id(&id, "id")?;
        let receipt = pos::receipt(deps(ctx)?, tenant(ctx)?, id).await.gql()?;
        Ok(Receipt {
            text: receipt.text,
            html: receipt.html,
        })
    }

    async fn prepaid_card(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PrepaidCard> {
        let id = parse_id(&id, "id")?;
        Ok(PrepaidCard(
            prepaid::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// The card with this UID, as a reader or the till scans it.
    async fn prepaid_card_by_uid(
        &self,
        ctx: &Context<'_>,
        uid: String,
    ) -> async_graphql::Result<PrepaidCard> {
        Ok(PrepaidCard(
            prepaid::get_by_uid(deps(ctx)?, tenant(ctx)?, &uid)
                .await
                .gql()?,
        ))
    }

    /// Prepaid cards, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn prepaid_cards(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PrepaidCard>> {
        let page = page_request(first, after, last, before)?;
        let page = prepaid::list(deps(ctx)?, tenant(ctx)?, &page).await.gql()?;
        Ok(connection(page, |c| c.id, PrepaidCard))
    }

    /// A card's ledger, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn prepaid_card_entries(
        &self,
        ctx: &Context<'_>,
        card_id: ID,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PrepaidEntry>> {
        let card = parse_id(&card_id, "cardId")?;
        let page = page_request(first, after, last, before)?;
        let deps = deps(ctx)?;
        let tenant = tenant(ctx)?;
        let currency = prepaid::get(deps, tenant, card).await.gql()?.currency;
        let page = prepaid::entries(deps, tenant, card, &page).await.gql()?;
        Ok(connection(
            page,
            |e| e.id,
            |e| PrepaidEntry(e, currency.clone()),
        ))
    }

    async fn supplier(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Supplier> {
        let id = parse_id(&id, "id")?;
        Ok(Supplier(
            purchasing::get_supplier(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Suppliers, newest first; `search` matches the name, RFC or email.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Supplier>> {
        let page = page_request(first, after, last, before)?;
        let page = purchasing::list_suppliers(deps(ctx)?, tenant(ctx)?, search, &page)
            .await
            .gql()?;
        Ok(connection(page, |s| s.id, Supplier))
    }

    async fn purchase_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PurchaseOrder> {
        let id = parse_id(&id, "id")?;
        Ok(PurchaseOrder(
            purchasing::get_order(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Purchase orders, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<PurchaseOrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PurchaseOrder>> {
        let f = filter.unwrap_or_default();
        let filter = purchasing::OrderFilter {
            supplier_id: optional_id(f.supplier_id.as_ref(), "supplierId")?,
            status: f.status.map(Into::into),
        };
        let page = page_request(first, after, last, before)?;
        let page = purchasing::list_orders(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |o| o.id, PurchaseOrder))
    }

    /// Price lists by name.
    async fn price_lists(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PriceList>> {
        let (deps, ctx) = (deps(ctx)?, tenant(ctx)?);
        let lists = price_lists::list(deps, ctx).await.gql()?;
        let currency = stock::currency(deps, ctx).await.gql()?;
        Ok(lists
            .into_iter()
            .map(|l| PriceList(l, currency.clone()))
            .collect())
    }

    async fn sales_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&id, "id")?;
        Ok(SalesOrder(
            orders::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Sales orders, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn sales_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<SalesOrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<SalesOrder>> {
        let f = filter.unwrap_or_default();
        let filter = orders::OrderFilter {
            status: f.status.map(Into::into),
            source: f.source.map(Into::into),
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            conversation_id: optional_id(f.conversation_id.as_ref(), "conversationId")?,
        };
        let page = page_request(first, after, last, before)?;
        let page = orders::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |o| o.id, SalesOrder))
    }

    /// A supplier's payments, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn supplier_payments(
        &self,
        ctx: &Context<'_>,
        supplier_id: ID,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<SupplierPayment>> {
        let supplier = parse_id(&supplier_id, "supplierId")?;
        let page = page_request(first, after, last, before)?;
        let page = purchasing::payments(deps(ctx)?, tenant(ctx)?, supplier, &page)
            .await
            .gql()?;
        Ok(connection(page, |p| p.id, SupplierPayment))
    }

    /// Stocktakes, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn stock_counts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<StockCount>> {
        let page = page_request(first, after, last, before)?;
        let page = counts::list(deps(ctx)?, tenant(ctx)?, &page).await.gql()?;
        Ok(connection(page, |c| c.id, StockCount))
    }

    async fn stock_count(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<StockCount> {
        let id = parse_id(&id, "id")?;
        Ok(StockCount(
            counts::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// A stocktake's lines beside what the ledger holds: the differences to review.
    async fn stock_count_lines(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Vec<StockCountLine>> {
        let id = parse_id(&id, "id")?;
        let (_, lines) = counts::review(deps(ctx)?, tenant(ctx)?, id).await.gql()?;
        Ok(lines.into_iter().map(StockCountLine).collect())
    }
}
