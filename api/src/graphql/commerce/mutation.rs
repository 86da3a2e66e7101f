//! Commerce's GraphQL mutations.

use async_graphql::{Context, ID, Object};
use tianguis_domain::commerce::{catalog, counts, pos, prepaid, purchasing, stock};

use crate::graphql::commerce::*;
use crate::graphql::common::{maybe, maybe_id, optional_id};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{TicketLinesLoader, TicketPaymentsLoader, feed};

#[derive(Default)]
pub struct CommerceMutation;

fn variant_input(v: ProductVariantInput) -> catalog::VariantInput {
    catalog::VariantInput {
        sku: Some(v.sku),
        barcode: Some(v.barcode),
        option_values: Some(v.option_values),
        price: Some(v.price),
        cost: v.cost,
        low_stock_threshold: Some(v.low_stock_threshold),
        active: None,
    }
}

/// A ticket as recorded: its lines and payments go to the request's loaders, so the
/// answer costs no further statement.
async fn recorded(ctx: &Context<'_>, r: pos::Recorded) -> async_graphql::Result<Ticket> {
    feed::<TicketLinesLoader>(ctx, [(r.ticket.id, r.lines)]).await?;
    feed::<TicketPaymentsLoader>(ctx, [(r.ticket.id, r.payments)]).await?;
    Ok(Ticket(r.ticket))
}

#[Object]
impl CommerceMutation {
    async fn create_product_category(
        &self,
        ctx: &Context<'_>,
        input: CreateProductCategoryInput,
    ) -> async_graphql::Result<ProductCategory> {
        let parent = optional_id(input.parent_id.as_ref(), "parentId")?;
        Ok(ProductCategory(
            catalog::create_category(deps(ctx)?, tenant(ctx)?, &input.name, parent)
                .await
                .gql()?,
        ))
    }

    async fn update_product_category(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductCategoryInput,
    ) -> async_graphql::Result<ProductCategory> {
        let id = parse_id(&input.id, "id")?;
        let parent = maybe_id(input.parent_id, "parentId")?;
        Ok(ProductCategory(
            catalog::update_category(deps(ctx)?, tenant(ctx)?, id, input.name, parent)
                .await
                .gql()?,
        ))
    }

