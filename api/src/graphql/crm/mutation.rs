//! CRM's GraphQL mutations.

use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedObject;
use async_graphql::Object;
use tianguis_domain::crm::activities;
use tianguis_domain::crm::companies;
use tianguis_domain::crm::contacts;
use tianguis_domain::crm::custom_fields;
use tianguis_domain::crm::leads;
use tianguis_domain::crm::pipelines;
use tianguis_domain::crm::proposals;

use crate::graphql::common::*;
use crate::graphql::crm::*;

#[derive(MergedObject, Default)]
pub struct CrmMutation(pub(crate) RecordsMutation, SalesMutation, ProposalsMutation);

#[derive(Default)]
pub struct ProposalsMutation;

#[Object]
impl ProposalsMutation {
    /// Creates a draft with the series' next number.
    async fn create_proposal(
        &self,
        ctx: &Context<'_>,
        input: CreateProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let cmd = proposals::ProposalInput {
            title: Some(input.title),
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?.map(Some),
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?.map(Some),
            company_id: optional_id(input.company_id.as_ref(), "companyId")?.map(Some),
            currency: input.currency,
            valid_until: input.valid_until,
            notes: input.notes,
            items: Some(item_inputs(input.items)?),
        };
        Ok(Proposal(
            proposals::create(deps(ctx)?, tenant(ctx)?, cmd, input.series)
                .await
                .gql()?,
        ))
    }

