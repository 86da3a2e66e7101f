//! automation's GraphQL queries.

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
use tianguis_domain::automation::workflows::{self, runs};
use tianguis_domain::automation::{forms, webhooks};

use crate::graphql::automation::*;

#[derive(Default)]
pub struct AutomationQuery;

#[Object]
impl AutomationQuery {
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookEndpoint>> {
        let page = page_request(first, after, last, before)?;
        let page = webhooks::list_endpoints(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |e| e.id, WebhookEndpoint::from))
    }

    /// The delivery log, newest first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WebhookDelivery>> {
        let endpoint = endpoint_id
            .as_ref()
            .map(|id| parse_id(id, "endpointId"))
            .transpose()?;
        let page = page_request(first, after, last, before)?;
        let status = status.map(Into::into);
        let page = webhooks::list_deliveries(deps(ctx)?, tenant(ctx)?, endpoint, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |d| d.id, WebhookDelivery::from))
    }

    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn workflows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Workflow>> {
        let page = page_request(first, after, last, before)?;
        let page = workflows::list(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |w| w.id, Workflow))
    }

    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn forms(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Form>> {
        let page = page_request(first, after, last, before)?;
        let page = forms::list(deps(ctx)?, tenant(ctx)?, &page).await.gql()?;
        Ok(connection(page, |f| f.id, Form))
    }

    async fn form(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Form> {
        let id = parse_id(&id, "id")?;
        Ok(Form(forms::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?))
    }

    /// Submissions, newest first; of one form when `formId` is given.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn form_submissions(
        &self,
        ctx: &Context<'_>,
        form_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<FormSubmission>> {
        let form_id = form_id
            .as_ref()
            .map(|id| parse_id(id, "formId"))
            .transpose()?;
        let page = page_request(first, after, last, before)?;
        let page = forms::submissions(deps(ctx)?, tenant(ctx)?, form_id, &page)
            .await
            .gql()?;
        Ok(connection(page, |s| s.id, FormSubmission))
    }

    async fn workflow(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Workflow> {
        let id = parse_id(&id, "id")?;
        Ok(Workflow(
            workflows::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Runs, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn workflow_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: WorkflowRunFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<WorkflowRun>> {
        let filter = runs::RunFilter {
            workflow_id: filter
                .workflow_id
                .as_ref()
                .map(|id| parse_id(id, "workflowId"))
                .transpose()?,
            status: filter.status.map(Into::into),
            contact_id: filter
                .contact_id
                .as_ref()
                .map(|id| parse_id(id, "contactId"))
                .transpose()?,
            since: filter.since,
        };
        let page = page_request(first, after, last, before)?;
        let page = runs::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |r| r.id, WorkflowRun))
    }

    async fn workflow_run(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WorkflowRun> {
        let id = parse_id(&id, "id")?;
        Ok(WorkflowRun(
            runs::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}
