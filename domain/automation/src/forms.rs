//! Public forms: fields mapped to a contact, a lead and their custom fields, a consent
//! box kept with each submission, and spam checks (a honeypot, per-address limits and an
//! optional CAPTCHA). A submission finds or creates its contact by CRM's duplicate rules,
//! may open a lead with its attribution, and emits `automation.form.submitted`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tianguis_crm::contacts::{self, ContactInput, Found};
use tianguis_crm::custom_fields::{FieldEntity, FieldKind as CustomKind};
use tianguis_crm::leads::{self, Attribution, LeadInput, NewLead, Source};
use tianguis_entity::automation::{form_submissions, forms};
use tianguis_entity::crm::custom_field_definitions as defs;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::ports::RateDecision;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, rules};

/// Submissions one address may send to one form in an hour.
pub const SUBMISSIONS_PER_ADDRESS_HOUR: u32 = 10;
const MAX_FIELDS: usize = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldKind {
    Text,
    Textarea,
    Email,
    Phone,
    Number,
    Select,
    Checkbox,
}

/// Where a field's value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Target {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub maps_to: Option<Target>,
    #[serde(default)]
    pub custom_field_key: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub max_length: Option<u32>,
}

impl Field {
    fn max_length(&self) -> usize {
        let default = if self.kind == FieldKind::Textarea {
            2000
        } else {
            200
        };
        self.max_length.map_or(default, |m| m as usize)
    }
}

#[derive(Clone, Debug)]
pub struct Form {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub fields: Vec<Field>,
    pub consent_text: Option<String>,
    pub allowed_origins: Vec<String>,
    pub captcha: bool,
    pub create_lead: bool,
    pub tags: Vec<String>,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    pub active: bool,
    /// The hosted page, and the JSON endpoint a site posts to.
    pub page_url: String,
    pub endpoint_url: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Where the business's public form pages live: `{public_url}/formularios/{slug}`.
struct Published {
    base: String,
    slug: String,
}

impl Published {
    async fn of(deps: &Deps, tx: &TenantTx) -> Result<Self> {
        let business = tianguis_entity::tenancy::tenants::Entity::find_by_id(tx.tenant_id())
            .one(&**tx)
            .await?
            .ok_or(Error::NotFound("business"))?;
        Ok(Self {
            base: deps.mail.public_url.trim_end_matches('/').to_owned(),
            slug: business.slug,
        })
    }

    fn form(&self, model: forms::Model) -> Result<Form> {
        let mut form = Form::try_from(model)?;
        form.page_url = format!("{}/formularios/{}/{}", self.base, self.slug, form.id);
        form.endpoint_url = format!("{}/api/v1/forms/{}/{}", self.base, self.slug, form.id);
        Ok(form)
    }
}

impl TryFrom<forms::Model> for Form {
    type Error = Error;