    /// Deletes a category; its products stay, without it.
    async fn delete_product_category(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(catalog::delete_category(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        let product = catalog::ProductInput {
            name: Some(input.name),
            description: Some(input.description),
            kind: Some(input.kind.into()),
            unit: Some(input.unit.into()),
            category_id: Some(optional_id(input.category_id.as_ref(), "categoryId")?),
            sat_product_key: input.sat_product_key,
            sat_unit_key: input.sat_unit_key,
            tax: Some(input.tax.into()),
            ieps_rate: Some(input.ieps_rate),
            allow_backorder: Some(input.allow_backorder),
            status: None,
            option_names: Some(input.option_names),
        };
        let variants = input.variants.into_iter().map(variant_input).collect();
        let (product, variants) =
            catalog::create_product(deps(ctx)?, tenant(ctx)?, product, variants)
                .await
                .gql()?;
        feed::<crate::graphql::loaders::ProductVariantsLoader>(ctx, [(product.id, variants)])
            .await?;
        Ok(Product(product))
    }

    async fn update_product(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let id = parse_id(&input.id, "id")?;
        let product = catalog::ProductInput {
            name: input.name,
            description: maybe(input.description),
            kind: input.kind.map(Into::into),
            unit: input.unit.map(Into::into),
            category_id: maybe_id(input.category_id, "categoryId")?,
            sat_product_key: input.sat_product_key,
            sat_unit_key: input.sat_unit_key,
            tax: input.tax.map(Into::into),
            ieps_rate: maybe(input.ieps_rate),
            allow_backorder: input.allow_backorder,
            status: input.status.map(Into::into),
            option_names: None,
        };
        Ok(Product(
            catalog::update_product(deps(ctx)?, tenant(ctx)?, id, product)
                .await
                .gql()?,
        ))
    }

    async fn add_product_variant(
        &self,
        ctx: &Context<'_>,
        input: AddProductVariantInput,
    ) -> async_graphql::Result<ProductVariant> {
        let product = parse_id(&input.product_id, "productId")?;
        Ok(ProductVariant(
            catalog::add_variant(
                deps(ctx)?,
                tenant(ctx)?,
                product,
                variant_input(input.variant),
            )
            .await
            .gql()?,
        ))
    }

    async fn update_product_variant(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductVariantInput,
    ) -> async_graphql::Result<ProductVariant> {
        let id = parse_id(&input.id, "id")?;
        let variant = catalog::VariantInput {
            sku: input.sku,
            barcode: maybe(input.barcode),
            option_values: input.option_values,
            price: input.price,
            cost: None,
            low_stock_threshold: maybe(input.low_stock_threshold),
            active: input.active,
        };
        Ok(ProductVariant(
            catalog::update_variant(deps(ctx)?, tenant(ctx)?, id, variant)
                .await
                .gql()?,
        ))
    }

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

    async fn create_register(
        &self,
        ctx: &Context<'_>,
        input: CreateRegisterInput,
    ) -> async_graphql::Result<Register> {
        let location = parse_id(&input.location_id, "locationId")?;
        Ok(Register(
            pos::create_register(deps(ctx)?, tenant(ctx)?, &input.name, location)
                .await
                .gql()?,
        ))
    }

    async fn update_register(
        &self,
        ctx: &Context<'_>,
        input: UpdateRegisterInput,
    ) -> async_graphql::Result<Register> {
        let id = parse_id(&input.id, "id")?;
        Ok(Register(
            pos::update_register(deps(ctx)?, tenant(ctx)?, id, input.name, input.active)
                .await
                .gql()?,
        ))
    }

    /// Opens the caller's session at a register, with the float in the drawer.
    async fn open_cash_session(
        &self,
        ctx: &Context<'_>,
        input: OpenCashSessionInput,
    ) -> async_graphql::Result<CashSession> {
        let register = parse_id(&input.register_id, "registerId")?;
        Ok(CashSession(
            pos::open_session(deps(ctx)?, tenant(ctx)?, register, input.opening_float)
                .await
                .gql()?,
        ))
    }

    /// Closes a session with what was counted; the expected figures and the difference
    /// are kept with it.
    async fn close_cash_session(
        &self,
        ctx: &Context<'_>,
        input: CloseCashSessionInput,
    ) -> async_graphql::Result<CashSession> {
        let id = parse_id(&input.id, "id")?;
        let counted = input
            .counted
            .into_iter()
            .map(|c| (c.method.into(), c.amount))
            .collect();
        Ok(CashSession(
            pos::close_session(deps(ctx)?, tenant(ctx)?, id, counted, input.note)
                .await
                .gql()?,
        ))
    }

    /// Records a sale. The same idempotency key with the same content returns the ticket
    /// already recorded; with other content it is refused.
    async fn create_ticket(
        &self,
        ctx: &Context<'_>,
        input: CreateTicketInput,
    ) -> async_graphql::Result<Ticket> {
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(pos::LineInput {
                    variant_id: optional_id(l.variant_id.as_ref(), "variantId")?,
                    code: l.code,
                    quantity: l.quantity,
                    discount: l.discount,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        let payments = input
            .payments
            .into_iter()
            .map(|p| pos::PaymentInput {
                method: p.method.into(),
                amount: p.amount,
                reference: p.reference,
                card_uid: p.card_uid,
            })
            .collect();
        let ticket = pos::TicketInput {
            session_id: parse_id(&input.session_id, "sessionId")?,
            idempotency_key: input.idempotency_key,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            lines,
            payments,
            note: input.note,
        };
        let r = pos::create_ticket(deps(ctx)?, tenant(ctx)?, ticket)
            .await
            .gql()?;
        recorded(ctx, r).await
    }

    /// Gives back goods of a sale: a return ticket with negative amounts and a refund.
    async fn return_ticket(
        &self,
        ctx: &Context<'_>,
        input: ReturnTicketInput,
    ) -> async_graphql::Result<Ticket> {
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(pos::ReturnLine {
                    line_id: parse_id(&l.line_id, "lineId")?,
                    quantity: l.quantity,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        let give_back = pos::ReturnInput {
            ticket_id: parse_id(&input.ticket_id, "ticketId")?,
            session_id: parse_id(&input.session_id, "sessionId")?,
            idempotency_key: input.idempotency_key,
            lines,
            refund_method: input.refund_method.into(),
            reference: input.reference,
            card_uid: input.card_uid,
            restock: input.restock,
            reason: input.reason,
        };
        let r = pos::return_ticket(deps(ctx)?, tenant(ctx)?, give_back)
            .await
            .gql()?;
        recorded(ctx, r).await
    }

    /// Issues a prepaid card with a zero balance.
    async fn issue_prepaid_card(
        &self,
        ctx: &Context<'_>,
        input: IssuePrepaidCardInput,
    ) -> async_graphql::Result<PrepaidCard> {
        let contact = optional_id(input.contact_id.as_ref(), "contactId")?;
        Ok(PrepaidCard(
            prepaid::issue(deps(ctx)?, tenant(ctx)?, &input.uid, contact, input.label)
                .await
                .gql()?,
        ))
    }

    /// Loads money onto a card at the till; the same transaction id loads it once.
    async fn top_up_prepaid_card(
        &self,
        ctx: &Context<'_>,
        input: TopUpPrepaidCardInput,
    ) -> async_graphql::Result<PrepaidCard> {
        let card = parse_id(&input.card_id, "cardId")?;
        let session = parse_id(&input.session_id, "sessionId")?;
        let (card, _) = prepaid::top_up(
            deps(ctx)?,
            tenant(ctx)?,
            card,
            session,
            input.amount,
            input.method.into(),
            &input.transaction_id,
        )
        .await
        .gql()?;
        Ok(PrepaidCard(card))
    }

    /// Blocks a lost card, moving its balance to another card when one is named.
    async fn block_prepaid_card(
        &self,
        ctx: &Context<'_>,
        input: BlockPrepaidCardInput,
    ) -> async_graphql::Result<PrepaidCard> {
        let id = parse_id(&input.id, "id")?;
        let target = optional_id(input.move_to_card_id.as_ref(), "moveToCardId")?;
        Ok(PrepaidCard(
            prepaid::block(deps(ctx)?, tenant(ctx)?, id, target)
                .await
                .gql()?,
        ))
    }

    async fn create_supplier(
        &self,
        ctx: &Context<'_>,
        input: CreateSupplierInput,
    ) -> async_graphql::Result<Supplier> {
        let supplier = purchasing::SupplierInput {
            name: Some(input.name),
            rfc: Some(input.rfc),
            email: Some(input.email),
            phone: Some(input.phone),
            contact_name: Some(input.contact_name),
            payment_terms_days: Some(input.payment_terms_days),
            active: None,
        };
        Ok(Supplier(
            purchasing::create_supplier(deps(ctx)?, tenant(ctx)?, supplier)
                .await
                .gql()?,
        ))
    }

    async fn update_supplier(
        &self,
        ctx: &Context<'_>,
        input: UpdateSupplierInput,
    ) -> async_graphql::Result<Supplier> {
        let id = parse_id(&input.id, "id")?;
        let supplier = purchasing::SupplierInput {
            name: input.name,
            rfc: maybe(input.rfc),
            email: maybe(input.email),
            phone: maybe(input.phone),
            contact_name: maybe(input.contact_name),
            payment_terms_days: input.payment_terms_days,
            active: input.active,
        };
        Ok(Supplier(
            purchasing::update_supplier(deps(ctx)?, tenant(ctx)?, id, supplier)
                .await
                .gql()?,
        ))
    }

    /// A draft order to a supplier.
    async fn create_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseOrderInput,
    ) -> async_graphql::Result<PurchaseOrder> {
        let order = purchasing::OrderInput {
            supplier_id: parse_id(&input.supplier_id, "supplierId")?,
            location_id: parse_id(&input.location_id, "locationId")?,
            lines: order_lines(input.lines)?,
            expected_on: input.expected_on,
            notes: input.notes,
        };
        Ok(PurchaseOrder(
            purchasing::create_order(deps(ctx)?, tenant(ctx)?, order)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft.
    async fn update_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: UpdatePurchaseOrderInput,
    ) -> async_graphql::Result<PurchaseOrder> {
        let id = parse_id(&input.id, "id")?;
        let lines = input.lines.map(order_lines).transpose()?;
        Ok(PurchaseOrder(
            purchasing::update_order(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                lines,
                maybe(input.expected_on),
                maybe(input.notes),
            )
            .await
            .gql()?,
        ))
    }

    /// Emails a draft to its supplier.
    async fn send_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<PurchaseOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(PurchaseOrder(
            purchasing::send_order(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Records a delivery: stock comes in at the cost received.
    async fn receive_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: ReceivePurchaseOrderInput,
    ) -> async_graphql::Result<PurchaseOrder> {
        let id = parse_id(&input.id, "id")?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(purchasing::ReceivedLine {
                    line_id: parse_id(&l.line_id, "lineId")?,
                    quantity: l.quantity,
                    unit_cost: l.unit_cost,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        Ok(PurchaseOrder(
            purchasing::receive_order(deps(ctx)?, tenant(ctx)?, id, lines)
                .await
                .gql()?,
        ))
    }

    /// Closes an order that received something, or cancels one that received nothing.
    async fn close_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<PurchaseOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(PurchaseOrder(
            purchasing::finish_order(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Money paid to a supplier, up to what it is owed.
    async fn record_supplier_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordSupplierPaymentInput,
    ) -> async_graphql::Result<SupplierPayment> {
        let payment = purchasing::PaymentInput {
            supplier_id: parse_id(&input.supplier_id, "supplierId")?,
            purchase_order_id: optional_id(input.purchase_order_id.as_ref(), "purchaseOrderId")?,
            amount: input.amount,
            method: input.method.into(),
            reference: input.reference,
            paid_on: input.paid_on,
        };
        Ok(SupplierPayment(
            purchasing::record_payment(deps(ctx)?, tenant(ctx)?, payment)
                .await
                .gql()?,
        ))
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

fn order_lines(
    lines: Vec<PurchaseOrderLineInput>,
) -> async_graphql::Result<Vec<purchasing::OrderLineInput>> {
    lines
        .into_iter()
        .map(|l| {
            Ok(purchasing::OrderLineInput {
                variant_id: parse_id(&l.variant_id, "variantId")?,
                quantity: l.quantity,
                unit_cost: l.unit_cost,
            })
        })
        .collect()
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
