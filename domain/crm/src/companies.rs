//! Companies: businesses the tenant sells to, with the tax data their invoices need.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
};
use tianguis_entity::crm::companies;
use uuid::Uuid;

use super::custom_fields::{self, CustomFieldFilter, FieldEntity};
use super::rules;
use super::search;
use crate::db::Current;
use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use companies::Model as Company;

/// The fields a company is created or changed with; absent fields are left as they are.
#[derive(Clone, Debug, Default)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub rfc: Option<String>,
    pub tax_regime: Option<String>,
    pub postal_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<Uuid>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<serde_json::Value>,
}

fn search_text_of(c: &companies::ActiveModel) -> Result<String> {
    Ok(super::search_text(&[
        Some(c.name.current()?.as_str()),
        c.legal_name.current()?.as_deref(),
        c.email.current()?.as_deref(),
        c.phone.current()?.as_deref(),
        c.rfc.current()?.as_deref(),
    ]))
}

/// Applies `input` to `model`, validating each given field.
async fn apply(
    tx: &TenantTx,
    country: &str,
    model: &mut companies::ActiveModel,
    input: CompanyInput,
    previous_custom: Option<&serde_json::Value>,
) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 200)?);
    }
    if let Some(v) = input.legal_name {
        model.legal_name =
            Set(rules::optional_text(Some(&v), "legalName", 300)?.map(|s| s.to_uppercase()));
    }
    if let Some(v) = input.rfc {
        model.rfc = Set(Some(v)
            .filter(|s| !s.trim().is_empty())
            .map(|s| rules::rfc(&s, "rfc"))
            .transpose()?);
    }
    if let Some(v) = input.tax_regime {
        model.tax_regime = Set(Some(v)
            .filter(|s| !s.trim().is_empty())
            .map(|s| rules::tax_regime(&s, "taxRegime"))
            .transpose()?);
    }
    if let Some(v) = input.postal_code {
        model.postal_code = Set(Some(v)
            .filter(|s| !s.trim().is_empty())
            .map(|s| rules::postal_code(&s, "postalCode"))
            .transpose()?);
    }
    if let Some(v) = input.email {
        model.email = Set(rules::optional_email(Some(&v), "email")?);
    }
    if let Some(v) = input.phone {
        model.phone = Set(Some(v)
            .filter(|s| !s.trim().is_empty())
            .map(|s| rules::phone_e164(&s, country, "phone"))
            .transpose()?);
    }
    if let Some(v) = input.website {
        model.website = Set(rules::optional_text(Some(&v), "website", 300)?);
    }
    if let Some(v) = input.city {
        model.city = Set(rules::optional_text(Some(&v), "city", 120)?);
    }
    if let Some(owner) = input.owner_id {
        super::contacts::check_owner(tx, owner).await?;
        model.owner_id = Set(Some(owner));
    }
    if let Some(tags) = input.tags {
        model.tags = Set(serde_json::json!(rules::tags(&tags, "tags")?));
    }
    model.custom_fields = Set(custom_fields::apply(
        tx,
        FieldEntity::Company,
        input.custom_fields.as_ref(),
        previous_custom,
    )
    .await?);
    model.search_text = Set(search_text_of(model)?);
    Ok(())
}