    fn try_from(m: forms::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name,
            fields: serde_json::from_value(m.fields).map_err(anyhow::Error::from)?,
            consent_text: m.consent_text,
            allowed_origins: rules::tags_of(&m.allowed_origins),
            captcha: m.captcha,
            create_lead: m.create_lead,
            tags: rules::tags_of(&m.tags),
            success_message: m.success_message,
            redirect_url: m.redirect_url,
            active: m.active,
            page_url: String::new(),
            endpoint_url: String::new(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl Form {
    /// Whether a page served from `origin` may post to the JSON endpoint.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/')))
    }
}

/// A CAPTCHA service checked on submit. hCaptcha and Turnstile speak the same `siteverify`
/// protocol and differ in their widget.
#[async_trait::async_trait]
pub trait CaptchaVerifier: Send + Sync {
    /// What the page needs to show the widget: its script, the element's class, the site key.
    fn widget(&self) -> CaptchaWidget;
    /// Whether `token`, from the widget, proves a person.
    async fn verify(&self, token: &str, remote_ip: Option<&str>) -> anyhow::Result<bool>;
}

#[derive(Clone, Debug)]
pub struct CaptchaWidget {
    pub script_url: String,
    pub class: String,
    pub site_key: String,
    /// The form field the widget fills with its token.
    pub response_field: String,
}

/// What forms need from the wiring: the CAPTCHA service, when one is configured.
#[derive(Clone, Default)]
pub struct FormSettings {
    pub captcha: Option<Arc<dyn CaptchaVerifier>>,
}

/// A form's settings as a client sends them; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default)]
pub struct FormInput {
    pub name: Option<String>,
    pub fields: Option<Vec<Field>>,
    pub consent_text: Option<Option<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub captcha: Option<bool>,
    pub create_lead: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub success_message: Option<Option<String>>,
    pub redirect_url: Option<Option<String>>,
    pub active: Option<bool>,
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Names the page itself posts besides the fields.
const RESERVED: &[&str] = &[
    "consent",
    "website",
    "captcha",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
];

async fn check_fields(tx: &TenantTx, fields: &[Field]) -> Result<()> {
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(Error::invalid(
            "fields",
            format!("a form has 1 to {MAX_FIELDS} fields"),
        ));
    }
    let mut keys = HashSet::new();
    let mut targets = HashSet::new();
    for (i, field) in fields.iter().enumerate() {
        let at = |name: &str| format!("fields[{i}].{name}");
        if !valid_key(&field.key) || RESERVED.contains(&field.key.as_str()) {
            return Err(Error::invalid(
                at("key"),
                "a key is lowercase letters, digits and _, starts with a letter, and is not reserved",
            ));
        }
        if !keys.insert(field.key.as_str()) {
            return Err(Error::invalid(at("key"), "keys must be unique"));
        }
        if field.label.trim().is_empty() || field.label.chars().count() > 200 {
            return Err(Error::invalid(
                at("label"),
                "a label has 1 to 200 characters",
            ));
        }
        if field.kind == FieldKind::Select && field.options.is_empty() {
            return Err(Error::invalid(at("options"), "a select needs options"));
        }
        if field.max_length.is_some_and(|m| m == 0 || m > 5000) {
            return Err(Error::invalid(at("maxLength"), "maxLength is 1 to 5000"));
        }
        let Some(target) = field.maps_to else {
            continue;
        };
        let custom = match target {
            Target::ContactCustomField => Some(FieldEntity::Contact),
            Target::LeadCustomField => Some(FieldEntity::Lead),
            _ => None,
        };
        match (custom, &field.custom_field_key) {
            (Some(entity), Some(key)) => {
                let found = tx
                    .select::<defs::Entity>()
                    .filter(defs::Column::Entity.eq(entity.key()))
                    .filter(defs::Column::Key.eq(key.as_str()))
                    .one(&**tx)
                    .await?;
                if found.is_none() {
                    return Err(Error::invalid(
                        at("customFieldKey"),
                        format!("no {} custom field {key}", entity.key()),
                    ));
                }
            }
            (Some(_), None) => {
                return Err(Error::invalid(
                    at("customFieldKey"),
                    "a custom-field target names its customFieldKey",
                ));
            }
            (None, _) => {
                if !targets.insert(target) {
                    return Err(Error::invalid(
                        at("mapsTo"),
                        "two fields map to the same place",
                    ));
                }
            }
        }
        let kind_fits = match target {
            Target::ContactEmail => field.kind == FieldKind::Email,
            Target::ContactPhone => field.kind == FieldKind::Phone,
            _ => true,
        };
        if !kind_fits {
            return Err(Error::invalid(
                at("kind"),
                "email and phone targets take fields of their kind",
            ));
        }
    }
    if !targets.contains(&Target::ContactEmail) && !targets.contains(&Target::ContactPhone) {
        return Err(Error::invalid(
            "fields",
            "a form needs a field mapped to the contact's email or phone",
        ));
    }
    Ok(())
}

fn check_origins(origins: &[String]) -> Result<Vec<String>> {
    origins
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let origin = raw.trim().trim_end_matches('/');
            let parsed = url::Url::parse(origin).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
            });
            match parsed {
                Some(_) => Ok(origin.to_ascii_lowercase()),
                None => Err(Error::invalid(
                    format!("allowedOrigins[{i}]"),
                    "an origin is scheme://host[:port], without a path",
                )),
            }
        })
        .collect()
}

