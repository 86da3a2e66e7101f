//! WhatsApp message templates: Meta's model (name, category, language, header, body with
//! numbered variables and their examples, footer, buttons), every change kept as a
//! version, submission for approval and the verdict from the API or the webhook.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use tianguis_entity::messaging::{channels, message_template_versions, message_templates};
use uuid::Uuid;

use super::ChannelKind;
use crate::audit;
use crate::db::TenantTx;
use crate::db::stamped;
use crate::error::conflict_on;
use crate::ports::{ButtonKind, MessengerError, TemplateContent, TemplateReview};
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub use message_template_versions::Model as TemplateVersion;
pub use message_templates::Model as Template;

tianguis_kernel::stored_enum! {
    /// Meta's template categories, each priced differently.
    pub enum Category {
        Marketing = "marketing",
        Utility = "utility",
        Authentication = "authentication",
    }
}

tianguis_kernel::stored_enum! {
    /// Where a template stands with Meta's review.
    pub enum Status {
        /// Not submitted yet, or changed since: Meta reviews every version.
        Draft = "draft",
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Paused = "paused",
        Disabled = "disabled",
    }
}

/// The numbers of the `{{n}}` variables in `text`, in order of appearance.
pub fn variables(text: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                if let Ok(n) = after[..end].trim().parse::<u32>() {
                    found.push(n);
                }
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    found
}

fn parse_content(value: &Value) -> TemplateContent {
    serde_json::from_value(value.clone()).unwrap_or(TemplateContent {
        header: None,
        body: String::new(),
        footer: None,
        buttons: Vec::new(),
        examples: Vec::new(),
    })
}

pub fn content_of(template: &Template) -> TemplateContent {
    parse_content(&template.content)
}

/// Checks a template against Meta's rules before Meta sees it.
pub fn check(name: &str, language: &str, content: &TemplateContent) -> Result<()> {
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Error::invalid(
            "name",
            "a template name has lowercase letters, digits and underscores only",
        ));
    }
    let lang_ok = match language.split_once('_') {
        Some((l, r)) => {
            l.len() == 2
                && r.len() == 2
                && l.chars().all(|c| c.is_ascii_lowercase())
                && r.chars().all(|c| c.is_ascii_uppercase())
        }
        None => language.len() == 2 && language.chars().all(|c| c.is_ascii_lowercase()),
    };
    if !lang_ok {
        return Err(Error::invalid(
            "language",
            "a language is a code such as es_MX or en",
        ));
    }
    let body = content.body.trim();
    if body.is_empty() || body.chars().count() > 1024 {
        return Err(Error::invalid(
            "content.body",
            "the body has 1 to 1024 characters",
        ));
    }
    let used = variables(body);
    let mut expected: Vec<u32> = (1..=used.len() as u32).collect();
    let mut sorted = used.clone();
    sorted.sort_unstable();
    sorted.dedup();
    expected.truncate(sorted.len());
    if sorted != expected {
        return Err(Error::invalid(
            "content.body",
            "variables are numbered {{1}}, {{2}}, … without gaps",
        ));
    }
    if content.examples.len() != sorted.len()
        || content.examples.iter().any(|e| e.trim().is_empty())
    {
        return Err(Error::invalid(
            "content.examples",
            format!(
                "give one example for each of the {} variables",
                sorted.len()
            ),
        ));
    }
    for (field, text) in [
        ("content.header", &content.header),
        ("content.footer", &content.footer),
    ] {
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > 60 || t.trim().is_empty())
        {
            return Err(Error::invalid(
                field,
                format!("{field} has 1 to 60 characters"),
            ));
        }
    }
    if content
        .footer
        .as_deref()
        .is_some_and(|f| !variables(f).is_empty())
    {
        return Err(Error::invalid(
            "content.footer",
            "a footer has no variables",
        ));
    }
    if content.buttons.len() > 10 {
        return Err(Error::invalid("content.buttons", "at most 10 buttons"));
    }
    for button in &content.buttons {
        let ok = match button.kind {
            ButtonKind::QuickReply => true,
            ButtonKind::Url => button
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            ButtonKind::PhoneNumber => button
                .phone_number
                .as_deref()
                .is_some_and(|p| p.starts_with('+')),
        };
        if !ok || button.text.trim().is_empty() || button.text.chars().count() > 25 {
            return Err(Error::invalid(
                "content.buttons",
                "a button is quick_reply, url (https) or phone_number (+E.164) with 1 to 25 characters of text",
            ));
        }
    }
    Ok(())
}

