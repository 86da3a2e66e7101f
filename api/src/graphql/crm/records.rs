//! Contacts, companies and custom field definitions.

use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use tianguis_domain::crm::{companies, contacts, custom_fields};
use tianguis_domain::page::SortDirection;

use super::types::{Company, Contact, CustomFieldDefinition, CustomFieldEntity, CustomFieldKind};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum RecordOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

impl From<RecordOrder> for SortDirection {
    fn from(o: RecordOrder) -> Self {
        match o {
            RecordOrder::NewestFirst => SortDirection::Desc,
            RecordOrder::OldestFirst => SortDirection::Asc,
        }
    }
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

pub fn custom_filters(
    filters: Option<Vec<CustomFieldFilter>>,
) -> Vec<custom_fields::CustomFieldFilter> {
    filters
        .unwrap_or_default()
        .into_iter()
        .map(|f| custom_fields::CustomFieldFilter {
            key: f.key,
            equals: f.equals,
            min: f.min,
            max: f.max,
        })
        .collect()
}

pub fn optional_id(
    id: Option<&ID>,
    field: &'static str,
) -> async_graphql::Result<Option<uuid::Uuid>> {
    id.map(|id| parse_id(id, field)).transpose()
}

/// A nullable id argument: absent leaves it, null clears it, a value sets it.
pub fn maybe_id(
    value: MaybeUndefined<ID>,
    field: &'static str,
) -> async_graphql::Result<Option<Option<uuid::Uuid>>> {
    maybe(value)
        .map(|id| id.map(|id| parse_id(&id, field)).transpose())
        .transpose()
}

/// A nullable argument: absent leaves it (None), null clears it (Some(None)).
pub fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
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
