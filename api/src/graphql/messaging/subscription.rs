//! messaging's GraphQL subscriptions.

use crate::graphql::common::optional_id;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::to_graphql;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::Subscription;
use futures_util::Stream;
use futures_util::StreamExt;
use tianguis_domain::Permission;
use tianguis_domain::messaging;

use crate::graphql::messaging::*;

#[derive(Default)]
pub struct MessagingSubscription;

#[Subscription]
impl MessagingSubscription {
    /// The business's inbox as it changes, on any replica: new messages, delivery statuses,
    /// conversation changes; only one conversation's when given.
    async fn inbox_changed(
        &self,
        ctx: &Context<'_>,
        conversation_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = InboxEvent> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::MessagingRead).gql()?;
        let only = optional_id(conversation_id.as_ref(), "conversationId")?;
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&messaging::topic(caller.tenant_id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(move |payload| async move {
            let event = serde_json::from_slice::<messaging::InboxEvent>(&payload).ok()?;
            if only.is_some_and(|id| id != event.conversation_id) {
                return None;
            }
            Some(InboxEvent {
                change: event.change.into(),
                conversation_id: event.conversation_id,
                message_id: event.message_id,
            })
        }))
    }
}
