//! Contacts: the people the tenant sells to. Duplicates are caught on create by email,
//! phone and RFC; `merge` folds one contact into another.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use tianguis_entity::crm::{activities, companies, contacts, leads, proposals};
use tianguis_entity::tenancy::memberships;
use uuid::Uuid;

use super::custom_fields::{self, CustomFieldFilter, FieldEntity};
use super::rules;
use super::search;
use crate::db::Current;
use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

/// Contacts a plan includes.
pub const CONTACTS: crate::plans::Resource = crate::plans::Resource {
    noun: "contacts",
    free: 500,
    pro: 50_000,
    count: |tx| Box::pin(async move { Ok(tx.select::<contacts::Entity>().count(&**tx).await?) }),
};

pub use contacts::Model as Contact;

/// The fields a contact is created or changed with; absent fields are left as they are.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub rfc: Option<String>,
    pub job_title: Option<String>,
    pub city: Option<String>,
    /// `Some(None)` detaches the contact from its company.
    pub company_id: Option<Option<Uuid>>,
    pub owner_id: Option<Uuid>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<serde_json::Value>,
}

/// An owner must be a member of the tenant.
pub async fn check_owner(tx: &TenantTx, user_id: Uuid) -> Result<()> {
    let member = tx
        .select::<memberships::Entity>()
        .filter(memberships::Column::UserId.eq(user_id))
        .count(&**tx)
        .await?;
    if member == 0 {
        return Err(Error::invalid(
            "ownerId",
            "the owner must be a member of this business",
        ));
    }
    Ok(())
}

fn search_text_of(c: &contacts::ActiveModel) -> Result<String> {
    let name = format!("{} {}", c.first_name.current()?, c.last_name.current()?);
    Ok(super::search_text(&[
        Some(name.as_str()),
        c.email.current()?.as_deref(),
        c.phone.current()?.as_deref(),
        c.rfc.current()?.as_deref(),
    ]))
}

async fn apply(
    tx: &TenantTx,
    country: &str,
    model: &mut contacts::ActiveModel,
    input: ContactInput,
    previous_custom: Option<&serde_json::Value>,
) -> Result<()> {
    if let Some(v) = input.first_name {
        model.first_name = Set(required_text(&v, "firstName", 100)?);
    }
    if let Some(v) = input.last_name {
        model.last_name = Set(rules::optional_text(Some(&v), "lastName", 100)?.unwrap_or_default());
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
    if let Some(v) = input.rfc {
        model.rfc = Set(Some(v)
            .filter(|s| !s.trim().is_empty())
            .map(|s| rules::rfc(&s, "rfc"))
            .transpose()?);
    }
    if let Some(v) = input.job_title {
        model.job_title = Set(rules::optional_text(Some(&v), "jobTitle", 120)?);
    }
    if let Some(v) = input.city {
        model.city = Set(rules::optional_text(Some(&v), "city", 120)?);
    }
    if let Some(company) = input.company_id {
        if let Some(id) = company {
            tx.get::<companies::Entity>(id, "company")
                .await
                .map_err(|_| Error::invalid("companyId", "no such company"))?;
        }
        model.company_id = Set(company);
    }
    if let Some(owner) = input.owner_id {
        check_owner(tx, owner).await?;
        model.owner_id = Set(Some(owner));
    }
    if let Some(tags) = input.tags {
        model.tags = Set(serde_json::json!(rules::tags(&tags, "tags")?));
    }
    model.custom_fields = Set(custom_fields::apply(
        tx,
        FieldEntity::Contact,
        input.custom_fields.as_ref(),
        previous_custom,
    )
    .await?);
    model.search_text = Set(search_text_of(model)?);
    Ok(())
}

async fn duplicate_of(
    tx: &TenantTx,
    model: &contacts::ActiveModel,
    except: Option<Uuid>,
) -> Result<Option<(&'static str, Uuid)>> {
    let keys: [(&'static str, contacts::Column, Option<String>); 3] = [
        ("email", contacts::Column::Email, model.email.current()?),
        ("phone", contacts::Column::Phone, model.phone.current()?),
        ("rfc", contacts::Column::Rfc, model.rfc.current()?),
    ];
    for (field, column, value) in keys {
        // Generic RFCs (public at large, foreigners) are shared by many customers.
        let Some(value) = value.filter(|v| !v.starts_with("XAXX") && !v.starts_with("XEXX")) else {
            continue;
        };
        let mut query = tx.select::<contacts::Entity>().filter(column.eq(value));
        if let Some(except) = except {
            query = query.filter(contacts::Column::Id.ne(except));
        }
        if let Some(found) = query.one(&**tx).await? {
            return Ok(Some((field, found.id)));
        }
    }
    Ok(None)
}

/// Creates a contact. Unless `allow_duplicate`, a contact with the same email, phone or RFC
/// answers CONFLICT naming the field and the existing contact's id.
pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    input: ContactInput,
    allow_duplicate: bool,
) -> Result<Contact> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let contact = create_in(&mut tx, ctx, input, allow_duplicate).await?;
    tx.commit().await?;
    Ok(contact)
}

