//! Commerce's GraphQL mutations of prepaid cards.

use async_graphql::{Context, Object};
use tianguis_domain::commerce::prepaid;

use crate::graphql::commerce::*;
use crate::graphql::common::optional_id;
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Default)]
pub struct PrepaidMutation;

#[Object]
impl PrepaidMutation {
    /// A Stripe Checkout page where the card's holder loads it by card; its address, to
    /// send or show as a QR code. The top-up lands when Stripe reports the payment.
    async fn prepaid_card_checkout_link(
        &self,
        ctx: &Context<'_>,
        input: PrepaidCardCheckoutInput,
    ) -> async_graphql::Result<String> {
        let card = parse_id(&input.card_id, "cardId")?;
        prepaid::checkout_link(deps(ctx)?, tenant(ctx)?, card, input.amount)
            .await
            .gql()
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
}
