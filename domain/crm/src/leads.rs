//! Leads (opportunities): created on a pipeline, moved through its stages with a history,
//! scored, and won or lost. Winning makes the contact and company customers.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::FromQueryResult;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoIden, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use tianguis_entity::crm::{
    activities, companies, contacts, crm_settings, lead_stage_changes, leads,
    pipeline_stages as stages,
};
use uuid::Uuid;

use super::custom_fields::{self, CustomFieldFilter, FieldEntity};
use super::pipelines::{self, Outcome};
use super::scoring::{self, LeadFacts, ScoreReason, ScoringConfig};
use super::{rules, search};
use crate::db::Current;
use crate::db::TenantTx;
use crate::db::stamped;
use crate::page::{Page, PageRequest, SortDirection, join_beside, paginate_with};
use crate::ports::Job;
use crate::registry::{JobKind, Queue};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use lead_stage_changes::Model as StageChange;
pub use leads::Model as Lead;

tianguis_kernel::stored_enum! {
    /// Where a lead came from.
    pub enum Source {
        Web = "web",
        Referral = "referral",
        Whatsapp = "whatsapp",
        Event = "event",
        Ads = "ads",
        Other = "other",
    }
}

#[derive(Clone, Debug, Default)]
pub struct LeadInput {
    pub title: Option<String>,
    pub contact_id: Option<Option<Uuid>>,
    pub company_id: Option<Option<Uuid>>,
    pub source: Option<Source>,
    pub owner_id: Option<Option<Uuid>>,
    pub value: Option<Decimal>,
    pub currency: Option<String>,
    pub expected_close_on: Option<Option<NaiveDate>>,
    pub next_follow_up_at: Option<Option<DateTime<Utc>>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<serde_json::Value>,
}

async fn apply(
    tx: &TenantTx,
    model: &mut leads::ActiveModel,
    input: LeadInput,
    previous_custom: Option<&serde_json::Value>,
) -> Result<()> {
    if let Some(title) = input.title {
        model.title = Set(required_text(&title, "title", 200)?);
    }
    if let Some(contact) = input.contact_id {
        if let Some(id) = contact {
            tx.get::<contacts::Entity>(id, "contact")
                .await
                .map_err(|_| Error::invalid("contactId", "no such contact"))?;
        }
        model.contact_id = Set(contact);
    }
    if let Some(company) = input.company_id {
        if let Some(id) = company {
            tx.get::<tianguis_entity::crm::companies::Entity>(id, "company")
                .await
                .map_err(|_| Error::invalid("companyId", "no such company"))?;
        }
        model.company_id = Set(company);
    }
    if model.contact_id.current()?.is_none() && model.company_id.current()?.is_none() {
        return Err(Error::invalid(
            "contactId",
            "a lead needs a contact, a company or both",
        ));
    }
    if let Some(s) = input.source {
        model.source = Set(s.key().to_owned());
    }
    if let Some(owner) = input.owner_id {
        if let Some(id) = owner {
            super::contacts::check_owner(tx, id).await?;
        }
        model.owner_id = Set(owner);
    }
    if let Some(currency) = input.currency {
        model.currency = Set(crate::rules::currency_code(&currency)?);
    }
    if let Some(value) = input.value {
        let currency = model.currency.current()?;
        model.value_minor = Set(rules::money_minor(value, &currency, "value")?);
    }
    if let Some(close) = input.expected_close_on {
        model.expected_close_on = Set(close);
    }
    if let Some(at) = input.next_follow_up_at {
        model.next_follow_up_at = Set(at);
    }
    if let Some(tags) = input.tags {
        model.tags = Set(serde_json::json!(rules::tags(&tags, "tags")?));
    }
    model.custom_fields = Set(custom_fields::apply(
        tx,
        FieldEntity::Lead,
        input.custom_fields.as_ref(),
        previous_custom,
    )
    .await?);
    Ok(())
}

