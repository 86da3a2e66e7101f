//! marketing's GraphQL mutations.

use crate::graphql::common::optional_id;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::Object;
use tianguis_domain::marketing::campaigns;
use tianguis_domain::marketing::segments;

use crate::graphql::marketing::*;

#[derive(Default)]
pub struct MarketingMutation;

#[Object]
impl MarketingMutation {
    async fn create_segment(
        &self,
        ctx: &Context<'_>,
        input: CreateSegmentInput,
    ) -> async_graphql::Result<Segment> {
        let cmd = segments::SegmentInput {
            name: input.name,
            is_static: input.r#static,
            definition: definition(input.definition)?,
        };
        Ok(Segment(
            segments::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_segment(
        &self,
        ctx: &Context<'_>,
        input: UpdateSegmentInput,
    ) -> async_graphql::Result<Segment> {
        let id = parse_id(&input.id, "id")?;
        let definition = input.definition.map(definition).transpose()?;
        Ok(Segment(
            segments::update(deps(ctx)?, tenant(ctx)?, id, input.name, definition)
                .await
                .gql()?,
        ))
    }

    /// Freezes a static segment's members again from its rules.
    async fn refreeze_segment(
        &self,
        ctx: &Context<'_>,
        input: SegmentRef,
    ) -> async_graphql::Result<Segment> {
        let id = parse_id(&input.id, "id")?;
        Ok(Segment(
            segments::refreeze(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let cmd = campaigns::CampaignInput {
            name: Some(input.name),
            channel_id: Some(parse_id(&input.channel_id, "channelId")?),
            segment_id: Some(parse_id(&input.segment_id, "segmentId")?),
            subject: input.subject,
            body: input.body,
            template_id: optional_id(input.template_id.as_ref(), "templateId")?.map(Some),
            template_variables: input.template_variables,
            batch_size: input.batch_size,
        };
        Ok(Campaign(
            campaigns::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft or scheduled campaign.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        input: UpdateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        let cmd = campaigns::CampaignInput {
            name: input.name,
            channel_id: optional_id(input.channel_id.as_ref(), "channelId")?,
            segment_id: optional_id(input.segment_id.as_ref(), "segmentId")?,
            subject: input.subject,
            body: input.body,
            template_id: optional_id(input.template_id.as_ref(), "templateId")?.map(Some),
            template_variables: input.template_variables,
            batch_size: input.batch_size,
        };
        Ok(Campaign(
            campaigns::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Starts the campaign by itself at `at`.
    async fn schedule_campaign(
        &self,
        ctx: &Context<'_>,
        input: ScheduleCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        Ok(Campaign(
            campaigns::schedule(deps(ctx)?, tenant(ctx)?, id, input.at)
                .await
                .gql()?,
        ))
    }

    /// Freezes the recipients and starts sending now.
    async fn start_campaign(
        &self,
        ctx: &Context<'_>,
        input: CampaignRef,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        Ok(Campaign(
            campaigns::start(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn pause_campaign(
        &self,
        ctx: &Context<'_>,
        input: CampaignRef,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        Ok(Campaign(
            campaigns::pause(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn resume_campaign(
        &self,
        ctx: &Context<'_>,
        input: CampaignRef,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        Ok(Campaign(
            campaigns::resume(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Cancels before or during the send; recipients not yet sent are skipped.
    async fn cancel_campaign(
        &self,
        ctx: &Context<'_>,
        input: CampaignRef,
    ) -> async_graphql::Result<Campaign> {
        let id = parse_id(&input.id, "id")?;
        Ok(Campaign(
            campaigns::cancel(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }
}