/// What `find_or_create_in` did.
pub enum Found {
    Existing(Contact),
    Created(Contact),
}

impl Found {
    pub fn contact(&self) -> &Contact {
        match self {
            Found::Existing(c) | Found::Created(c) => c,
        }
    }
}

/// The contact with the same email, phone or RFC as `input` (the duplicate rules of
/// `create`), or a new one; within the caller's transaction.
pub async fn find_or_create_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: ContactInput,
) -> Result<Found> {
    match create_in(tx, ctx, input, false).await {
        Ok(created) => Ok(Found::Created(created)),
        Err(Error::Duplicate { existing_id, .. }) => Ok(Found::Existing(
            tx.get::<contacts::Entity>(existing_id, "contact").await?,
        )),
        Err(err) => Err(err),
    }
}

/// `create` within the caller's transaction.
pub async fn create_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: ContactInput,
    allow_duplicate: bool,
) -> Result<Contact> {
    if input.first_name.is_none() {
        return Err(Error::invalid("firstName", "firstName is required"));
    }
    let region = super::tenant_region(&**tx, ctx.tenant_id).await?;
    let mut model = contacts::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        email: Set(None),
        phone: Set(None),
        rfc: Set(None),
        job_title: Set(None),
        city: Set(None),
        company_id: Set(None),
        owner_id: Set(ctx.actor_user()),
        tags: Set(serde_json::json!([])),
        custom_fields: Set(serde_json::json!({})),
        is_customer: Set(false),
        customer_since: Set(None),
        search_text: Set(String::new()),
        ..Default::default()
    };
    apply(tx, &region.country, &mut model, input, None).await?;
    if !allow_duplicate && let Some((field, existing)) = duplicate_of(tx, &model, None).await? {
        return Err(Error::duplicate(field, existing, "contact"));
    }
    // After the duplicate check: finding an existing contact needs no room.
    crate::plans::ensure_room(tx, &CONTACTS).await?;
    let contact = tx.insert(model).await?;
    audit::record(
        tx,
        ctx,
        "crm.contact.created",
        ("contact", Some(contact.id)),
        serde_json::json!({ "name": format!("{} {}", contact.first_name, contact.last_name).trim(), "email": contact.email }),
    )
    .await?;
    Ok(contact)
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ContactInput,
) -> Result<Contact> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let contact = update_in(&mut tx, ctx, id, input).await?;
    tx.commit().await?;
    Ok(contact)
}

/// Changes a contact in the caller's transaction (a workflow's step).
pub async fn update_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    id: Uuid,
    input: ContactInput,
) -> Result<Contact> {
    let region = super::tenant_region(&**tx, ctx.tenant_id).await?;
    let current = tx.get::<contacts::Entity>(id, "contact").await?;
    let previous_custom = current.custom_fields.clone();
    let mut model: contacts::ActiveModel = current.into();
    apply(
        tx,
        &region.country,
        &mut model,
        input,
        Some(&previous_custom),
    )
    .await?;
    let contact = tx.update(model).await?;
    audit::record(
        tx,
        ctx,
        "crm.contact.updated",
        ("contact", Some(contact.id)),
        serde_json::json!({ "email": contact.email, "phone": contact.phone }),
    )
    .await?;
    Ok(contact)
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::CrmContactsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let contact = tx.get::<contacts::Entity>(id, "contact").await?;
    contacts::Entity::delete_by_id(contact.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.contact.deleted",
        ("contact", Some(contact.id)),
        serde_json::json!({ "email": contact.email }),
    )
    .await?;
    tx.commit().await?;
    Ok(contact.id)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Contact> {
    TenantTx::read_one::<contacts::Entity>(deps, ctx, Permission::CrmContactsRead, id, "contact")
        .await
}

/// Contacts by id within the caller's tenant: one statement per batch.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Contact>> {
    TenantTx::read_many::<contacts::Entity>(deps, ctx, Permission::CrmContactsRead, ids).await
}

#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    /// Free text over name, email, phone, RFC and the company's name.
    pub search: Option<String>,
    pub tags: Vec<String>,
    pub company_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub is_customer: Option<bool>,
    pub city: Option<String>,
    pub custom_fields: Vec<CustomFieldFilter>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Contacts matching free text, directly or through their company.