/// The tenant's scoring configuration (the defaults until it sets its own).
pub(crate) async fn scoring_config(tx: &TenantTx) -> Result<ScoringConfig> {
    let stored = tx.select::<crm_settings::Entity>().one(&**tx).await?;
    Ok(stored
        .and_then(|s| serde_json::from_value(s.scoring).ok())
        .unwrap_or_default())
}

/// Recomputes a lead's score from its current facts.
async fn rescore(
    tx: &TenantTx,
    model: &mut leads::ActiveModel,
    config: &ScoringConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = model.id.current()?;
    let stage = tx
        .get::<stages::Entity>(model.stage_id.current()?, "stage")
        .await?;
    let window = now - Duration::days(i64::from(config.engagement_window_days));
    let recent = tx
        .select::<activities::Entity>()
        .filter(activities::Column::LeadId.eq(id))
        .filter(activities::Column::Kind.ne("task"))
        .filter(activities::Column::OccurredAt.gte(window))
        .count(&**tx)
        .await?;
    let currency = model.currency.current()?;
    let facts = LeadFacts {
        source: Source::from_stored(&model.source.current()?)?,
        value_major: model.value_minor.current()? / 10_i64.pow(rules::currency_exponent(&currency)),
        recent_activities: recent as i32,
        days_since_activity: model
            .last_activity_at
            .current()?
            .map(|at| (now - at).num_days()),
        stage_probability: stage.probability,
    };
    let (score, reasons) = scoring::score(config, &facts);
    model.score = Set(score);
    model.score_reasons = Set(serde_json::to_value(reasons).map_err(anyhow::Error::from)?);
    Ok(())
}

pub fn reasons_of(lead: &Lead) -> Vec<ScoreReason> {
    serde_json::from_value(lead.score_reasons.clone()).unwrap_or_default()
}

async fn stage_in(tx: &TenantTx, pipeline_id: Uuid, stage_id: Uuid) -> Result<stages::Model> {
    let stage = tx
        .get::<stages::Entity>(stage_id, "stage")
        .await
        .map_err(|_| Error::invalid("stageId", "no such stage"))?;
    if stage.pipeline_id != pipeline_id {
        return Err(Error::invalid(
            "stageId",
            "the stage belongs to another pipeline",
        ));
    }
    Ok(stage)
}

async fn record_stage_change(
    tx: &TenantTx,
    ctx: &TenantCtx,
    lead_id: Uuid,
    from: Option<Uuid>,
    to: Uuid,
) -> Result<()> {
    tx.insert(lead_stage_changes::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tx.tenant_id()),
        lead_id: Set(lead_id),
        from_stage_id: Set(from),
        to_stage_id: Set(to),
        actor_type: Set(ctx.actor.kind().to_owned()),
        actor_id: Set(ctx.actor.id()),
        ..Default::default()
    })
    .await?;
    Ok(())
}

pub struct NewLead {
    pub fields: LeadInput,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub attribution: Attribution,
}

/// Where a lead came from, as the page that brought it in said (UTM parameters, referrer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: NewLead) -> Result<Lead> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let lead = create_in(&mut tx, ctx, input).await?;
    tx.commit().await?;
    Ok(lead)
}

