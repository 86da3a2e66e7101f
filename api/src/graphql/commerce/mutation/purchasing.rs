//! Commerce's GraphQL mutations of suppliers, purchase orders and payments to suppliers.

use async_graphql::{Context, Object};
use tianguis_domain::commerce::purchasing;

use crate::graphql::commerce::*;
use crate::graphql::common::{maybe, optional_id};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Default)]
pub struct PurchasingMutation;

#[Object]
impl PurchasingMutation {
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

    /// The purchase order as a PDF, kept among its files; sending it attaches the same PDF.
    async fn render_purchase_order_pdf(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let id = parse_id(&id, "id")?;
        Ok(crate::graphql::documents::PrintedFile(
            purchasing::order_pdf(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Emails a draft to its supplier, with the order as a PDF.
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