    /// Changes a draft.
    async fn update_proposal(
        &self,
        ctx: &Context<'_>,
        input: UpdateProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let cmd = proposals::ProposalInput {
            title: input.title,
            lead_id: maybe_id(input.lead_id, "leadId")?,
            contact_id: maybe_id(input.contact_id, "contactId")?,
            company_id: maybe_id(input.company_id, "companyId")?,
            currency: input.currency,
            valid_until: input.valid_until,
            notes: input.notes,
            items: input.items.map(item_inputs).transpose()?,
        };
        Ok(Proposal(
            proposals::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Emails the customer a link to the proposal's public page (a new link each time).
    async fn send_proposal(
        &self,
        ctx: &Context<'_>,
        input: SendProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        Ok(Proposal(
            proposals::send(deps(ctx)?, tenant(ctx)?, id, input.to)
                .await
                .gql()?,
        ))
    }

    /// The proposal as a PDF (the business, the customer, the items and totals), kept among
    /// the proposal's files; download it with `fileDownloadUrl`. Sending a proposal attaches
    /// the same PDF to the email.
    async fn render_proposal_pdf(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let id = parse_id(&id, "id")?;
        Ok(crate::graphql::documents::PrintedFile(
            proposals::pdf(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Records that the customer accepted (told the team directly).
    async fn accept_proposal(
        &self,
        ctx: &Context<'_>,
        input: AcceptProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let answer = proposals::Answer::Accept {
            name: input.accepted_by,
        };
        Ok(Proposal(
            proposals::record_answer(deps(ctx)?, tenant(ctx)?, id, answer)
                .await
                .gql()?,
        ))
    }

    /// Records that the customer rejected.
    async fn reject_proposal(
        &self,
        ctx: &Context<'_>,
        input: RejectProposalInput,
    ) -> async_graphql::Result<Proposal> {
        let id = parse_id(&input.id, "id")?;
        let answer = proposals::Answer::Reject {
            reason: input.reason,
        };
        Ok(Proposal(
            proposals::record_answer(deps(ctx)?, tenant(ctx)?, id, answer)
                .await
                .gql()?,
        ))
    }
}

#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        input: CreateContactInput,
    ) -> async_graphql::Result<Contact> {
        let fields = contacts::ContactInput {
            first_name: Some(input.first_name),
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            rfc: input.rfc,
            job_title: input.job_title,
            city: input.city,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?.map(Some),
            owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?,
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Contact(
            contacts::create(deps(ctx)?, tenant(ctx)?, fields, input.allow_duplicate)
                .await
                .gql()?,
        ))
    }

    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdateContactInput,
    ) -> async_graphql::Result<Contact> {
        let id = parse_id(&input.id, "id")?;
        let fields = contacts::ContactInput {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            rfc: input.rfc,
            job_title: input.job_title,
            city: input.city,
            company_id: maybe_id(input.company_id, "companyId")?,
            owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?,
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Contact(
            contacts::update(deps(ctx)?, tenant(ctx)?, id, fields)
                .await
                .gql()?,
        ))
    }

    /// Deletes a contact with its activities; leads and proposals keep their other party.
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        input: DeleteRecordInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(contacts::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Moves everything of one contact to another and deletes the first.
    async fn merge_contacts(
        &self,
        ctx: &Context<'_>,
        input: MergeContactsInput,
    ) -> async_graphql::Result<Contact> {
        let survivor = parse_id(&input.survivor_id, "survivorId")?;
        let merged = parse_id(&input.merged_id, "mergedId")?;
        Ok(Contact(
            contacts::merge(deps(ctx)?, tenant(ctx)?, survivor, merged)
                .await
                .gql()?,
        ))
    }

    async fn create_company(
        &self,
        ctx: &Context<'_>,
        input: CreateCompanyInput,
    ) -> async_graphql::Result<Company> {
        let fields = companies::CompanyInput {
            name: Some(input.name),
            legal_name: input.legal_name,
            rfc: input.rfc,
            tax_regime: input.tax_regime,
            postal_code: input.postal_code,
            email: input.email,
            phone: input.phone,
            website: input.website,
            city: input.city,
            owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?,
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Company(
            companies::create(deps(ctx)?, tenant(ctx)?, fields, input.allow_duplicate)
                .await
                .gql()?,
        ))
    }

    async fn update_company(
        &self,
        ctx: &Context<'_>,
        input: UpdateCompanyInput,
    ) -> async_graphql::Result<Company> {
        let id = parse_id(&input.id, "id")?;
        let fields = companies::CompanyInput {
            name: input.name,
            legal_name: input.legal_name,
            rfc: input.rfc,
            tax_regime: input.tax_regime,
            postal_code: input.postal_code,
            email: input.email,
            phone: input.phone,
            website: input.website,
            city: input.city,
            owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?,
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Company(
            companies::update(deps(ctx)?, tenant(ctx)?, id, fields)
                .await
                .gql()?,
        ))
    }

    async fn delete_company(
        &self,
        ctx: &Context<'_>,
        input: DeleteRecordInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(companies::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    async fn create_custom_field(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomFieldInput,
    ) -> async_graphql::Result<CustomFieldDefinition> {
        let def = custom_fields::NewDefinition {
            entity: input.entity.into(),
            key: input.key,
            label: input.label,
            kind: input.kind.into(),
            options: input.options.unwrap_or_default(),
            required: input.required,
            position: input.position,
        };
        Ok(CustomFieldDefinition(
            custom_fields::create(deps(ctx)?, tenant(ctx)?, def)
                .await
                .gql()?,
        ))
    }

    async fn update_custom_field(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomFieldInput,
    ) -> async_graphql::Result<CustomFieldDefinition> {
        let id = parse_id(&input.id, "id")?;
        let update = custom_fields::DefinitionUpdate {
            label: input.label,
            options: input.options,
            required: input.required,
            position: input.position,
        };
        Ok(CustomFieldDefinition(
            custom_fields::update(deps(ctx)?, tenant(ctx)?, id, update)
                .await
                .gql()?,
        ))
    }

    async fn delete_custom_field(
        &self,
        ctx: &Context<'_>,
        input: DeleteRecordInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(custom_fields::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }
}

#[derive(Default)]
pub struct SalesMutation;

#[Object]
impl SalesMutation {
    async fn create_pipeline(
        &self,
        ctx: &Context<'_>,
        input: CreatePipelineInput,
    ) -> async_graphql::Result<Pipeline> {
        let stages = stage_inputs(input.stages)?;
        Ok(Pipeline(
            pipelines::create(deps(ctx)?, tenant(ctx)?, input.name, stages)
                .await
                .gql()?,
        ))
    }

    async fn update_pipeline(
        &self,
        ctx: &Context<'_>,
        input: UpdatePipelineInput,
    ) -> async_graphql::Result<Pipeline> {
        let id = parse_id(&input.id, "id")?;
        let stages = input.stages.map(stage_inputs).transpose()?;
        let move_to = input.move_leads_to.map(|i| i.max(0) as usize);
        Ok(Pipeline(
            pipelines::update(deps(ctx)?, tenant(ctx)?, id, input.name, stages, move_to)
                .await
                .gql()?,
        ))
    }

    async fn create_lead(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadInput,
    ) -> async_graphql::Result<Lead> {
        let cmd = leads::NewLead {
            fields: leads::LeadInput {
                title: Some(input.title),
                contact_id: Some(optional_id(input.contact_id.as_ref(), "contactId")?),
                company_id: Some(optional_id(input.company_id.as_ref(), "companyId")?),
                source: Some(input.source.into()),
                owner_id: optional_id(input.owner_id.as_ref(), "ownerId")?.map(Some),
                value: input.value,
                currency: input.currency,
                expected_close_on: input.expected_close_on.map(Some),
                next_follow_up_at: input.next_follow_up_at.map(Some),
                tags: input.tags,
                custom_fields: input.custom_fields.map(|j| j.0),
            },
            pipeline_id: optional_id(input.pipeline_id.as_ref(), "pipelineId")?,
            stage_id: optional_id(input.stage_id.as_ref(), "stageId")?,
            attribution: Default::default(),
        };
        Ok(Lead(
            leads::create(deps(ctx)?, tenant(ctx)?, cmd).await.gql()?,
        ))
    }

    async fn update_lead(
        &self,
        ctx: &Context<'_>,
        input: UpdateLeadInput,
    ) -> async_graphql::Result<Lead> {
        let id = parse_id(&input.id, "id")?;
        let fields = leads::LeadInput {
            title: input.title,
            contact_id: maybe_id(input.contact_id, "contactId")?,
            company_id: maybe_id(input.company_id, "companyId")?,
            source: input.source.map(Into::into),
            owner_id: maybe_id(input.owner_id, "ownerId")?,
            value: input.value,
            currency: input.currency,
            expected_close_on: maybe(input.expected_close_on),
            next_follow_up_at: maybe(input.next_follow_up_at),
            tags: input.tags,
            custom_fields: input.custom_fields.map(|j| j.0),
        };
        Ok(Lead(
            leads::update(deps(ctx)?, tenant(ctx)?, id, fields)
                .await
                .gql()?,
        ))
    }

    /// Moves a lead to a stage; a won stage makes its contact and company customers.
    async fn move_lead(
        &self,
        ctx: &Context<'_>,
        input: MoveLeadInput,
    ) -> async_graphql::Result<Lead> {
        let id = parse_id(&input.id, "id")?;
        let stage = parse_id(&input.stage_id, "stageId")?;
        Ok(Lead(
            leads::move_to_stage(deps(ctx)?, tenant(ctx)?, id, stage, input.lost_reason)
                .await
                .gql()?,
        ))
    }

    async fn delete_lead(
        &self,
        ctx: &Context<'_>,
        input: DeleteByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(leads::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Logs a call, email, meeting, WhatsApp message or note, or creates a task.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: LogActivityInput,
    ) -> async_graphql::Result<Activity> {
        let cmd = activities::ActivityInput {
            kind: Some(input.kind.into()),
            subject: Some(input.subject),
            body: input.body,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?,
            assignee_id: Some(optional_id(input.assignee_id.as_ref(), "assigneeId")?),
            due_at: Some(input.due_at),
            occurred_at: input.occurred_at,
        };
        Ok(Activity(
            activities::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        input: UpdateActivityInput,
    ) -> async_graphql::Result<Activity> {
        let id = parse_id(&input.id, "id")?;
        let cmd = activities::ActivityInput {
            kind: None,
            subject: input.subject,
            body: input.body,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            company_id: optional_id(input.company_id.as_ref(), "companyId")?,
            lead_id: optional_id(input.lead_id.as_ref(), "leadId")?,
            assignee_id: maybe_id(input.assignee_id, "assigneeId")?,
            due_at: maybe(input.due_at),
            occurred_at: input.occurred_at,
        };
        Ok(Activity(
            activities::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Marks a task done, or open again.
    async fn set_task_done(
        &self,
        ctx: &Context<'_>,
        input: SetTaskDoneInput,
    ) -> async_graphql::Result<Activity> {
        let id = parse_id(&input.id, "id")?;
        Ok(Activity(
            activities::set_done(deps(ctx)?, tenant(ctx)?, id, input.done)
                .await
                .gql()?,
        ))
    }

    async fn delete_activity(
        &self,
        ctx: &Context<'_>,
        input: DeleteByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(activities::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Replaces the scoring configuration; every open lead is rescored in the background.
    async fn set_lead_scoring(
        &self,
        ctx: &Context<'_>,
        input: LeadScoring,
    ) -> async_graphql::Result<LeadScoring> {
        Ok(leads::set_scoring(deps(ctx)?, tenant(ctx)?, input.into())
            .await
            .gql()?
            .into())
    }
}
