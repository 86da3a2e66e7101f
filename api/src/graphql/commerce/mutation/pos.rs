//! Commerce's GraphQL mutations of the till: registers, cash sessions, tickets and returns.

use async_graphql::{Context, Object};
use tianguis_domain::commerce::pos;

use crate::graphql::commerce::*;
use crate::graphql::common::optional_id;
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{TicketLinesLoader, TicketPaymentsLoader, feed};

#[derive(Default)]
pub struct PosMutation;

#[Object]
impl PosMutation {
    /// The ticket's receipt as a PDF on an 80 mm roll (the printer's text), kept among the
    /// ticket's files: for a customer who asks for it by email or WhatsApp.
    async fn render_ticket_receipt_pdf(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let id = parse_id(&id, "id")?;
        Ok(crate::graphql::documents::PrintedFile(
            pos::receipt_pdf(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
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
            price_list_id: optional_id(input.price_list_id.as_ref(), "priceListId")?,
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
}

/// A ticket as recorded: its lines and payments go to the request's loaders, so the
/// answer costs no further statement.
async fn recorded(ctx: &Context<'_>, r: pos::Recorded) -> async_graphql::Result<Ticket> {
    feed::<TicketLinesLoader>(ctx, [(r.ticket.id, r.lines)]).await?;
    feed::<TicketPaymentsLoader>(ctx, [(r.ticket.id, r.payments)]).await?;
    Ok(Ticket(r.ticket))
}