/// `create` within the caller's transaction.
pub async fn create_in(tx: &mut TenantTx, ctx: &TenantCtx, input: NewLead) -> Result<Lead> {
    if input.fields.title.is_none() {
        return Err(Error::invalid("title", "title is required"));
    }
    let region = super::tenant_region(&**tx, ctx.tenant_id).await?;
    let pipeline = match input.pipeline_id {
        Some(id) => tx
            .get::<tianguis_entity::crm::pipelines::Entity>(id, "pipeline")
            .await
            .map_err(|_| Error::invalid("pipelineId", "no such pipeline"))?,
        None => pipelines::default_pipeline(tx).await?,
    };
    let stage = match input.stage_id {
        Some(id) => stage_in(tx, pipeline.id, id).await?,
        None => tx
            .select::<stages::Entity>()
            .filter(stages::Column::PipelineId.eq(pipeline.id))
            .order_by_asc(stages::Column::Position)
            .one(&**tx)
            .await?
            .ok_or(Error::NotFound("stage"))?,
    };
    let now = tx.now();
    let outcome = Outcome::from_stored(&stage.outcome)?;
    let mut model = leads::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        title: Set(String::new()),
        contact_id: Set(None),
        company_id: Set(None),
        source: Set(Source::Other.key().to_owned()),
        owner_id: Set(ctx.actor_user()),
        value_minor: Set(0),
        currency: Set(region.currency.clone()),
        expected_close_on: Set(None),
        pipeline_id: Set(pipeline.id),
        stage_id: Set(stage.id),
        status: Set(outcome.key().to_owned()),
        lost_reason: Set(None),
        next_follow_up_at: Set(None),
        tags: Set(serde_json::json!([])),
        custom_fields: Set(serde_json::json!({})),
        score: Set(0),
        score_reasons: Set(serde_json::json!([])),
        last_activity_at: Set(None),
        closed_at: Set((outcome != Outcome::Open).then_some(now)),
        utm_source: Set(input.attribution.utm_source),
        utm_medium: Set(input.attribution.utm_medium),
        utm_campaign: Set(input.attribution.utm_campaign),
        referrer: Set(input.attribution.referrer),
        ..Default::default()
    };
    apply(tx, &mut model, input.fields, None).await?;
    let config = scoring_config(tx).await?;
    rescore(tx, &mut model, &config, now).await?;
    let lead = tx.insert(model).await?;
    record_stage_change(tx, ctx, lead.id, None, stage.id).await?;
    audit::record(
        tx,
        ctx,
        "crm.lead.created",
        ("lead", Some(lead.id)),
        event_data(&lead),
    )
    .await?;
    Ok(lead)
}

fn event_data(lead: &Lead) -> serde_json::Value {
    serde_json::json!({
        "title": lead.title,
        "contactId": lead.contact_id,
        "companyId": lead.company_id,
        "stageId": lead.stage_id,
        "status": lead.status,
        "value": super::Money::new(lead.value_minor, &lead.currency).amount().to_string(),
        "currency": lead.currency,
        "score": lead.score,
    })
}

pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, input: LeadInput) -> Result<Lead> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let lead = update_in(&mut tx, ctx, id, input).await?;
    tx.commit().await?;
    Ok(lead)
}

/// Changes a lead in the caller's transaction (a workflow's step).
pub async fn update_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    id: Uuid,
    input: LeadInput,
) -> Result<Lead> {
    let current = tx.get::<leads::Entity>(id, "lead").await?;
    let previous_custom = current.custom_fields.clone();
    let mut model: leads::ActiveModel = current.into();
    apply(tx, &mut model, input, Some(&previous_custom)).await?;
    let now = tx.now();
    let config = scoring_config(tx).await?;
    rescore(tx, &mut model, &config, now).await?;
    let lead = tx.update(model).await?;
    audit::record(
        tx,
        ctx,
        "crm.lead.updated",
        ("lead", Some(lead.id)),
        event_data(&lead),
    )
    .await?;
    Ok(lead)
}

/// Moves a lead to another stage (of its pipeline or another one). Reaching a won stage
/// makes its contact and company customers and emits `crm.lead.won`; a lost stage needs a
/// reason and emits `crm.lead.lost`; an open stage reopens a closed lead.
pub async fn move_to_stage(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    stage_id: Uuid,
    lost_reason: Option<String>,
) -> Result<Lead> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let lead = move_in(&mut tx, ctx, id, stage_id, lost_reason).await?;
    tx.commit().await?;
    Ok(lead)
}

