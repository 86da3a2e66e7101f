//! CRM's GraphQL object types: records.

use crate::graphql::loaders::CompanyLoader;
use crate::graphql::loaders::OptOutsLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::Json;
use async_graphql::Object;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::crm;
use tianguis_domain::crm::companies;
use tianguis_domain::crm::contacts;
use tianguis_domain::crm::timeline;

use crate::graphql::common::*;
use crate::graphql::crm::*;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum RecordOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

pub struct Contact(pub contacts::Contact);

#[Object]
impl Contact {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// First and last name.
    async fn name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
            .trim()
            .to_owned()
    }
    /// Lower-case.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// E.164, such as +525512345678.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn rfc(&self) -> Option<&str> {
        self.0.rfc.as_deref()
    }
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    /// Values of the business's custom fields, by key.
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    /// True once a lead of theirs was won.
    async fn is_customer(&self) -> bool {
        self.0.is_customer
    }
    async fn customer_since(&self) -> Option<DateTime<Utc>> {
        self.0.customer_since
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    /// The kinds of channel the contact asked not to be messaged on.
    async fn messaging_opt_outs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::messaging::ChannelKind>> {
        Ok(load::<OptOutsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Activities, stage changes of their leads and proposals, newest first.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Contact(self.0.id), limit, before).await
    }
}

pub struct Company(pub companies::Company);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The legal name as registered with SAT (upper-case), used on invoices.
    async fn legal_name(&self) -> Option<&str> {
        self.0.legal_name.as_deref()
    }
    async fn rfc(&self) -> Option<&str> {
        self.0.rfc.as_deref()
    }
    /// SAT c_RegimenFiscal code.
    async fn tax_regime(&self) -> Option<&str> {
        self.0.tax_regime.as_deref()
    }
    /// The fiscal address's postal code.
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    async fn is_customer(&self) -> bool {
        self.0.is_customer
    }
    async fn customer_since(&self) -> Option<DateTime<Utc>> {
        self.0.customer_since
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Company(self.0.id), limit, before).await
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crm::custom_fields::FieldEntity")]
pub enum CustomFieldEntity {
    Contact,
    Company,
    Lead,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crm::custom_fields::FieldKind")]
pub enum CustomFieldKind {
    Text,
    Number,
    /// YYYY-MM-DD.
    Date,
    Boolean,
    /// One of the definition's options.
    Select,
}

pub struct CustomFieldDefinition(pub crm::custom_fields::CustomFieldDefinition);

#[Object]
impl CustomFieldDefinition {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn entity(&self) -> async_graphql::Result<CustomFieldEntity> {
        stored(crm::custom_fields::FieldEntity::from_stored, &self.0.entity)
    }
    /// The key values are stored and filtered under.
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn kind(&self) -> async_graphql::Result<CustomFieldKind> {
        stored(crm::custom_fields::FieldKind::from_stored, &self.0.kind)
    }
    async fn options(&self) -> Vec<String> {
        crm::custom_fields::options_of(&self.0)
    }
    async fn required(&self) -> bool {
        self.0.required
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
}
