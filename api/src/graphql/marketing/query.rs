//! marketing's GraphQL queries.

use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::crm::Contact;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use crate::graphql::messaging::ChannelKind;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::Object;
use tianguis_domain::marketing::campaigns;
use tianguis_domain::marketing::segments;

use crate::graphql::marketing::*;

#[derive(Default)]
pub struct MarketingQuery;

#[Object]
impl MarketingQuery {
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn segments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Segment>> {
        let page = page_request(first, after, last, before)?;
        let page = segments::list(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |s| s.id, Segment))
    }

    async fn segment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Segment> {
        let id = parse_id(&id, "id")?;
        Ok(Segment(
            segments::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// How many contacts the rules choose (reachable on `channelKind`, when given).
    async fn segment_preview(
        &self,
        ctx: &Context<'_>,
        definition: SegmentDefinitionInput,
        channel_kind: Option<ChannelKind>,
    ) -> async_graphql::Result<SegmentPreview> {
        let preview = segments::preview(
            deps(ctx)?,
            tenant(ctx)?,
            self::definition(definition)?,
            channel_kind.map(Into::into),
        )
        .await
        .gql()?;
        Ok(SegmentPreview {
            count: preview.count,
            sample: preview.sample.into_iter().map(Contact).collect(),
        })
    }

    /// Newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Campaign>> {
        let page = page_request(first, after, last, before)?;
        let page = campaigns::list(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, Campaign))
    }

    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Campaign> {
        let id = parse_id(&id, "id")?;
        Ok(Campaign(
            campaigns::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}