/// The body with each `{{n}}` replaced; every variable must be given, and no more.
pub fn render(template: &Template, values: &[String]) -> Result<String> {
    let content = content_of(template);
    let count = {
        let mut v = variables(&content.body);
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    if values.len() != count {
        return Err(Error::invalid(
            "variables",
            format!(
                "the template takes {count} variables; {} were given",
                values.len()
            ),
        ));
    }
    if let Some(n) = values.iter().position(|v| v.trim().is_empty()) {
        return Err(Error::invalid(
            "variables",
            format!("variable {{{{{}}}}} is empty", n + 1),
        ));
    }
    let mut body = content.body.clone();
    for (i, value) in values.iter().enumerate() {
        body = body.replace(&format!("{{{{{}}}}}", i + 1), value);
    }
    Ok(body)
}

#[derive(Clone, Debug)]
pub struct NewTemplate {
    pub channel_id: Uuid,
    pub name: String,
    pub language: String,
    pub category: Category,
    pub content: TemplateContent,
}

fn describe_change(
    before: &TemplateContent,
    after: &TemplateContent,
    category_changed: bool,
) -> String {
    let mut parts = Vec::new();
    if category_changed {
        parts.push("category");
    }
    if before.header != after.header {
        parts.push("header");
    }
    if before.body != after.body {
        parts.push("body");
    }
    if before.footer != after.footer {
        parts.push("footer");
    }
    if before.buttons != after.buttons {
        parts.push("buttons");
    }
    if before.examples != after.examples {
        parts.push("examples");
    }
    if parts.is_empty() {
        "nothing changed".into()
    } else {
        format!("changed {}", parts.join(", "))
    }
}

async fn add_version(
    tx: &TenantTx,
    template: &Template,
    changed_by: Option<Uuid>,
    change: String,
) -> Result<()> {
    tx.insert(message_template_versions::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        template_id: Set(template.id),
        version: Set(template.version),
        content: Set(template.content.clone()),
        changed_by: Set(changed_by),
        change: Set(change),
        ..Default::default()
    })
    .await?;
    Ok(())
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: NewTemplate) -> Result<Template> {
    ctx.require(Permission::CampaignsWrite)?;
    let name = input.name.trim().to_owned();
    check(&name, &input.language, &input.content)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let channel = tx
        .get::<channels::Entity>(input.channel_id, "channel")
        .await
        .map_err(|_| Error::invalid("channelId", "no such channel"))?;
    if ChannelKind::from_stored(&channel.kind)? != ChannelKind::Whatsapp {
        return Err(Error::invalid(
            "channelId",
            "templates belong to WhatsApp channels",
        ));
    }
    let now = tx.now();
    let template = message_templates::Entity::insert(stamped(
        now,
        message_templates::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            channel_id: Set(channel.id),
            name: Set(name),
            language: Set(input.language),
            category: Set(input.category.key().to_owned()),
            status: Set(Status::Draft.key().to_owned()),
            version: Set(1),
            content: Set(serde_json::to_value(&input.content).map_err(anyhow::Error::from)?),
            provider_template_id: Set(None),
            rejection_reason: Set(None),
            updated_by: Set(ctx.actor_user()),
            ..Default::default()
        },
    ))
    .exec_with_returning(&*tx)
    .await
    .map_err(|e| {
        conflict_on(
            e,
            "ux_message_templates_name",
            "message_templates.tenant_id, message_templates.channel_id",
            "name",
            "the channel already has a template with this name and language",
        )
    })?;
    add_version(&tx, &template, ctx.actor_user(), "created".into()).await?;
    audit::record(
        &mut tx,
        ctx,
        "messaging.template.created",
        ("template", Some(template.id)),
        serde_json::json!({ "name": template.name, "language": template.language }),
    )
    .await?;
    tx.commit().await?;
    Ok(template)
}

