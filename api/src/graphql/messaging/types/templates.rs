//! Messaging's GraphQL object types: WhatsApp message templates.

use crate::graphql::common::stored;
use crate::graphql::common::user;
use crate::graphql::loaders::TemplateVersionsLoader;
use crate::graphql::loaders::load;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Object;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::messaging::templates;
use tianguis_domain::ports;
use tianguis_domain::ports::TemplateButton as DomainButton;
use tianguis_domain::ports::TemplateContent;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "templates::Category")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "templates::Status")]
pub enum TemplateStatus {
    Draft,
    /// Submitted; Meta is reviewing it.
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "ports::ButtonKind")]
pub enum TemplateButtonKind {
    QuickReply,
    Url,
    PhoneNumber,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TemplateButtonInput")]
pub struct TemplateButton {
    pub kind: TemplateButtonKind,
    pub text: String,
    pub url: Option<String>,
    pub phone_number: Option<String>,
}

impl From<DomainButton> for TemplateButton {
    fn from(b: DomainButton) -> Self {
        Self {
            kind: b.kind.into(),
            text: b.text,
            url: b.url,
            phone_number: b.phone_number,
        }
    }
}

impl From<TemplateButton> for DomainButton {
    fn from(b: TemplateButton) -> Self {
        Self {
            kind: b.kind.into(),
            text: b.text,
            url: b.url,
            phone_number: b.phone_number,
        }
    }
}

/// A template's parts. The body's variables are numbered `{{1}}`, `{{2}}`, …
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TemplateContentInput")]
pub struct TemplateParts {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    #[graphql(default)]
    pub buttons: Vec<TemplateButton>,
    /// An example value for each variable, in order (Meta requires them).
    #[graphql(default)]
    pub examples: Vec<String>,
}

impl From<TemplateContent> for TemplateParts {
    fn from(c: TemplateContent) -> Self {
        Self {
            header: c.header,
            body: c.body,
            footer: c.footer,
            buttons: c.buttons.into_iter().map(Into::into).collect(),
            examples: c.examples,
        }
    }
}

impl From<TemplateParts> for TemplateContent {
    fn from(c: TemplateParts) -> Self {
        Self {
            header: c.header,
            body: c.body,
            footer: c.footer,
            buttons: c.buttons.into_iter().map(Into::into).collect(),
            examples: c.examples,
        }
    }
}

/// A WhatsApp message template and where Meta's review of it stands.
pub struct MessageTemplate(pub templates::Template);

#[Object]
impl MessageTemplate {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn channel_id(&self) -> ID {
        self.0.channel_id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn language(&self) -> &str {
        &self.0.language
    }
    async fn category(&self) -> async_graphql::Result<TemplateCategory> {
        stored(templates::Category::from_stored, &self.0.category)
    }
    async fn status(&self) -> async_graphql::Result<TemplateStatus> {
        stored(templates::Status::from_stored, &self.0.status)
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn content(&self) -> TemplateParts {
        templates::content_of(&self.0).into()
    }
    /// How many variables the body takes.
    async fn variable_count(&self) -> usize {
        let mut v = templates::variables(&templates::content_of(&self.0).body);
        v.sort_unstable();
        v.dedup();
        v.len()
    }
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    async fn provider_template_id(&self) -> Option<&str> {
        self.0.provider_template_id.as_deref()
    }
    async fn updated_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.updated_by).await
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Every version, newest first, with who changed what.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TemplateVersion>> {
        Ok(load::<TemplateVersionsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TemplateVersion)
            .collect())
    }
}

pub struct TemplateVersion(pub(crate) templates::TemplateVersion);

#[Object]
impl TemplateVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn content(&self) -> TemplateParts {
        serde_json::from_value::<TemplateContent>(self.0.content.clone())
            .map(Into::into)
            .unwrap_or(TemplateParts {
                header: None,
                body: String::new(),
                footer: None,
                buttons: Vec::new(),
                examples: Vec::new(),
            })
    }
    async fn changed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.changed_by).await
    }
    /// What changed, in words.
    async fn change(&self) -> &str {
        &self.0.change
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
