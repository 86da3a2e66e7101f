//! CRM's GraphQL queries.

use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::ContactLoader;
use crate::graphql::loaders::RecentActivitiesLoader;
use crate::graphql::loaders::StageLoader;
use crate::graphql::loaders::UserLoader;
use crate::graphql::loaders::feed;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedObject;
use async_graphql::Object;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::crm::activities;
use tianguis_domain::crm::companies;
use tianguis_domain::crm::contacts;
use tianguis_domain::crm::custom_fields;
use tianguis_domain::crm::dashboard;
use tianguis_domain::crm::leads;
use tianguis_domain::crm::pipelines;
use tianguis_domain::crm::proposals;

use crate::graphql::common::*;
use crate::graphql::crm::*;

#[derive(MergedObject, Default)]
pub struct CrmQuery(pub(crate) RecordsQuery, SalesQuery, ProposalsQuery);

#[derive(Default)]
pub struct ProposalsQuery;

#[Object]
impl ProposalsQuery {
    async fn proposal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Proposal> {
        let id = parse_id(&id, "id")?;
        Ok(Proposal(
            proposals::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProposalFilter>,
        #[graphql(default)] order: RecordOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Proposal>> {
        let f = filter.unwrap_or_default();
        let filter = proposals::ProposalFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            lead_id: optional_id(f.lead_id.as_ref(), "leadId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            search: f.search,
            created_after: f.created_after,
            created_before: f.created_before,
            valid_before: f.valid_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = proposals::list(deps(ctx)?, tenant(ctx)?, filter, order.into(), &page)
            .await
            .gql()?;
        Ok(connection(page, |p| p.id, Proposal))
    }
}

#[derive(Default)]
pub struct RecordsQuery;

#[Object]
impl RecordsQuery {
    async fn contact(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Contact> {
        let id = parse_id(&id, "id")?;
        Ok(Contact(
            contacts::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContactFilter>,
        #[graphql(default)] order: RecordOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Contact>> {
        let f = filter.unwrap_or_default();
        let filter = contacts::ContactFilter {
            search: f.search,
            tags: f.tags.unwrap_or_default(),
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            owner_id: optional_id(f.owner_id.as_ref(), "ownerId")?,
            is_customer: f.is_customer,
            city: f.city,
            custom_fields: custom_filters(f.custom_fields),
            created_after: f.created_after,
            created_before: f.created_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = contacts::list(deps(ctx)?, tenant(ctx)?, filter, order.into(), &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, Contact))
    }

    async fn company(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Company> {
        let id = parse_id(&id, "id")?;
        Ok(Company(
            companies::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        filter: Option<CompanyFilter>,
        #[graphql(default)] order: RecordOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Company>> {
        let f = filter.unwrap_or_default();
        let filter = companies::CompanyFilter {
            search: f.search,
            tags: f.tags.unwrap_or_default(),
            owner_id: optional_id(f.owner_id.as_ref(), "ownerId")?,
            is_customer: f.is_customer,
            rfc: f.rfc,
            custom_fields: custom_filters(f.custom_fields),
            created_after: f.created_after,
            created_before: f.created_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = companies::list(deps(ctx)?, tenant(ctx)?, filter, order.into(), &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, Company))
    }

    /// The business's custom fields, of one record type or all.
    async fn custom_field_definitions(
        &self,
        ctx: &Context<'_>,
        entity: Option<CustomFieldEntity>,
    ) -> async_graphql::Result<Vec<CustomFieldDefinition>> {
        let found = custom_fields::list(deps(ctx)?, tenant(ctx)?, entity.map(Into::into))
            .await
            .gql()?;
        Ok(found.into_iter().map(CustomFieldDefinition).collect())
    }
}

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    async fn pipelines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Pipeline>> {
        Ok(pipelines::list(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Pipeline)
            .collect())
    }

    /// A pipeline, or the default one.
    async fn pipeline(&self, ctx: &Context<'_>, id: Option<ID>) -> async_graphql::Result<Pipeline> {
        let id = optional_id(id.as_ref(), "id")?;
        Ok(Pipeline(
            pipelines::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Lead> {
        let id = parse_id(&id, "id")?;
        Ok(Lead(leads::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?))
    }

    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
        #[graphql(default)] order: LeadOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Lead>> {
        let f = filter.unwrap_or_default();
        let filter = leads::LeadFilter {
            pipeline_id: optional_id(f.pipeline_id.as_ref(), "pipelineId")?,
            stage_ids: ids(f.stage_ids, "stageIds")?,
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            owner_ids: ids(f.owner_ids, "ownerIds")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            sources: f
                .sources
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            min_score: f.min_score,
            max_score: f.max_score,
            tags: f.tags.unwrap_or_default(),
            custom_fields: custom_filters(f.custom_fields),
            created_after: f.created_after,
            created_before: f.created_before,
            close_after: f.close_after,
            close_before: f.close_before,
            follow_up_before: f.follow_up_before,
            search: f.search,
        };
        let order = match order {
            LeadOrder::NewestFirst => leads::LeadOrder::Newest,
            LeadOrder::OldestFirst => leads::LeadOrder::Oldest,
            LeadOrder::RecentlyUpdated => leads::LeadOrder::RecentlyUpdated,
            LeadOrder::HighestValue => leads::LeadOrder::HighestValue,
            LeadOrder::HighestScore => leads::LeadOrder::HighestScore,
        };
        // What the page's nodes will show is read with the page, in its transaction, and
        // handed to the loaders: a page costs the same few statements at any size.
        let node = ctx.look_ahead().field("edges").field("node");
        let include = leads::LeadIncludes {
            contacts: node.field("contact").exists(),
            companies: node.field("company").exists(),
            owners: node.field("owner").exists(),
            stages: node.field("stage").exists(),
            recent_activities: node.field("recentActivities").exists(),
        };
        let page = page_request(first, after, last, before)?;
        let (page, related) =
            leads::list_with(deps(ctx)?, tenant(ctx)?, filter, order, &page, include)
                .await
                .gql()?;
        feed::<ContactLoader>(ctx, related.contacts).await?;
        feed::<CompanyLoader>(ctx, related.companies).await?;
        feed::<UserLoader>(ctx, related.owners).await?;
        feed::<StageLoader>(ctx, related.stages).await?;
        feed::<RecentActivitiesLoader>(ctx, related.recent_activities).await?;
        Ok(connection(page, |l| l.id, Lead))
    }

    /// Activities newest first; overdue tasks most overdue first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Activity>> {
        let f = filter.unwrap_or_default();
        let filter = activities::ActivityFilter {
            kinds: f
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            lead_id: optional_id(f.lead_id.as_ref(), "leadId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(f.company_id.as_ref(), "companyId")?,
            author_id: optional_id(f.author_id.as_ref(), "authorId")?,
            assignee_id: optional_id(f.assignee_id.as_ref(), "assigneeId")?,
            task_state: f.task_state.map(|s| match s {
                TaskState::Open => activities::TaskState::Open,
                TaskState::Done => activities::TaskState::Done,
                TaskState::Overdue => activities::TaskState::Overdue,
            }),
            due_before: f.due_before,
            occurred_after: f.occurred_after,
            occurred_before: f.occurred_before,
        };
        let page = page_request(first, after, last, before)?;
        let page = activities::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |a| a.id, Activity))
    }

    async fn lead_scoring(&self, ctx: &Context<'_>) -> async_graphql::Result<LeadScoring> {
        Ok(leads::get_scoring(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into())
    }

    /// Leads per stage with their value and weighted value.
    async fn pipeline_summary(
        &self,
        ctx: &Context<'_>,
        pipeline_id: Option<ID>,
    ) -> async_graphql::Result<Vec<StageSummary>> {
        let id = optional_id(pipeline_id.as_ref(), "pipelineId")?;
        let summary = dashboard::pipeline_summary(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?;
        Ok(summary
            .into_iter()
            .map(|s| StageSummary {
                stage: Stage(s.stage),
                count: s.count,
                value: s.value.into_iter().map(Money::from).collect(),
                weighted_value: s.weighted_value.into_iter().map(Money::from).collect(),
            })
            .collect())
    }

    /// How far the leads created in [from, to) got, and the win rate of those closed in it.
    async fn conversion_funnel(
        &self,
        ctx: &Context<'_>,
        pipeline_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<ConversionFunnel> {
        let id = optional_id(pipeline_id.as_ref(), "pipelineId")?;
        let f = dashboard::funnel(deps(ctx)?, tenant(ctx)?, id, from, to)
            .await
            .gql()?;
        Ok(ConversionFunnel {
            steps: f
                .steps
                .into_iter()
                .map(|s| FunnelStep {
                    stage: Stage(s.stage),
                    reached: s.reached,
                })
                .collect(),
            created: f.created,
            won: f.won,
            lost: f.lost,
            win_rate: f.win_rate,
        })
    }

    /// Activities per person and kind, and tasks completed, in [from, to).
    async fn activity_by_user(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<Vec<UserActivity>> {
        let rows = dashboard::activity_by_user(deps(ctx)?, tenant(ctx)?, from, to)
            .await
            .gql()?;
        Ok(rows.into_iter().map(UserActivity).collect())
    }

    /// Open tasks past their due date.
    async fn overdue_task_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        dashboard::overdue_task_count(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()
    }
}
