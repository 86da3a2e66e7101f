//! CRM's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Json;
use async_graphql::MaybeUndefined;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use rust_decimal::Decimal;

use crate::graphql::crm::*;

#[derive(InputObject, Default)]
pub struct ProposalFilter {
    pub statuses: Option<Vec<ProposalStatus>>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Number or title.
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Valid until a day before this one.
    pub valid_before: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ProposalItemInput {
    /// The catalogue product the line is for, if any.
    pub product_id: Option<ID>,
    pub description: String,
    /// Greater than zero; up to 6 decimals.
    pub quantity: Decimal,
    /// Up to 6 decimals.
    pub unit_price: Decimal,
    /// An amount off the line.
    pub discount: Option<Decimal>,
    #[graphql(default_with = "TaxRate::Iva16")]
    pub tax_rate: TaxRate,
    #[graphql(default)]
    pub withholdings: Vec<Withholding>,
}

#[derive(InputObject)]
pub struct CreateProposalInput {
    pub title: String,
    /// The proposal's contact and company default to the lead's.
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Defaults to the business's currency.
    pub currency: Option<String>,
    /// Defaults to 30 days from today.
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
    /// The numbering series, such as COT (the default): COT-2026-0001.
    pub series: Option<String>,
    pub items: Vec<ProposalItemInput>,
}

#[derive(InputObject)]
pub struct UpdateProposalInput {
    pub id: ID,
    pub title: Option<String>,
    pub lead_id: MaybeUndefined<ID>,
    pub contact_id: MaybeUndefined<ID>,
    pub company_id: MaybeUndefined<ID>,
    /// Changing the currency needs the items again.
    pub currency: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Replace the items.
    pub items: Option<Vec<ProposalItemInput>>,
}

#[derive(InputObject)]
pub struct SendProposalInput {
    pub id: ID,
    /// Defaults to the contact's email.
    pub to: Option<String>,
}

#[derive(InputObject)]
pub struct AcceptProposalInput {
    pub id: ID,
    /// Who accepted for the customer.
    pub accepted_by: String,
}

#[derive(InputObject)]
pub struct RejectProposalInput {
    pub id: ID,
    pub reason: Option<String>,
}

/// A condition on one custom field: equal to a value, or within a range (number and date
/// fields, bounds included).
#[derive(InputObject, Clone)]
pub struct CustomFieldFilter {
    pub key: String,
    pub equals: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ContactFilter {
    /// Name, email, phone, RFC or the company's name.
    pub search: Option<String>,
    /// Contacts holding every one of these tags.
    pub tags: Option<Vec<String>>,
    pub company_id: Option<ID>,
    pub owner_id: Option<ID>,
    pub is_customer: Option<bool>,
    pub city: Option<String>,
    pub custom_fields: Option<Vec<CustomFieldFilter>>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct CompanyFilter {
    /// Name, legal name, email, phone or RFC.
    pub search: Option<String>,
    pub tags: Option<Vec<String>>,
    pub owner_id: Option<ID>,
    pub is_customer: Option<bool>,
    pub rfc: Option<String>,
    pub custom_fields: Option<Vec<CustomFieldFilter>>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateContactInput {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Any common spelling; stored as E.164. National numbers are read in the business's country.
    pub phone: Option<String>,
    pub rfc: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
    pub company_id: Option<ID>,
    /// Defaults to the person creating the contact.
    pub owner_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    /// Values of custom fields by key.
    pub custom_fields: Option<Json<serde_json::Value>>,
    /// Create even if a contact with the same email, phone or RFC exists (otherwise CONFLICT
    /// with `extensions.existingId`).
    #[graphql(default)]
    pub allow_duplicate: bool,
}

#[derive(InputObject)]
pub struct UpdateContactInput {
    pub id: ID,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// An empty string clears it.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub rfc: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
    /// Null detaches the contact from its company.
    pub company_id: MaybeUndefined<ID>,
    pub owner_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    /// Keys given replace their values; a null value removes one.
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct MergeContactsInput {
    /// The contact that remains.
    pub survivor_id: ID,
    /// The contact folded into the survivor and deleted.
    pub merged_id: ID,
}

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub name: String,
    pub legal_name: Option<String>,
    pub rfc: Option<String>,
    /// SAT c_RegimenFiscal code, such as 601.
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
    #[graphql(default)]
    pub allow_duplicate: bool,
}

#[derive(InputObject)]
pub struct UpdateCompanyInput {
    pub id: ID,
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub rfc: Option<String>,
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct DeleteRecordInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct CreateCustomFieldInput {
    pub entity: CustomFieldEntity,
    /// Lower-case letters, digits and _, such as `tipo_de_negocio`.
    pub key: String,
    pub label: String,
    pub kind: CustomFieldKind,
    /// The allowed values of a select field.
    pub options: Option<Vec<String>>,
    #[graphql(default)]
    pub required: bool,
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateCustomFieldInput {
    pub id: ID,
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub position: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct LeadFilter {
    pub pipeline_id: Option<ID>,
    pub stage_ids: Option<Vec<ID>>,
    pub statuses: Option<Vec<LeadStatus>>,
    pub owner_ids: Option<Vec<ID>>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub sources: Option<Vec<LeadSource>>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// Leads holding every one of these tags.
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Vec<CustomFieldFilter>>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Expected to close on or after this day.
    pub close_after: Option<NaiveDate>,
    /// Expected to close on or before this day.
    pub close_before: Option<NaiveDate>,
    /// A follow-up planned before this time.
    pub follow_up_before: Option<DateTime<Utc>>,
    /// The title, the contact's name, email or phone, or the company's name.
    pub search: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ActivityFilter {
    pub kinds: Option<Vec<ActivityKind>>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub author_id: Option<ID>,
    pub assignee_id: Option<ID>,
    /// Only tasks in this state.
    pub task_state: Option<TaskState>,
    pub due_before: Option<DateTime<Utc>>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct StageInput {
    /// An existing stage to keep; absent for a new one.
    pub id: Option<ID>,
    pub name: String,
    /// Win probability in percent.
    pub probability: i32,
    #[graphql(default_with = "StageOutcome::Open")]
    pub outcome: StageOutcome,
}

#[derive(InputObject)]
pub struct CreatePipelineInput {
    pub name: String,
    /// In order; one won and one lost stage at least.
    pub stages: Vec<StageInput>,
}

#[derive(InputObject)]
pub struct UpdatePipelineInput {
    pub id: ID,
    pub name: Option<String>,
    /// The new stages in order; stages left out are deleted.
    pub stages: Option<Vec<StageInput>>,
    /// Where the leads of deleted stages go: an index into `stages`.
    pub move_leads_to: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateLeadInput {
    pub title: String,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    #[graphql(default_with = "LeadSource::Other")]
    pub source: LeadSource,
    /// Defaults to the person creating the lead.
    pub owner_id: Option<ID>,
    /// Expected value in `currency` (the business's by default).
    pub value: Option<Decimal>,
    pub currency: Option<String>,
    pub expected_close_on: Option<NaiveDate>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// Defaults to the default pipeline.
    pub pipeline_id: Option<ID>,
    /// Defaults to the pipeline's first stage.
    pub stage_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct UpdateLeadInput {
    pub id: ID,
    pub title: Option<String>,
    pub contact_id: MaybeUndefined<ID>,
    pub company_id: MaybeUndefined<ID>,
    pub source: Option<LeadSource>,
    pub owner_id: MaybeUndefined<ID>,
    pub value: Option<Decimal>,
    pub currency: Option<String>,
    pub expected_close_on: MaybeUndefined<NaiveDate>,
    pub next_follow_up_at: MaybeUndefined<DateTime<Utc>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct MoveLeadInput {
    pub id: ID,
    pub stage_id: ID,
    /// Required when the stage's outcome is LOST.
    pub lost_reason: Option<String>,
}

#[derive(InputObject)]
pub struct LogActivityInput {
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    /// At least one of lead, contact and company. A lead's contact and company are filled in.
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    /// Tasks: who does it (defaults to the creator).
    pub assignee_id: Option<ID>,
    /// Tasks: when it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// When it happened; defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct UpdateActivityInput {
    pub id: ID,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub lead_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub assignee_id: MaybeUndefined<ID>,
    pub due_at: MaybeUndefined<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct SetTaskDoneInput {
    pub id: ID,
    #[graphql(default = true)]
    pub done: bool,
}

#[derive(InputObject)]
pub struct DeleteByIdInput {
    pub id: ID,
}