/// Moves a lead in the caller's transaction (a workflow's step).
pub async fn move_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    id: Uuid,
    stage_id: Uuid,
    lost_reason: Option<String>,
) -> Result<Lead> {
    let lead = tx.get::<leads::Entity>(id, "lead").await?;
    let stage = tx
        .get::<stages::Entity>(stage_id, "stage")
        .await
        .map_err(|_| Error::invalid("stageId", "no such stage"))?;
    if stage.id == lead.stage_id {
        return Ok(lead);
    }
    let outcome = Outcome::from_stored(&stage.outcome)?;
    let reason = rules::optional_text(lost_reason.as_deref(), "lostReason", 500)?;
    if outcome == Outcome::Lost && reason.is_none() {
        return Err(Error::invalid("lostReason", "say why the lead was lost"));
    }
    let now = tx.now();
    let from = lead.stage_id;
    let mut model: leads::ActiveModel = lead.into();
    model.pipeline_id = Set(stage.pipeline_id);
    model.stage_id = Set(stage.id);
    model.status = Set(outcome.key().to_owned());
    model.lost_reason = Set(if outcome == Outcome::Lost {
        reason
    } else {
        None
    });
    model.closed_at = Set((outcome != Outcome::Open).then_some(now));
    let config = scoring_config(tx).await?;
    rescore(tx, &mut model, &config, now).await?;
    let lead = tx.update(model).await?;
    record_stage_change(tx, ctx, lead.id, Some(from), stage.id).await?;
    let mut data = event_data(&lead);
    data["fromStageId"] = serde_json::json!(from);
    data["stageName"] = serde_json::json!(stage.name);
    audit::record(
        tx,
        ctx,
        "crm.lead.stage_changed",
        ("lead", Some(lead.id)),
        data.clone(),
    )
    .await?;
    match outcome {
        Outcome::Won => {
            if let Some(contact) = lead.contact_id {
                super::contacts::mark_customer(tx, contact, now).await?;
            }
            if let Some(company) = lead.company_id {
                super::companies::mark_customer(tx, company, now).await?;
            }
            audit::record(tx, ctx, "crm.lead.won", ("lead", Some(lead.id)), data).await?;
        }
        Outcome::Lost => {
            data["lostReason"] = serde_json::json!(lead.lost_reason);
            audit::record(tx, ctx, "crm.lead.lost", ("lead", Some(lead.id)), data).await?;
        }
        Outcome::Open => {}
    }
    Ok(lead)
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::CrmLeadsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let lead = tx.get::<leads::Entity>(id, "lead").await?;
    leads::Entity::delete_by_id(lead.id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.lead.deleted",
        ("lead", Some(lead.id)),
        serde_json::json!({ "title": lead.title }),
    )
    .await?;
    tx.commit().await?;
    Ok(lead.id)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Lead> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let lead = tx.get::<leads::Entity>(id, "lead").await?;
    tx.commit().await?;
    Ok(lead)
}

/// Leads by id: one statement per batch.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Lead>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<leads::Entity>()
        .filter(leads::Column::Id.is_in(ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.into_iter().map(|l| (l.id, l)).collect())
}