fn check_redirect(url: &str) -> Result<String> {
    match url::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u.to_string()),
        _ => Err(Error::invalid(
            "redirectUrl",
            "redirectUrl is an http(s) URL",
        )),
    }
}

async fn apply(
    deps: &Deps,
    tx: &TenantTx,
    model: &mut forms::ActiveModel,
    input: FormInput,
) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(rules::required_text(&name, "name", 200)?);
    }
    if let Some(fields) = input.fields {
        check_fields(tx, &fields).await?;
        model.fields = Set(serde_json::to_value(fields).map_err(anyhow::Error::from)?);
    }
    if let Some(text) = input.consent_text {
        model.consent_text = Set(rules::optional_text(text.as_deref(), "consentText", 2000)?);
    }
    if let Some(origins) = input.allowed_origins {
        model.allowed_origins = Set(json!(check_origins(&origins)?));
    }
    if let Some(captcha) = input.captcha {
        if captcha && deps.settings::<FormSettings>()?.captcha.is_none() {
            return Err(Error::invalid(
                "captcha",
                "no CAPTCHA service is configured for this installation",
            ));
        }
        model.captcha = Set(captcha);
    }
    if let Some(create_lead) = input.create_lead {
        model.create_lead = Set(create_lead);
    }
    if let Some(tags) = input.tags {
        model.tags = Set(json!(rules::tags(&tags, "tags")?));
    }
    if let Some(message) = input.success_message {
        model.success_message = Set(rules::optional_text(
            message.as_deref(),
            "successMessage",
            500,
        )?);
    }
    if let Some(url) = input.redirect_url {
        model.redirect_url = Set(url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(check_redirect)
            .transpose()?);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: FormInput) -> Result<Form> {
    ctx.require(Permission::AutomationWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    if input.fields.is_none() {
        return Err(Error::invalid("fields", "fields are required"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model = forms::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        fields: Set(json!([])),
        consent_text: Set(None),
        allowed_origins: Set(json!([])),
        captcha: Set(false),
        create_lead: Set(true),
        tags: Set(json!([])),
        success_message: Set(None),
        redirect_url: Set(None),
        active: Set(true),
        ..Default::default()
    };
    apply(deps, &tx, &mut model, input).await?;
    let form = tx.insert(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.form.created",
        ("form", Some(form.id)),
        json!({ "name": form.name }),
    )
    .await?;
    let published = Published::of(deps, &tx).await?;
    tx.commit().await?;
    published.form(form)
}

pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, input: FormInput) -> Result<Form> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<forms::Entity>(id, "form").await?;
    let mut model: forms::ActiveModel = current.into();
    apply(deps, &tx, &mut model, input).await?;
    let form = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.form.updated",
        ("form", Some(form.id)),
        json!({ "name": form.name, "active": form.active }),
    )
    .await?;
    let published = Published::of(deps, &tx).await?;
    tx.commit().await?;
    published.form(form)
}