/// Changes a template: a new version, back to draft (Meta reviews every change).
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    category: Option<Category>,
    content: TemplateContent,
) -> Result<Template> {
    ctx.require(Permission::CampaignsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<message_templates::Entity>(id, "template").await?;
    if current.status == Status::Pending.key() {
        return Err(Error::conflict(
            "id",
            "the template is under review; wait for Meta's verdict",
        ));
    }
    let category = match category {
        Some(category) => category,
        None => Category::from_stored(&current.category)?,
    };
    check(&current.name, &current.language, &content)?;
    let change = describe_change(
        &content_of(&current),
        &content,
        category.key() != current.category,
    );
    let mut model: message_templates::ActiveModel = current.clone().into();
    model.category = Set(category.key().to_owned());
    model.content = Set(serde_json::to_value(&content).map_err(anyhow::Error::from)?);
    model.version = Set(current.version + 1);
    model.status = Set(Status::Draft.key().to_owned());
    model.rejection_reason = Set(None);
    model.updated_by = Set(ctx.actor_user());
    let template = tx.update(model).await?;
    add_version(&tx, &template, ctx.actor_user(), change.clone()).await?;
    audit::record(
        &mut tx,
        ctx,
        "messaging.template.updated",
        ("template", Some(id)),
        serde_json::json!({ "version": template.version, "change": change }),
    )
    .await?;
    tx.commit().await?;
    Ok(template)
}

fn refused(e: MessengerError) -> Error {
    match e {
        MessengerError::Rejected { code, message } => Error::invalid(
            "id",
            format!("Meta refused the template ({code}): {message}"),
        ),
        MessengerError::Unavailable(reason) => Error::Unexpected(anyhow::anyhow!(reason)),
    }
}

/// A template of the caller's and its channel's provider account.
async fn with_account(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<(Template, crate::ports::ProviderAccount)> {
    ctx.require(Permission::CampaignsWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let template = tx.get::<message_templates::Entity>(id, "template").await?;
    let channel = tx
        .get::<channels::Entity>(template.channel_id, "channel")
        .await?;
    tx.commit().await?;
    let account = super::channels::account(deps, &channel)?;
    Ok((template, account))
}

/// Submits a draft or rejected template to Meta for approval.
pub async fn submit(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Template> {
    let (template, account) = with_account(deps, ctx, id).await?;
    let status = Status::from_stored(&template.status)?;
    if !matches!(status, Status::Draft | Status::Rejected) {
        return Err(Error::conflict(
            "id",
            format!("the template is {status}; only drafts and rejected templates are submitted"),
        ));
    }
    let review = deps
        .messenger
        .submit_template(
            &account,
            &template.name,
            &template.language,
            &template.category,
            &content_of(&template),
        )
        .await
        .map_err(refused)?;
    apply_review(deps, ctx, id, review, "messaging.template.submitted").await
}

/// Asks Meta where the template's review stands, for when the webhook was missed.
pub async fn refresh(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Template> {
    let (template, account) = with_account(deps, ctx, id).await?;
    let Some(provider_id) = template.provider_template_id else {
        return Err(Error::conflict("id", "the template was never submitted"));
    };
    let review = deps
        .messenger
        .template_status(&account, &provider_id)
        .await
        .map_err(refused)?;
    apply_review(deps, ctx, id, review, "messaging.template.reviewed").await
}

async fn apply_review(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    review: TemplateReview,
    action: &str,
) -> Result<Template> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<message_templates::Entity>(id, "template").await?;
    // A verdict this build does not know reads as still under review.
    let status = Status::from_key(&review.status)
        .filter(|s| *s != Status::Draft)
        .unwrap_or(Status::Pending);
    let mut model: message_templates::ActiveModel = current.into();
    model.status = Set(status.key().to_owned());
    model.provider_template_id = Set(Some(review.provider_template_id.clone()));
    model.rejection_reason = Set(review.reason.clone());
    let template = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        action,
        ("template", Some(id)),
        serde_json::json!({ "status": status, "reason": review.reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(template)
}

/// Meta's `message_template_status_update` webhook: the verdict on a submitted template.
pub(crate) async fn apply_review_event(deps: &Deps, waba_id: &str, value: &Value) -> Result<usize> {
    let Some(provider_id) = value["message_template_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| value["message_template_id"].as_i64().map(|n| n.to_string()))
    else {
        return Ok(0);
    };
    let Some(template) = message_templates::Entity::find()
        .filter(message_templates::Column::ProviderTemplateId.eq(provider_id.as_str()))
        .one(&deps.db)
        .await?
    else {
        return Ok(0);
    };
    // The event must come from the account the template's channel belongs to.
    let channel = channels::Entity::find_by_id(template.channel_id)
        .one(&deps.db)
        .await?;
    if channel.and_then(|c| c.account_id).as_deref() != Some(waba_id) {
        tracing::warn!(waba_id, "a template verdict from another WhatsApp account");
        return Ok(0);
    }
    let review = TemplateReview {
        provider_template_id: provider_id,
        status: value["event"]
            .as_str()
            .unwrap_or("pending")
            .to_ascii_lowercase(),
        reason: value["reason"]
            .as_str()
            .filter(|r| *r != "NONE")
            .map(str::to_owned),
    };
    let ctx = TenantCtx::system(template.tenant_id);
    apply_review(
        deps,
        &ctx,
        template.id,
        review,
        "messaging.template.reviewed",
    )
    .await?;
    Ok(1)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, channel_id: Option<Uuid>) -> Result<Vec<Template>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<message_templates::Entity>();
    if let Some(channel) = channel_id {
        select = select.filter(message_templates::Column::ChannelId.eq(channel));
    }
    let rows = select
        .order_by_asc(message_templates::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Template> {
    TenantTx::read_one::<message_templates::Entity>(
        deps,
        ctx,
        Permission::MessagingRead,
        id,
        "template",
    )
    .await
}

/// The versions of each template, newest first: one statement for a loader's batch.
pub async fn versions_of(
    deps: &Deps,
    ctx: &TenantCtx,
    template_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<TemplateVersion>>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<message_template_versions::Entity>()
        .filter(message_template_versions::Column::TemplateId.is_in(template_ids.iter().copied()))
        .order_by_desc(message_template_versions::Column::Version)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |v| Some(v.template_id)))
}

pub async fn by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Template>> {
    TenantTx::read_many::<message_templates::Entity>(deps, ctx, Permission::MessagingRead, ids)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(body: &str, examples: &[&str]) -> TemplateContent {
        TemplateContent {
            header: None,
            body: body.into(),
            footer: None,
            buttons: Vec::new(),
            examples: examples.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn variables_are_numbered_without_gaps_and_each_has_an_example() {
        assert!(
            check(
                "promo",
                "es_MX",
                &content("Hola {{1}}, {{2}}", &["Ana", "10%"])
            )
            .is_ok()
        );
        assert!(
            check(
                "promo",
                "es_MX",
                &content("Hola {{1}}, {{3}}", &["Ana", "10%"])
            )
            .is_err()
        );
        assert!(check("promo", "es_MX", &content("Hola {{1}}", &[])).is_err());
        assert!(check("Promo", "es_MX", &content("Hola", &[])).is_err());
        assert!(check("promo", "spanish", &content("Hola", &[])).is_err());
    }
}