pub(crate) fn text_condition(backend: DbBackend, tenant_id: Uuid, text: &str) -> Condition {
    let pattern = search::contains_pattern(text);
    let mut any = Condition::any().add(search::like(backend, "contacts", "search_text", &pattern));
    if let Some(digits) = search::phone_digits(text) {
        any = any.add(search::like(
            backend,
            "contacts",
            "phone",
            &search::contains_pattern(&digits),
        ));
    }
    let companies = Query::select()
        .column(companies::Column::Id)
        .from(companies::Entity)
        .and_where(Expr::col((companies::Entity, companies::Column::TenantId)).eq(tenant_id))
        .cond_where(super::companies::text_condition(backend, text))
        .to_owned();
    any.add(Expr::col((contacts::Entity, contacts::Column::CompanyId)).in_subquery(companies))
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: ContactFilter,
    direction: SortDirection,
    page: &PageRequest,
) -> Result<Page<Contact>> {
    ctx.require(Permission::CrmContactsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut select = tx.select::<contacts::Entity>();
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(text_condition(backend, ctx.tenant_id, text));
    }
    for tag in rules::tags(&filter.tags, "tags")? {
        select = select.filter(search::has_tag(backend, "contacts", &tag));
    }
    if let Some(company) = filter.company_id {
        select = select.filter(contacts::Column::CompanyId.eq(company));
    }
    if let Some(owner) = filter.owner_id {
        select = select.filter(contacts::Column::OwnerId.eq(owner));
    }
    if let Some(customer) = filter.is_customer {
        select = select.filter(contacts::Column::IsCustomer.eq(customer));
    }
    if let Some(city) = filter.city {
        select = select.filter(contacts::Column::City.eq(city.trim()));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(contacts::Column::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(contacts::Column::CreatedAt.lt(before));
    }
    for condition in
        custom_fields::conditions(&tx, FieldEntity::Contact, &filter.custom_fields).await?
    {
        select = select.filter(condition);
    }
    let page = paginate(&*tx, select, contacts::Column::Id, direction, page).await?;
    tx.commit().await?;
    Ok(page)
}

/// Folds `merged` into `survivor`: its leads, activities and proposals move over, the
/// survivor's empty fields take the merged contact's values, tags and custom fields are
/// combined (the survivor's values win), and the merged contact is deleted.
pub async fn merge(
    deps: &Deps,
    ctx: &TenantCtx,
    survivor_id: Uuid,
    merged_id: Uuid,
) -> Result<Contact> {
    ctx.require(Permission::CrmContactsWrite)?;
    if survivor_id == merged_id {
        return Err(Error::invalid(
            "mergedId",
            "a contact cannot be merged into itself",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let survivor = tx.get::<contacts::Entity>(survivor_id, "contact").await?;
    let merged = tx.get::<contacts::Entity>(merged_id, "contact").await?;
    let tenant = ctx.tenant_id;
    leads::Entity::update_many()
        .col_expr(leads::Column::ContactId, Expr::value(survivor.id))
        .filter(leads::Column::TenantId.eq(tenant))
        .filter(leads::Column::ContactId.eq(merged.id))
        .exec(&*tx)
        .await?;
    activities::Entity::update_many()
        .col_expr(activities::Column::ContactId, Expr::value(survivor.id))
        .filter(activities::Column::TenantId.eq(tenant))
        .filter(activities::Column::ContactId.eq(merged.id))
        .exec(&*tx)
        .await?;
    proposals::Entity::update_many()
        .col_expr(proposals::Column::ContactId, Expr::value(survivor.id))
        .filter(proposals::Column::TenantId.eq(tenant))
        .filter(proposals::Column::ContactId.eq(merged.id))
        .exec(&*tx)
        .await?;

    let mut tags = super::tags_of(&survivor.tags);
    for tag in super::tags_of(&merged.tags) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let mut custom = merged
        .custom_fields
        .as_object()
        .cloned()
        .unwrap_or_default();
    custom.extend(
        survivor
            .custom_fields
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    // The merged contact goes first: the unique values it holds move to the survivor.
    contacts::Entity::delete_by_id(merged.id).exec(&*tx).await?;
    let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    let mut model: contacts::ActiveModel = survivor.clone().into();
    model.last_name = Set(if survivor.last_name.is_empty() {
        merged.last_name.clone()
    } else {
        survivor.last_name.clone()
    });
    model.email = Set(pick(&survivor.email, &merged.email));
    model.phone = Set(pick(&survivor.phone, &merged.phone));
    model.rfc = Set(pick(&survivor.rfc, &merged.rfc));
    model.job_title = Set(pick(&survivor.job_title, &merged.job_title));
    model.city = Set(pick(&survivor.city, &merged.city));
    model.company_id = Set(survivor.company_id.or(merged.company_id));
    model.owner_id = Set(survivor.owner_id.or(merged.owner_id));
    model.tags = Set(serde_json::json!(tags));
    model.custom_fields = Set(serde_json::Value::Object(custom));
    model.is_customer = Set(survivor.is_customer || merged.is_customer);
    model.customer_since = Set(match (survivor.customer_since, merged.customer_since) {
        (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
        (a, b) => a.or(b),
    });
    model.search_text = Set(search_text_of(&model)?);
    let contact = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.contact.merged",
        ("contact", Some(contact.id)),
        serde_json::json!({ "mergedId": merged.id, "mergedEmail": merged.email }),
    )
    .await?;
    tx.commit().await?;
    Ok(contact)
}

/// Marks a contact as a customer (a lead was won); keeps the first date it became one.
pub(crate) async fn mark_customer(tx: &TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    contacts::Entity::update_many()
        .col_expr(contacts::Column::IsCustomer, true.into())
        .col_expr(
            contacts::Column::CustomerSince,
            Expr::col(contacts::Column::CustomerSince).if_null(now),
        )
        .filter(contacts::Column::TenantId.eq(tx.tenant_id()))
        .filter(contacts::Column::Id.eq(id))
        .exec(&**tx)
        .await?;
    Ok(())
}