/// Deletes a form with its submissions; the contacts and leads they made stay.
pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::AutomationWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let form = tx.get::<forms::Entity>(id, "form").await?;
    form_submissions::Entity::delete_many()
        .filter(form_submissions::Column::TenantId.eq(ctx.tenant_id))
        .filter(form_submissions::Column::FormId.eq(id))
        .exec(&*tx)
        .await?;
    forms::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.form.deleted",
        ("form", Some(id)),
        json!({ "name": form.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Form> {
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let form = tx.get::<forms::Entity>(id, "form").await?;
    let published = Published::of(deps, &tx).await?;
    tx.commit().await?;
    published.form(form)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Form>> {
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<forms::Entity>(),
        forms::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    let published = Published::of(deps, &tx).await?;
    tx.commit().await?;
    page.try_map(|m| published.form(m))
}

pub type FormSubmission = form_submissions::Model;

/// A form's submissions (or every form's), newest first.
pub async fn submissions(
    deps: &Deps,
    ctx: &TenantCtx,
    form_id: Option<Uuid>,
    page: &PageRequest,
) -> Result<Page<FormSubmission>> {
    ctx.require(Permission::AutomationWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<form_submissions::Entity>();
    if let Some(id) = form_id {
        select = select.filter(form_submissions::Column::FormId.eq(id));
    }
    let page = paginate(
        &*tx,
        select,
        form_submissions::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// An active form and its business, for the public page and endpoint.
pub struct PublicForm {
    pub form: Form,
    pub business: tianguis_entity::tenancy::tenants::Model,
}

/// The active form `form_id` of the business at `slug`; NOT_FOUND otherwise.
pub async fn public(deps: &Deps, slug: &str, form_id: Uuid) -> Result<PublicForm> {
    let business = crate::tenancy::tenants::by_slug(deps, slug).await?;
    let tx = TenantTx::begin(deps, business.id).await?;
    let form = tx.get::<forms::Entity>(form_id, "form").await?;
    tx.commit().await?;
    if !form.active {
        return Err(Error::NotFound("form"));
    }
    Ok(PublicForm {
        form: form.try_into()?,
        business,
    })
}

/// What a visitor sent.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub values: HashMap<String, String>,
    pub consent: bool,
    /// The hidden field people never see; bots fill it.
    pub honeypot: Option<String>,
    pub captcha_token: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub attribution: Attribution,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    Accepted {
        submission_id: Uuid,
        contact_id: Uuid,
        lead_id: Option<Uuid>,
    },
    /// Caught by the honeypot: answered as a success, kept nowhere.
    Discarded,
}

/// A value checked against its field: what is stored, by key.
fn checked_values(form: &Form, raw: &HashMap<String, String>) -> Result<Map<String, Value>> {
    let mut values = Map::new();
    for field in &form.fields {
        let key = field.key.clone();
        let text = raw.get(&field.key).map(|v| v.trim()).unwrap_or_default();
        if text.is_empty() {
            if field.required && field.kind != FieldKind::Checkbox {
                return Err(Error::invalid(key, format!("{} is required", field.label)));
            }
            if field.required {
                return Err(Error::invalid(
                    key,
                    format!("{} must be ticked", field.label),
                ));
            }
            continue;
        }
        if text.chars().count() > field.max_length() {
            return Err(Error::invalid(
                key,
                format!(
                    "{} can be at most {} characters",
                    field.label,
                    field.max_length()
                ),
            ));
        }
        let value = match field.kind {
            FieldKind::Text | FieldKind::Textarea | FieldKind::Phone => json!(text),
            FieldKind::Email => match rules::optional_email(Some(text), "email") {
                Ok(email) => json!(email),
                Err(_) => return Err(Error::invalid(key, "not an email address")),
            },
            FieldKind::Number => match text.parse::<Decimal>() {
                Ok(n) => json!(n.to_string()),
                Err(_) => return Err(Error::invalid(key, "not a number")),
            },
            FieldKind::Select => {
                if !field.options.iter().any(|o| o == text) {
                    return Err(Error::invalid(key, "not one of the options"));
                }
                json!(text)
            }
            FieldKind::Checkbox => json!(matches!(text, "on" | "true" | "1" | "yes" | "sí")),
        };
        values.insert(field.key.clone(), value);
    }
    Ok(values)
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A custom field's value in the type its definition wants.
fn custom_value(kind: Option<CustomKind>, value: &Value) -> Value {
    match (kind, value) {
        (Some(CustomKind::Number), Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        _ => value.clone(),
    }
}

/// The contact's and lead's fields from the checked values.
struct Mapped {
    contact: ContactInput,
    lead_title: Option<String>,
    lead_custom: Map<String, Value>,
}

async fn mapped(tx: &TenantTx, form: &Form, values: &Map<String, Value>) -> Result<Mapped> {
    // Custom fields' kinds, read only when the form maps to any.
    let custom_keys: Vec<&str> = form
        .fields
        .iter()
        .filter_map(|f| f.custom_field_key.as_deref())
        .collect();
    let kinds: HashMap<(String, String), CustomKind> = if custom_keys.is_empty() {
        HashMap::new()
    } else {
        tx.select::<defs::Entity>()
            .filter(defs::Column::Key.is_in(custom_keys))
            .all(&**tx)
            .await?
            .into_iter()
            .filter_map(|d| Some(((d.entity, d.key), CustomKind::from_stored(&d.kind).ok()?)))
            .collect()
    };
    let mut contact = ContactInput {
        tags: Some(form.tags.clone()),
        ..Default::default()
    };
    let (mut contact_custom, mut lead_custom) = (Map::new(), Map::new());
    let mut lead_title = None;
    for field in &form.fields {
        let (Some(target), Some(value)) = (field.maps_to, values.get(&field.key)) else {
            continue;
        };
        let text = text_of(value);
        let custom_key = field.custom_field_key.clone().unwrap_or_default();
        match target {
            Target::ContactFirstName => contact.first_name = text,
            Target::ContactLastName => contact.last_name = text,
            Target::ContactEmail => contact.email = text,
            Target::ContactPhone => contact.phone = text,
            Target::ContactCity => contact.city = text,
            Target::ContactJobTitle => contact.job_title = text,
            Target::LeadTitle => lead_title = text,
            Target::ContactCustomField => {
                let kind = kinds
                    .get(&("contact".to_owned(), custom_key.clone()))
                    .copied();
                contact_custom.insert(custom_key, custom_value(kind, value));
            }
            Target::LeadCustomField => {
                let kind = kinds.get(&("lead".to_owned(), custom_key.clone())).copied();
                lead_custom.insert(custom_key, custom_value(kind, value));
            }
        }
    }
    // A form may ask only for an email or a phone; the contact is named by it until they
    // say more.
    if contact.first_name.is_none() {
        contact.first_name = contact
            .email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .or(contact.phone.as_deref())
            .map(str::to_owned);
    }
    if !contact_custom.is_empty() {
        contact.custom_fields = Some(Value::Object(contact_custom));
    }
    Ok(Mapped {
        contact,
        lead_title,
        lead_custom,
    })
}

/// CRM names the contact's and lead's fields; the visitor knows the form's.
fn on_form_field(form: &Form, err: Error) -> Error {
    let Error::Invalid { field, message } = err else {
        return err;
    };
    let target = match field.as_ref() {
        "firstName" => Some((Target::ContactFirstName, None)),
        "lastName" => Some((Target::ContactLastName, None)),
        "email" => Some((Target::ContactEmail, None)),
        "phone" => Some((Target::ContactPhone, None)),
        "city" => Some((Target::ContactCity, None)),
        "jobTitle" => Some((Target::ContactJobTitle, None)),
        "title" => Some((Target::LeadTitle, None)),
        other => other
            .strip_prefix("customFields.")
            .map(|key| (Target::ContactCustomField, Some(key.to_owned()))),
    };
    let key = target.and_then(|(target, custom)| {
        form.fields
            .iter()
            .find(|f| match (&custom, f.maps_to) {
                (Some(key), Some(Target::ContactCustomField | Target::LeadCustomField)) => {
                    f.custom_field_key.as_ref() == Some(key)
                }
                (None, Some(t)) => t == target,
                _ => false,
            })
            .map(|f| f.key.clone())
    });
    Error::Invalid {
        field: key.map_or(field, Into::into),
        message,
    }
}

async fn within_limit(deps: &Deps, form_id: Uuid, ip: Option<&str>) -> Result<()> {
    let Some(ip) = ip else {
        return Ok(());
    };
    let decision = deps
        .rate_limiter
        .hit(
            &format!("form:{form_id}:{ip}"),
            SUBMISSIONS_PER_ADDRESS_HOUR,
            Duration::from_secs(3600),
        )
        .await?;
    match decision {
        RateDecision::Allowed { .. } => Ok(()),
        RateDecision::Limited { retry_after } => Err(Error::RateLimited {
            retry_after_secs: retry_after.as_secs().max(1),
        }),
    }
}

/// Attribution as a page sent it: trimmed, bounded, none when blank.
fn bounded(attribution: Attribution) -> Attribution {
    let bound = |v: Option<String>| {
        v.map(|v| v.trim().chars().take(300).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    Attribution {
        utm_source: bound(attribution.utm_source),
        utm_medium: bound(attribution.utm_medium),
        utm_campaign: bound(attribution.utm_campaign),
        referrer: bound(attribution.referrer),
    }
}

/// Takes a visitor's submission: checks it, finds or creates the contact, opens the lead,
/// keeps the consent and attribution, and emits `automation.form.submitted`; all in one
/// transaction.
pub async fn submit(deps: &Deps, page: &PublicForm, input: Submission) -> Result<Submitted> {
    if input
        .honeypot
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty())
    {
        return Ok(Submitted::Discarded);
    }
    let form = &page.form;
    within_limit(deps, form.id, input.ip.as_deref()).await?;
    let attribution = bounded(input.attribution);
    let values = checked_values(form, &input.values)?;
    if form.consent_text.is_some() && !input.consent {
        return Err(Error::invalid("consent", "consent is required"));
    }
    if form.captcha {
        let verifier = deps.settings::<FormSettings>()?.captcha.clone();
        let token = input.captcha_token.as_deref().filter(|t| !t.is_empty());
        let passed = match (verifier, token) {
            (Some(verifier), Some(token)) => verifier.verify(token, input.ip.as_deref()).await?,
            _ => false,
        };
        if !passed {
            return Err(Error::invalid("captcha", "the CAPTCHA check failed"));
        }
    }
    let ctx = TenantCtx::system(page.business.id);
    let mut tx = TenantTx::begin(deps, page.business.id).await?;
    let mapped = mapped(&tx, form, &values).await?;
    let found = contacts::find_or_create_in(&mut tx, &ctx, mapped.contact)
        .await
        .map_err(|e| on_form_field(form, e))?;
    let contact = found.contact().clone();
    if let Found::Existing(existing) = &found {
        // A returning visitor gets the form's tags too; what they typed is in the submission.
        let mut tags = rules::tags_of(&existing.tags);
        let missing: Vec<String> = form
            .tags
            .iter()
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        if !missing.is_empty() {
            tags.extend(missing);
            let changes = ContactInput {
                tags: Some(tags),
                ..Default::default()
            };
            contacts::update_in(&mut tx, &ctx, existing.id, changes).await?;
        }
    }
    let lead = if form.create_lead {
        let name = format!("{} {}", contact.first_name, contact.last_name);
        let title = mapped
            .lead_title
            .unwrap_or_else(|| format!("{}: {}", form.name, name.trim()));
        let lead = leads::create_in(
            &mut tx,
            &ctx,
            NewLead {
                fields: LeadInput {
                    title: Some(title.chars().take(200).collect()),
                    contact_id: Some(Some(contact.id)),
                    source: Some(Source::Web),
                    custom_fields: (!mapped.lead_custom.is_empty())
                        .then(|| Value::Object(mapped.lead_custom.clone())),
                    ..Default::default()
                },
                pipeline_id: None,
                stage_id: None,
                attribution: attribution.clone(),
            },
        )
        .await
        .map_err(|e| on_form_field(form, e))?;
        Some(lead.id)
    } else {
        None
    };
    let now = tx.now();
    let submission = tx
        .insert(form_submissions::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(page.business.id),
            form_id: Set(form.id),
            contact_id: Set(contact.id),
            lead_id: Set(lead),
            contact_created: Set(matches!(found, Found::Created(_))),
            values: Set(Value::Object(values.clone())),
            consent_text: Set(form.consent_text.clone().filter(|_| input.consent)),
            consented_at: Set((form.consent_text.is_some() && input.consent).then_some(now)),
            ip: Set(input.ip.clone()),
            user_agent: Set(input.user_agent.map(|u| u.chars().take(500).collect())),
            utm_source: Set(attribution.utm_source),
            utm_medium: Set(attribution.utm_medium),
            utm_campaign: Set(attribution.utm_campaign),
            referrer: Set(attribution.referrer),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        &ctx,
        "automation.form.submitted",
        ("form_submission", Some(submission.id)),
        json!({
            "formId": form.id,
            "formName": form.name,
            "contactId": contact.id,
            "leadId": lead,
            "contactCreated": submission.contact_created,
            "values": values,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted::Accepted {
        submission_id: submission.id,
        contact_id: contact.id,
        lead_id: lead,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, kind: FieldKind, required: bool) -> Field {
        Field {
            key: key.into(),
            label: key.into(),
            kind,
            required,
            maps_to: None,
            custom_field_key: None,
            options: vec!["a".into(), "b".into()],
            max_length: None,
        }
    }

    fn form(fields: Vec<Field>) -> Form {
        Form {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            name: "f".into(),
            fields,
            consent_text: None,
            allowed_origins: vec!["https://tienda.mx".into()],
            captcha: false,
            create_lead: true,
            tags: vec![],
            success_message: None,
            redirect_url: None,
            active: true,
            page_url: String::new(),
            endpoint_url: String::new(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn error_field(result: Result<Map<String, Value>>) -> String {
        match result {
            Err(Error::Invalid { field, .. }) => field.into_owned(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn values_are_checked_against_their_fields_by_key() {
        let f = form(vec![
            field("correo", FieldKind::Email, true),
            Field {
                max_length: Some(5),
                ..field("edad", FieldKind::Number, false)
            },
            field("talla", FieldKind::Select, false),
            field("acepto", FieldKind::Checkbox, false),
        ]);
        let raw = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>()
        };
        assert_eq!(error_field(checked_values(&f, &raw(&[]))), "correo");
        assert_eq!(
            error_field(checked_values(&f, &raw(&[("correo", "no")]))),
            "correo"
        );
        assert_eq!(
            error_field(checked_values(
                &f,
                &raw(&[("correo", "a@b.mx"), ("edad", "x")])
            )),
            "edad"
        );
        assert_eq!(
            error_field(checked_values(
                &f,
                &raw(&[("correo", "a@b.mx"), ("talla", "c")])
            )),
            "talla"
        );
        assert_eq!(
            error_field(checked_values(
                &f,
                &raw(&[("correo", "a@b.mx"), ("edad", "123456")])
            )),
            "edad",
            "longer than maxLength"
        );
        let ok = checked_values(
            &f,
            &raw(&[
                ("correo", " A@B.mx "),
                ("edad", "7"),
                ("talla", "b"),
                ("acepto", "on"),
            ]),
        )
        .expect("valid");
        assert_eq!(ok["edad"], "7");
        assert_eq!(ok["acepto"], true);
        assert_eq!(ok["talla"], "b");
    }

    #[test]
    fn only_listed_origins_may_post() {
        let f = form(vec![]);
        assert!(f.allows_origin("https://tienda.mx"));
        assert!(f.allows_origin("https://TIENDA.mx/"));
        assert!(!f.allows_origin("https://tienda.mx.evil.com"));
        assert!(!f.allows_origin("http://tienda.mx"));
        assert!(check_origins(&["https://tienda.mx/contacto".into()]).is_err());
        assert_eq!(
            check_origins(&["https://Tienda.mx/".into()]).expect("origin"),
            ["https://tienda.mx"]
        );
    }
}
