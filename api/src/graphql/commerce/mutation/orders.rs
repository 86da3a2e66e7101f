//! Commerce's GraphQL mutations of sales orders.

use async_graphql::{Context, Object};
use tianguis_domain::commerce::orders;

use crate::graphql::commerce::*;
use crate::graphql::common::{maybe, maybe_id, optional_id};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::messaging::Message;

#[derive(Default)]
pub struct OrdersMutation;

fn order_lines(lines: Vec<SalesOrderLineInput>) -> async_graphql::Result<Vec<orders::LineInput>> {
    lines
        .into_iter()
        .map(|l| {
            Ok(orders::LineInput {
                variant_id: optional_id(l.variant_id.as_ref(), "variantId")?,
                code: l.code,
                quantity: l.quantity,
                discount: l.discount,
            })
        })
        .collect()
}

fn address(input: DeliveryAddressInput) -> orders::Address {
    orders::Address {
        recipient: input.recipient,
        phone: input.phone,
        street: input.street,
        neighborhood: input.neighborhood,
        city: input.city,
        state: input.state,
        postal_code: input.postal_code,
        country: input.country,
        directions: input.directions,
    }
}

#[Object]
impl OrdersMutation {
    /// A draft order; confirm it to reserve its stock.
    async fn create_sales_order(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesOrderInput,
    ) -> async_graphql::Result<SalesOrder> {
        let order = orders::OrderInput {
            source: input.source.map(Into::into),
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            conversation_id: optional_id(input.conversation_id.as_ref(), "conversationId")?,
            location_id: optional_id(input.location_id.as_ref(), "locationId")?,
            price_list_id: optional_id(input.price_list_id.as_ref(), "priceListId")?,
            lines: order_lines(input.lines)?,
            discount: input.discount,
            delivery_address: input.delivery_address.map(address),
            notes: input.notes,
        };
        Ok(SalesOrder(
            orders::create(deps(ctx)?, tenant(ctx)?, order)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft.
    async fn update_sales_order(
        &self,
        ctx: &Context<'_>,
        input: UpdateSalesOrderInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        let changes = orders::OrderChanges {
            contact_id: maybe_id(input.contact_id, "contactId")?,
            price_list_id: maybe_id(input.price_list_id, "priceListId")?,
            location_id: optional_id(input.location_id.as_ref(), "locationId")?,
            lines: input.lines.map(order_lines).transpose()?,
            discount: maybe(input.discount),
            delivery_address: maybe(input.delivery_address).map(|a| a.map(address)),
            notes: maybe(input.notes),
        };
        Ok(SalesOrder(
            orders::update(deps(ctx)?, tenant(ctx)?, id, changes)
                .await
                .gql()?,
        ))
    }

    /// Reserves the order's stock at its location; nothing is reserved if any line is short.
    async fn confirm_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(SalesOrder(
            orders::confirm(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Hands the order over: its stock is taken.
    async fn fulfil_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(SalesOrder(
            orders::fulfil(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Cancels an order not yet fulfilled and releases its reservation.
    async fn cancel_sales_order(
        &self,
        ctx: &Context<'_>,
        input: CancelSalesOrderInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(SalesOrder(
            orders::cancel(deps(ctx)?, tenant(ctx)?, id, input.reason)
                .await
                .gql()?,
        ))
    }

    /// Takes delivered goods back into stock.
    async fn return_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ReturnSalesOrderInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        let lines = input
            .lines
            .into_iter()
            .map(|l| {
                Ok(orders::ReturnLine {
                    line_id: parse_id(&l.line_id, "lineId")?,
                    quantity: l.quantity,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        Ok(SalesOrder(
            orders::return_items(deps(ctx)?, tenant(ctx)?, id, lines, input.reason)
                .await
                .gql()?,
        ))
    }

    /// Records money received; an order paid in full is `PAID`.
    async fn record_sales_order_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordSalesOrderPaymentInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        let payment = orders::PaymentInput {
            method: input.method.into(),
            amount: input.amount,
            reference: input.reference,
        };
        Ok(SalesOrder(
            orders::record_payment(deps(ctx)?, tenant(ctx)?, id, payment)
                .await
                .gql()?,
        ))
    }

    /// Records money given back, at most what was paid.
    async fn refund_sales_order(
        &self,
        ctx: &Context<'_>,
        input: RefundSalesOrderInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        let refund = orders::RefundInput {
            method: input.method.into(),
            amount: input.amount,
            reference: input.reference,
            reason: input.reason,
        };
        Ok(SalesOrder(
            orders::refund(deps(ctx)?, tenant(ctx)?, id, refund)
                .await
                .gql()?,
        ))
    }

    /// A Stripe Checkout page for what the order still owes, to send to the customer.
    async fn sales_order_checkout_link(
        &self,
        ctx: &Context<'_>,
        input: ByIdInput,
    ) -> async_graphql::Result<SalesOrder> {
        let id = parse_id(&input.id, "id")?;
        Ok(SalesOrder(
            orders::checkout_link(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Sends an approved template in the conversation the order was taken in. Each
    /// variable may use `{number}`, `{customer}`, `{total}`, `{balance}`, `{status}` and
    /// `{checkoutUrl}`, filled from the order.
    async fn send_sales_order_message(
        &self,
        ctx: &Context<'_>,
        input: SendSalesOrderMessageInput,
    ) -> async_graphql::Result<Message> {
        let id = parse_id(&input.id, "id")?;
        let template = parse_id(&input.template_id, "templateId")?;
        Ok(Message(
            orders::message_customer(deps(ctx)?, tenant(ctx)?, id, template, input.variables)
                .await
                .gql()?,
        ))
    }
}
