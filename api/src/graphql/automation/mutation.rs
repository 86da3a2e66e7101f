//! automation's GraphQL mutations.

use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::Object;
use tianguis_domain::automation::workflows::{self, runs, testing};
use tianguis_domain::automation::{forms, webhooks};

use crate::graphql::automation::*;

#[derive(Default)]
pub struct AutomationMutation;

#[Object]
impl AutomationMutation {
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreateWebhookEndpointPayload> {
        let cmd = webhooks::EndpointInput {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
        };
        let created = webhooks::create_endpoint(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?;
        Ok(CreateWebhookEndpointPayload {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        })
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let id = parse_id(&input.id, "id")?;
        let cmd = webhooks::EndpointUpdate {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
            enabled: input.enabled,
        };
        Ok(webhooks::update_endpoint(deps(ctx)?, tenant(ctx)?, id, cmd)
            .await
            .gql()?
            .into())
    }

    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(webhooks::delete_endpoint(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Sends a delivery again now.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: WebhookIdInput,
    ) -> async_graphql::Result<WebhookDelivery> {
        let id = parse_id(&input.id, "id")?;
        Ok(webhooks::redeliver(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Creates a public form: its page, embed code and JSON endpoint are on the result.
    async fn create_form(
        &self,
        ctx: &Context<'_>,
        input: CreateFormInput,
    ) -> async_graphql::Result<Form> {
        Ok(Form(
            forms::create(deps(ctx)?, tenant(ctx)?, input.into())
                .await
                .gql()?,
        ))
    }

    /// Changes a form; an empty text clears a text setting.
    async fn update_form(
        &self,
        ctx: &Context<'_>,
        input: UpdateFormInput,
    ) -> async_graphql::Result<Form> {
        let id = parse_id(&input.id, "id")?;
        Ok(Form(
            forms::update(deps(ctx)?, tenant(ctx)?, id, input.into())
                .await
                .gql()?,
        ))
    }

    /// Deletes a form and its submissions; the contacts and leads they made stay.
    async fn delete_form(
        &self,
        ctx: &Context<'_>,
        input: FormIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(forms::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Creates a workflow; a webhook trigger's secret URL is in the payload, only here.
    async fn create_workflow(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkflowInput,
    ) -> async_graphql::Result<WorkflowPayload> {
        let cmd = workflows::WorkflowInput {
            name: input.name,
            enabled: input.enabled,
            definition: definition(&input.definition)?,
        };
        Ok(workflows::create(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?
            .into())
    }

    /// Saves a change as the next version.
    async fn update_workflow(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkflowInput,
    ) -> async_graphql::Result<WorkflowPayload> {
        let id = parse_id(&input.id, "id")?;
        let changes = workflows::WorkflowChanges {
            name: input.name,
            definition: input.definition.as_ref().map(definition).transpose()?,
        };
        Ok(workflows::update(deps(ctx)?, tenant(ctx)?, id, changes)
            .await
            .gql()?
            .into())
    }

    async fn set_workflow_enabled(
        &self,
        ctx: &Context<'_>,
        input: SetWorkflowEnabledInput,
    ) -> async_graphql::Result<Workflow> {
        let id = parse_id(&input.id, "id")?;
        Ok(Workflow(
            workflows::set_enabled(deps(ctx)?, tenant(ctx)?, id, input.enabled)
                .await
                .gql()?,
        ))
    }

    /// A new secret URL for a webhook-triggered workflow; the old one stops working.
    async fn rotate_workflow_webhook(
        &self,
        ctx: &Context<'_>,
        input: WorkflowIdInput,
    ) -> async_graphql::Result<WorkflowPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(
            workflows::rotate_webhook_secret(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?
                .into(),
        )
    }

    /// Deletes a workflow with its versions and runs.
    async fn delete_workflow(
        &self,
        ctx: &Context<'_>,
        input: WorkflowIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(workflows::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Runs a definition against a sample event without doing anything, and says what
    /// each step would do.
    async fn test_workflow(
        &self,
        ctx: &Context<'_>,
        input: TestWorkflowInput,
    ) -> async_graphql::Result<WorkflowTest> {
        let sample = testing::SampleEvent {
            event_type: input.sample.event_type,
            subject: input.sample.subject,
            data: input
                .sample
                .data
                .map_or_else(|| serde_json::json!({}), |d| d.0),
            contact_id: input
                .sample
                .contact_id
                .as_ref()
                .map(|id| parse_id(id, "contactId"))
                .transpose()?,
            lead_id: input
                .sample
                .lead_id
                .as_ref()
                .map(|id| parse_id(id, "leadId"))
                .transpose()?,
        };
        Ok(testing::test(
            deps(ctx)?,
            tenant(ctx)?,
            definition(&input.definition)?,
            sample,
        )
        .await
        .gql()?
        .into())
    }

    /// Runs a failed run's failed step again, and on from there.
    async fn retry_workflow_run(
        &self,
        ctx: &Context<'_>,
        input: WorkflowIdInput,
    ) -> async_graphql::Result<WorkflowRun> {
        let id = parse_id(&input.id, "id")?;
        Ok(WorkflowRun(
            runs::retry(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn cancel_workflow_run(
        &self,
        ctx: &Context<'_>,
        input: WorkflowIdInput,
    ) -> async_graphql::Result<WorkflowRun> {
        let id = parse_id(&input.id, "id")?;
        Ok(WorkflowRun(
            runs::cancel(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

/// The input's definition in the domain's terms: the input serialises to the JSON the
/// domain reads.
fn definition(input: &WorkflowDefinitionInput) -> async_graphql::Result<workflows::Definition> {
    serde_json::to_value(input)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            crate::graphql::error::to_graphql(tianguis_domain::Error::invalid(
                "definition",
                e.to_string(),
            ))
        })
}
