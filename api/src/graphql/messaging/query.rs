//! messaging's GraphQL queries.

use crate::graphql::common::optional_id;
use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::Object;
use tianguis_domain::messaging::channels;
use tianguis_domain::messaging::conversations;
use tianguis_domain::messaging::templates;

use crate::graphql::messaging::*;

#[derive(Default)]
pub struct MessagingQuery;

#[Object]
impl MessagingQuery {
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        Ok(channels::list(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Channel)
            .collect())
    }

    /// The inbox: most recent activity first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ConversationFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Conversation>> {
        let f = filter.unwrap_or_default();
        let filter = conversations::ConversationFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            channel_id: optional_id(f.channel_id.as_ref(), "channelId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            assignee_id: optional_id(f.assignee_id.as_ref(), "assigneeId")?,
            unassigned: f.unassigned,
            label: f.label,
            unread_only: f.unread_only,
        };
        let page = page_request(first, after, last, before)?;
        let page = conversations::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, Conversation))
    }

    async fn conversation(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Conversation> {
        let id = parse_id(&id, "id")?;
        Ok(Conversation(
            conversations::get(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    async fn message_templates(
        &self,
        ctx: &Context<'_>,
        channel_id: Option<ID>,
    ) -> async_graphql::Result<Vec<MessageTemplate>> {
        let channel = optional_id(channel_id.as_ref(), "channelId")?;
        Ok(templates::list(deps(ctx)?, tenant(ctx)?, channel)
            .await
            .gql()?
            .into_iter()
            .map(MessageTemplate)
            .collect())
    }

    async fn message_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&id, "id")?;
        Ok(MessageTemplate(
            templates::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}
