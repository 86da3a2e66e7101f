//! Public forms and their submissions as GraphQL objects and inputs.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tianguis_domain::automation::forms;

use crate::graphql::crm::{Contact, Lead};
use crate::graphql::loaders::{ContactLoader, LeadLoader, load, load_opt};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "forms::FieldKind")]
pub enum FormFieldKind {
    Text,
    Textarea,
    Email,
    Phone,
    Number,
    Select,
    Checkbox,
}

/// Where a field's value goes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "forms::Target")]
pub enum FormFieldTarget {
    ContactFirstName,
    ContactLastName,
    ContactEmail,
    ContactPhone,
    ContactCity,
    ContactJobTitle,
    LeadTitle,
    /// The contact's custom field `customFieldKey`.
    ContactCustomField,
    /// The lead's custom field `customFieldKey`.
    LeadCustomField,
}

#[derive(SimpleObject)]
pub struct FormField {
    pub key: String,
    pub label: String,
    pub kind: FormFieldKind,
    pub required: bool,
    pub maps_to: Option<FormFieldTarget>,
    pub custom_field_key: Option<String>,
    pub options: Vec<String>,
    pub max_length: Option<u32>,
}

impl From<forms::Field> for FormField {
    fn from(f: forms::Field) -> Self {
        Self {
            key: f.key,
            label: f.label,
            kind: f.kind.into(),
            required: f.required,
            maps_to: f.maps_to.map(Into::into),
            custom_field_key: f.custom_field_key,
            options: f.options,
            max_length: f.max_length,
        }
    }
}

#[derive(InputObject)]
pub struct FormFieldInput {
    /// The name it is posted under: lowercase letters, digits and `_`.
    pub key: String,
    pub label: String,
    pub kind: FormFieldKind,
    #[graphql(default)]
    pub required: bool,
    pub maps_to: Option<FormFieldTarget>,
    pub custom_field_key: Option<String>,
    #[graphql(default)]
    pub options: Vec<String>,
    pub max_length: Option<u32>,
}

impl From<FormFieldInput> for forms::Field {
    fn from(f: FormFieldInput) -> Self {
        Self {
            key: f.key,
            label: f.label,
            kind: f.kind.into(),
            required: f.required,
            maps_to: f.maps_to.map(Into::into),
            custom_field_key: f.custom_field_key,
            options: f.options,
            max_length: f.max_length,
        }
    }
}

#[derive(InputObject)]
pub struct CreateFormInput {
    pub name: String,
    pub fields: Vec<FormFieldInput>,
    /// When set, the visitor must tick a box with this text; it is kept with the submission.
    pub consent_text: Option<String>,
    /// Origins whose pages may post to the JSON endpoint, as `https://host[:port]`.
    #[graphql(default)]
    pub allowed_origins: Vec<String>,
    #[graphql(default)]
    pub captcha: bool,
    /// Opens a lead for each submission (the default).
    #[graphql(default = true)]
    pub create_lead: bool,
    /// Tags every submitted contact gets.
    #[graphql(default)]
    pub tags: Vec<String>,
    pub success_message: Option<String>,
    /// Where the hosted page sends the visitor after submitting.
    pub redirect_url: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateFormInput {
    pub id: ID,
    pub name: Option<String>,
    pub fields: Option<Vec<FormFieldInput>>,
    pub consent_text: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub captcha: Option<bool>,
    pub create_lead: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    /// An inactive form's page and endpoint answer 404.
    pub active: Option<bool>,
}

impl From<CreateFormInput> for forms::FormInput {
    fn from(i: CreateFormInput) -> Self {
        Self {
            name: Some(i.name),
            fields: Some(i.fields.into_iter().map(Into::into).collect()),
            consent_text: Some(i.consent_text),
            allowed_origins: Some(i.allowed_origins),
            captcha: Some(i.captcha),
            create_lead: Some(i.create_lead),
            tags: Some(i.tags),
            success_message: Some(i.success_message),
            redirect_url: Some(i.redirect_url),
            active: None,
        }
    }
}

impl From<UpdateFormInput> for forms::FormInput {
    /// An empty text clears the setting.
    fn from(i: UpdateFormInput) -> Self {
        let clearable = |v: Option<String>| v.map(|s| Some(s).filter(|s| !s.trim().is_empty()));
        Self {
            name: i.name,
            fields: i.fields.map(|f| f.into_iter().map(Into::into).collect()),
            consent_text: clearable(i.consent_text),
            allowed_origins: i.allowed_origins,
            captcha: i.captcha,
            create_lead: i.create_lead,
            tags: i.tags,
            success_message: clearable(i.success_message),
            redirect_url: clearable(i.redirect_url),
            active: i.active,
        }
    }
}

pub struct Form(pub forms::Form);

#[Object]
impl Form {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn fields(&self) -> Vec<FormField> {
        self.0.fields.iter().cloned().map(Into::into).collect()
    }
    async fn consent_text(&self) -> Option<&str> {
        self.0.consent_text.as_deref()
    }
    async fn allowed_origins(&self) -> &[String] {
        &self.0.allowed_origins
    }
    async fn captcha(&self) -> bool {
        self.0.captcha
    }
    async fn create_lead(&self) -> bool {
        self.0.create_lead
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn success_message(&self) -> Option<&str> {
        self.0.success_message.as_deref()
    }
    async fn redirect_url(&self) -> Option<&str> {
        self.0.redirect_url.as_deref()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The hosted page: mobile-first, in the business's colours, working without JavaScript.
    async fn page_url(&self) -> &str {
        &self.0.page_url
    }
    /// Where a site posts `{ values: { key: value }, consent }` as JSON, from an allowed origin.
    async fn endpoint_url(&self) -> &str {
        &self.0.endpoint_url
    }
    /// HTML to paste into a site: the hosted page in an iframe.
    async fn embed_code(&self) -> String {
        format!(
            r#"<iframe src="{}" title="{}" style="width:100%;min-height:640px;border:0" loading="lazy"></iframe>"#,
            tianguis_domain::email::templates::escape(&self.0.page_url),
            tianguis_domain::email::templates::escape(&self.0.name),
        )
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct FormSubmission(pub forms::FormSubmission);

#[Object]
impl FormSubmission {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn form_id(&self) -> ID {
        self.0.form_id.into()
    }
    /// None once the contact is deleted.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
    }
    /// Whether this submission created the contact, rather than finding it.
    async fn contact_created(&self) -> bool {
        self.0.contact_created
    }
    /// What was sent, by field key.
    async fn values(&self) -> Json<serde_json::Value> {
        Json(self.0.values.clone())
    }
    /// The consent text as the visitor saw it when they ticked the box.
    async fn consent_text(&self) -> Option<&str> {
        self.0.consent_text.as_deref()
    }
    async fn consented_at(&self) -> Option<DateTime<Utc>> {
        self.0.consented_at
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    async fn utm_source(&self) -> Option<&str> {
        self.0.utm_source.as_deref()
    }
    async fn utm_medium(&self) -> Option<&str> {
        self.0.utm_medium.as_deref()
    }
    async fn utm_campaign(&self) -> Option<&str> {
        self.0.utm_campaign.as_deref()
    }
    async fn referrer(&self) -> Option<&str> {
        self.0.referrer.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct FormIdInput {
    pub id: ID,
}