/// The first company already holding the RFC, email or phone of `model`.
async fn duplicate_of(
    tx: &TenantTx,
    model: &companies::ActiveModel,
) -> Result<Option<(&'static str, Uuid)>> {
    let keys: [(&'static str, companies::Column, Option<String>); 3] = [
        ("rfc", companies::Column::Rfc, model.rfc.current()?),
        ("email", companies::Column::Email, model.email.current()?),
        ("phone", companies::Column::Phone, model.phone.current()?),
    ];
    // Generic RFCs (public at large, foreigners) are shared by many customers.
    for (field, column, value) in keys {
        let Some(value) = value.filter(|v| !v.starts_with("XAXX") && !v.starts_with("XEXX")) else {
            continue;
        };
        if let Some(found) = tx
            .select::<companies::Entity>()
            .filter(column.eq(value))
            .one(&**tx)
            .await?
        {
            return Ok(Some((field, found.id)));
        }
    }
    Ok(None)
}

pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    input: CompanyInput,
    allow_duplicate: bool,
) -> Result<Company> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let region = super::tenant_region(&*tx, ctx.tenant_id).await?;
    let mut model = companies::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        legal_name: Set(None),
        rfc: Set(None),
        tax_regime: Set(None),
        postal_code: Set(None),
        email: Set(None),
        phone: Set(None),
        website: Set(None),
        city: Set(None),
        owner_id: Set(ctx.actor_user()),
        tags: Set(serde_json::json!([])),
        custom_fields: Set(serde_json::json!({})),
        is_customer: Set(false),
        customer_since: Set(None),
        search_text: Set(String::new()),
        ..Default::default()
    };
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    apply(&tx, &region.country, &mut model, input, None).await?;
    if !allow_duplicate && let Some((field, existing)) = duplicate_of(&tx, &model).await? {
        return Err(Error::duplicate(field, existing, "company"));
    }
    let company = tx.insert(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.company.created",
        ("company", Some(company.id)),
        serde_json::json!({ "name": company.name, "rfc": company.rfc }),
    )
    .await?;
    tx.commit().await?;
    Ok(company)
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: CompanyInput,
) -> Result<Company> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let region = super::tenant_region(&*tx, ctx.tenant_id).await?;
    let current = tx.get::<companies::Entity>(id, "company").await?;
    let previous_custom = current.custom_fields.clone();
    let mut model: companies::ActiveModel = current.into();
    apply(
        &tx,
        &region.country,
        &mut model,
        input,
        Some(&previous_custom),
    )
    .await?;
    let company = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.company.updated",
        ("company", Some(company.id)),
        serde_json::json!({ "name": company.name, "rfc": company.rfc }),
    )
    .await?;
    tx.commit().await?;
    Ok(company)
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let company = tx.get::<companies::Entity>(id, "company").await?;
    companies::Entity::delete_by_id(company.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.company.deleted",
        ("company", Some(company.id)),
        serde_json::json!({ "name": company.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(company.id)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Company> {
    TenantTx::read_one::<companies::Entity>(deps, ctx, Permission::CrmContactsRead, id, "company")
        .await
}

/// Companies by id within the caller's tenant: one statement per batch.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Company>> {
    TenantTx::read_many::<companies::Entity>(deps, ctx, Permission::CrmContactsRead, ids).await
}

#[derive(Clone, Debug, Default)]
pub struct CompanyFilter {
    pub search: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub is_customer: Option<bool>,
    pub rfc: Option<String>,
    pub custom_fields: Vec<CustomFieldFilter>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// The condition that finds companies matching free text (name, legal name, email, phone, RFC).
pub(crate) fn text_condition(backend: DbBackend, text: &str) -> Condition {
    let mut any = Condition::any().add(search::like(
        backend,
        "companies",
        "search_text",
        &search::contains_pattern(text),
    ));
    if let Some(digits) = search::phone_digits(text) {
        any = any.add(search::like(
            backend,
            "companies",
            "phone",
            &search::contains_pattern(&digits),
        ));
    }
    any
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: CompanyFilter,
    direction: SortDirection,
    page: &PageRequest,
) -> Result<Page<Company>> {
    ctx.require(Permission::CrmContactsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut select = tx.select::<companies::Entity>();
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(text_condition(backend, text));
    }
    for tag in rules::tags(&filter.tags, "tags")? {
        select = select.filter(search::has_tag(backend, "companies", &tag));
    }
    if let Some(owner) = filter.owner_id {
        select = select.filter(companies::Column::OwnerId.eq(owner));
    }
    if let Some(customer) = filter.is_customer {
        select = select.filter(companies::Column::IsCustomer.eq(customer));
    }
    if let Some(rfc) = filter.rfc {
        select = select.filter(companies::Column::Rfc.eq(rfc.trim().to_uppercase()));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(companies::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(companies::Column::CreatedAt.lt(before));
    }
    for condition in
        custom_fields::conditions(&tx, FieldEntity::Company, &filter.custom_fields).await?
    {
        select = select.filter(condition);
    }
    let page = paginate(&*tx, select, companies::Column::Id, direction, page).await?;
    tx.commit().await?;
    Ok(page)
}

/// Marks a company as a customer (a lead was won); keeps the first date it became one.
pub(crate) async fn mark_customer(tx: &TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    companies::Entity::update_many()
        .col_expr(companies::Column::IsCustomer, true.into())
        .col_expr(
            companies::Column::CustomerSince,
            sea_orm::sea_query::Expr::col(companies::Column::CustomerSince).if_null(now),
        )
        .filter(companies::Column::TenantId.eq(tx.tenant_id()))
        .filter(companies::Column::Id.eq(id))
        .exec(&**tx)
        .await?;
    Ok(())
}