/// The stage history of each lead, oldest first: one statement per batch.
pub async fn stage_history(
    deps: &Deps,
    ctx: &TenantCtx,
    lead_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<StageChange>>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<lead_stage_changes::Entity>()
        .filter(lead_stage_changes::Column::LeadId.is_in(lead_ids.iter().copied()))
        .order_by_asc(lead_stage_changes::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(super::group_by(found, |c| Some(c.lead_id)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LeadOrder {
    #[default]
    Newest,
    Oldest,
    RecentlyUpdated,
    HighestValue,
    HighestScore,
}

#[derive(Clone, Debug, Default)]
pub struct LeadFilter {
    pub pipeline_id: Option<Uuid>,
    pub stage_ids: Vec<Uuid>,
    pub statuses: Vec<Outcome>,
    pub owner_ids: Vec<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub sources: Vec<Source>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    pub tags: Vec<String>,
    pub custom_fields: Vec<CustomFieldFilter>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub close_after: Option<NaiveDate>,
    pub close_before: Option<NaiveDate>,
    pub follow_up_before: Option<DateTime<Utc>>,
    /// Free text over the title, the contact (name, email, phone) and the company.
    pub search: Option<String>,
}

/// What a list of leads should bring along, because the caller will show it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeadIncludes {
    pub contacts: bool,
    pub companies: bool,
    pub owners: bool,
    pub stages: bool,
    pub recent_activities: bool,
}

/// The records a page of leads refers to, read with the page.
#[derive(Debug, Default)]
pub struct LeadRelations {
    pub contacts: HashMap<Uuid, super::contacts::Contact>,
    pub companies: HashMap<Uuid, super::companies::Company>,
    pub owners: HashMap<Uuid, crate::tenancy::members::User>,
    pub stages: HashMap<Uuid, super::pipelines::Stage>,
    pub recent_activities: HashMap<Uuid, Vec<super::activities::Activity>>,
}

/// A page of leads and, in the same transaction, the records `include` asks for: one
/// statement per kind of record, whatever the page size, and no transaction of their own.
pub async fn list_with(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: LeadFilter,
    order: LeadOrder,
    page: &PageRequest,
    include: LeadIncludes,
) -> Result<(Page<Lead>, LeadRelations)> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    // Contacts and companies need their own permission; without it the fields say so.
    let contacts_visible = ctx.permissions.contains(Permission::CrmContactsRead);
    let beside = Beside {
        contacts: include.contacts && contacts_visible,
        companies: include.companies && contacts_visible,
    };
    let page = list_in(&tx, ctx, filter, order, page, beside).await?;
    let mut related = LeadRelations::default();
    let page = page.map(|(lead, (contact, company))| {
        if let Some(contact) = contact {
            related.contacts.insert(contact.id, contact);
        }
        if let Some(company) = company {
            related.companies.insert(company.id, company);
        }
        lead
    });
    let ids = |f: fn(&Lead) -> Option<Uuid>| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = page.items.iter().filter_map(f).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    if include.owners {
        related.owners = crate::tenancy::members::users_in(&tx, &ids(|l| l.owner_id)).await?;
    }
    if include.stages {
        related.stages = tx
            .get_many::<stages::Entity>(&ids(|l| Some(l.stage_id)))
            .await?;
    }
    if include.recent_activities {
        let leads: Vec<Uuid> = page.items.iter().map(|l| l.id).collect();
        related.recent_activities = super::activities::recent_for_leads_in(&tx, &leads).await?;
        for lead in leads {
            related.recent_activities.entry(lead).or_default();
        }
    }
    tx.commit().await?;
    Ok((page, related))
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: LeadFilter,
    order: LeadOrder,
    page: &PageRequest,
) -> Result<Page<Lead>> {
    Ok(
        list_with(deps, ctx, filter, order, page, LeadIncludes::default())
            .await?
            .0,
    )
}

/// Which of a lead's records the page query reads beside it, joined in the same statement.
#[derive(Clone, Copy, Default)]
struct Beside {
    contacts: bool,
    companies: bool,
}

const CONTACT_BESIDE: &str = "beside_contact";
const COMPANY_BESIDE: &str = "beside_company";

type LeadBeside = (Lead, (Option<contacts::Model>, Option<companies::Model>));

async fn list_in(
    tx: &TenantTx,
    ctx: &TenantCtx,
    filter: LeadFilter,
    order: LeadOrder,
    page: &PageRequest,
    beside: Beside,
) -> Result<Page<LeadBeside>> {
    let backend = tx.get_database_backend();
    let mut select = tx.select::<leads::Entity>();
    if let Some(pipeline) = filter.pipeline_id {
        select = select.filter(leads::Column::PipelineId.eq(pipeline));
    }
    if !filter.stage_ids.is_empty() {
        select = select.filter(leads::Column::StageId.is_in(filter.stage_ids));
    }
    if !filter.statuses.is_empty() {
        let statuses = filter.statuses.iter().map(|s| s.key());
        select = select.filter(leads::Column::Status.is_in(statuses));
    }
    if !filter.owner_ids.is_empty() {
        select = select.filter(leads::Column::OwnerId.is_in(filter.owner_ids));
    }
    if let Some(contact) = filter.contact_id {
        select = select.filter(leads::Column::ContactId.eq(contact));
    }
    if let Some(company) = filter.company_id {
        select = select.filter(leads::Column::CompanyId.eq(company));
    }
    if !filter.sources.is_empty() {
        let sources = filter.sources.iter().map(|s| s.key());
        select = select.filter(leads::Column::Source.is_in(sources));
    }
    if let Some(min) = filter.min_score {
        select = select.filter(leads::Column::Score.gte(min));
    }
    if let Some(max) = filter.max_score {
        select = select.filter(leads::Column::Score.lte(max));
    }
    for tag in rules::tags(&filter.tags, "tags")? {
        select = select.filter(search::has_tag(backend, "leads", &tag));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(leads::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(leads::Column::CreatedAt.lt(before));
    }
    if let Some(after) = filter.close_after {
        select = select.filter(leads::Column::ExpectedCloseOn.gte(after));
    }
    if let Some(before) = filter.close_before {
        select = select.filter(leads::Column::ExpectedCloseOn.lte(before));
    }
    if let Some(before) = filter.follow_up_before {
        select = select.filter(leads::Column::NextFollowUpAt.lt(before));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        let contacts_matching = Query::select()
            .column(contacts::Column::Id)
            .from(contacts::Entity)
            .and_where(Expr::col((contacts::Entity, contacts::Column::TenantId)).eq(ctx.tenant_id))
            .cond_where(super::contacts::text_condition(
                backend,
                ctx.tenant_id,
                text,
            ))
            .to_owned();
        let companies_matching = Query::select()
            .column(tianguis_entity::crm::companies::Column::Id)
            .from(tianguis_entity::crm::companies::Entity)
            .and_where(
                Expr::col((
                    tianguis_entity::crm::companies::Entity,
                    tianguis_entity::crm::companies::Column::TenantId,
                ))
                .eq(ctx.tenant_id),
            )
            .cond_where(super::companies::text_condition(backend, text))
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(search::like_sql(
                    backend,
                    "lower(leads.title)",
                    &search::contains_pattern(text),
                ))
                .add(
                    Expr::col((leads::Entity, leads::Column::ContactId))
                        .in_subquery(contacts_matching),
                )
                .add(
                    Expr::col((leads::Entity, leads::Column::CompanyId))
                        .in_subquery(companies_matching),
                ),
        );
    }
    for condition in custom_fields::conditions(tx, FieldEntity::Lead, &filter.custom_fields).await?
    {
        select = select.filter(condition);
    }
    let (key, direction) = match order {
        LeadOrder::Newest => (None, SortDirection::Desc),
        LeadOrder::Oldest => (None, SortDirection::Asc),
        LeadOrder::RecentlyUpdated => (Some(leads::Column::UpdatedAt), SortDirection::Desc),
        LeadOrder::HighestValue => (Some(leads::Column::ValueMinor), SortDirection::Desc),
        LeadOrder::HighestScore => (Some(leads::Column::Score), SortDirection::Desc),
    };
    let lead_column = |column: leads::Column| (leads::Entity.into_iden(), column.into_iden());
    let page = paginate_with(
        &**tx,
        select,
        key,
        leads::Column::Id,
        direction,
        page,
        |query| {
            let tenant = lead_column(leads::Column::TenantId);
            if beside.contacts {
                join_beside::<contacts::Entity>(
                    query,
                    CONTACT_BESIDE,
                    lead_column(leads::Column::ContactId),
                    tenant.clone(),
                );
            }
            if beside.companies {
                join_beside::<companies::Entity>(
                    query,
                    COMPANY_BESIDE,
                    lead_column(leads::Column::CompanyId),
                    tenant,
                );
            }
        },
        |row| {
            let contact = if beside.contacts {
                contacts::Model::from_query_result_optional(row, &format!("{CONTACT_BESIDE}_"))?
            } else {
                None
            };
            let company = if beside.companies {
                companies::Model::from_query_result_optional(row, &format!("{COMPANY_BESIDE}_"))?
            } else {
                None
            };
            Ok((contact, company))
        },
    )
    .await?;
    Ok(page)
}

/// Recomputes the score of one lead after something it depends on changed (an activity).
pub(crate) async fn rescore_lead(
    tx: &TenantTx,
    lead_id: Uuid,
    last_activity: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let lead = tx.get::<leads::Entity>(lead_id, "lead").await?;
    let mut model: leads::ActiveModel = lead.clone().into();
    if let Some(at) = last_activity
        && lead.last_activity_at.is_none_or(|previous| previous < at)
    {
        model.last_activity_at = Set(Some(at));
    }
    let config = scoring_config(tx).await?;
    rescore(tx, &mut model, &config, now).await?;
    model.update(&**tx).await?;
    Ok(())
}

pub async fn get_scoring(deps: &Deps, ctx: &TenantCtx) -> Result<ScoringConfig> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let config = scoring_config(&tx).await?;
    tx.commit().await?;
    Ok(config)
}

/// Stores the tenant's scoring configuration; every open lead is rescored by a job.
pub async fn set_scoring(
    deps: &Deps,
    ctx: &TenantCtx,
    config: ScoringConfig,
) -> Result<ScoringConfig> {
    ctx.require(Permission::TenantSettingsWrite)?;
    if config.engagement_window_days <= 0 || config.recency_points.iter().any(|b| b.days <= 0) {
        return Err(Error::invalid(
            "recencyPoints",
            "day windows must be positive",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let json = serde_json::to_value(&config).map_err(anyhow::Error::from)?;
    let now = deps.clock.now();
    crm_settings::Entity::insert(stamped(
        now,
        crm_settings::ActiveModel {
            tenant_id: Set(ctx.tenant_id),
            scoring: Set(json.clone()),
            ..Default::default()
        },
    ))
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(crm_settings::Column::TenantId)
            .update_columns([
                crm_settings::Column::Scoring,
                crm_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.scoring.updated",
        ("crm_settings", None),
        json,
    )
    .await?;
    tx.enqueue_after_commit(Job::new(RescoreLeads {
        tenant_id: ctx.tenant_id,
        stale_only: false,
    }))
    .await?;
    tx.commit().await?;
    Ok(config)
}

/// Recomputes lead scores of a tenant: all open leads, or only those time may change.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RescoreLeads {
    pub tenant_id: Uuid,
    pub stale_only: bool,
}

impl JobKind for RescoreLeads {
    const NAME: &'static str = "RescoreLeads";
    const QUEUE: Queue = tianguis_kernel::jobs::MAINTENANCE;
    fn tenant_id(&self) -> Option<Uuid> {
        Some(self.tenant_id)
    }
}

/// Rescores a tenant's open leads: all of them, or (`stale_only`) those whose last activity
/// is recent enough that time passing may have changed their score. Run by a job.
pub async fn rescore_open_leads(deps: &Deps, tenant_id: Uuid, stale_only: bool) -> Result<usize> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let config = scoring_config(&tx).await?;
    let now = deps.clock.now();
    let mut select = tx
        .select::<leads::Entity>()
        .filter(leads::Column::Status.eq(Outcome::Open.key()));
    if stale_only {
        let horizon = now - Duration::days(i64::from(config.horizon_days()) + 2);
        select = select.filter(leads::Column::LastActivityAt.gte(horizon));
    }
    let open = select.all(&*tx).await?;
    let mut changed = 0;
    for lead in open {
        let before = (lead.score, lead.score_reasons.clone());
        let mut model: leads::ActiveModel = lead.into();
        rescore(&tx, &mut model, &config, now).await?;
        if (model.score.current()?, model.score_reasons.current()?) != before {
            model.update(&*tx).await?;
            changed += 1;
        }
    }
    tx.commit().await?;
    Ok(changed)
}
