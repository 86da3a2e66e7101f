//! Per-tenant custom fields on contacts, companies and leads: definitions, validation of
//! values on write, and filters over them.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::sea_query::{ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value};
use tianguis_entity::crm::custom_field_definitions as defs;
use uuid::Uuid;

use super::search;
use crate::db::TenantTx;
use crate::error::conflict_on;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use defs::Model as CustomFieldDefinition;

tianguis_kernel::stored_enum! {
    /// The record a custom field belongs to.
    pub enum FieldEntity {
        Contact = "contact",
        Company = "company",
        Lead = "lead",
    }
}

impl FieldEntity {
    fn table(self) -> &'static str {
        match self {
            FieldEntity::Contact => "contacts",
            FieldEntity::Company => "companies",
            FieldEntity::Lead => "leads",
        }
    }
}

tianguis_kernel::stored_enum! {
    pub enum FieldKind {
        Text = "text",
        Number = "number",
        Date = "date",
        Boolean = "boolean",
        Select = "select",
    }
}

pub fn options_of(def: &CustomFieldDefinition) -> Vec<String> {
    super::tags_of(&def.options)
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    entity: Option<FieldEntity>,
) -> Result<Vec<CustomFieldDefinition>> {
    if ctx.require(Permission::CrmContactsRead).is_err() {
        ctx.require(Permission::CrmLeadsRead)?;
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<defs::Entity>();
    if let Some(entity) = entity {
        select = select.filter(defs::Column::Entity.eq(entity.key()));
    }
    let found = select
        .order_by_asc(defs::Column::Entity)
        .order_by_asc(defs::Column::Position)
        .order_by_asc(defs::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub struct NewDefinition {
    pub entity: FieldEntity,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub options: Vec<String>,
    pub required: bool,
    pub position: Option<i32>,
}

fn field_key(raw: &str) -> Result<String> {
    let key = raw.trim();
    let valid = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(key.to_owned())
    } else {
        Err(Error::invalid(
            "key",
            "key must be 1 to 40 lower-case letters, digits or _, starting with a letter",
        ))
    }
}

fn select_options(kind: FieldKind, raw: &[String]) -> Result<Vec<String>> {
    let options: Vec<String> = raw
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    match kind {
        FieldKind::Select if options.is_empty() => Err(Error::invalid(
            "options",
            "a select field needs at least one option",
        )),
        FieldKind::Select => Ok(options),
        _ if !options.is_empty() => {
            Err(Error::invalid("options", "only select fields have options"))
        }
        _ => Ok(options),
    }
}

pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    input: NewDefinition,
) -> Result<CustomFieldDefinition> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let key = field_key(&input.key)?;
    let label = required_text(&input.label, "label", 80)?;
    let options = select_options(input.kind, &input.options)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let def = tx.insert(defs::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        entity: Set(input.entity.key().to_owned()),
        key: Set(key),
        label: Set(label),
        kind: Set(input.kind.key().to_owned()),
        options: Set(serde_json::json!(options)),
        required: Set(input.required),
        position: Set(input.position.unwrap_or(0)),
        ..Default::default()
    })
    .await
    .map_err(|e| {
        conflict_on(
            e,
            "ux_custom_fields_key",
            "custom_field_definitions.tenant_id, custom_field_definitions.entity, custom_field_definitions.key",
            "key",
            "a field with this key exists",
        )
    })?;
    audit::record(
        &mut tx,
        ctx,
        "crm.custom_field.created",
        ("custom_field", Some(def.id)),
        serde_json::json!({ "entity": def.entity, "key": def.key, "kind": def.kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(def)
}

pub struct DefinitionUpdate {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub position: Option<i32>,
}

/// Changes a definition. Its key and kind are fixed: stored values depend on them.
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: DefinitionUpdate,
) -> Result<CustomFieldDefinition> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let def = tx.get::<defs::Entity>(id, "custom field").await?;
    let kind = FieldKind::from_stored(&def.kind)?;
    let mut model: defs::ActiveModel = def.into();
    if let Some(label) = input.label {
        model.label = Set(required_text(&label, "label", 80)?);
    }
    if let Some(options) = input.options {
        model.options = Set(serde_json::json!(select_options(kind, &options)?));
    }
    if let Some(required) = input.required {
        model.required = Set(required);
    }
    if let Some(position) = input.position {
        model.position = Set(position);
    }
    let def = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.custom_field.updated",
        ("custom_field", Some(def.id)),
        serde_json::json!({ "key": def.key, "label": def.label, "required": def.required }),
    )
    .await?;
    tx.commit().await?;
    Ok(def)
}

/// Deletes a definition; values already stored under its key are kept but no longer shown
/// as a defined field.
pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let def = tx.get::<defs::Entity>(id, "custom field").await?;
    defs::Entity::delete_by_id(def.id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.custom_field.deleted",
        ("custom_field", Some(def.id)),
        serde_json::json!({ "entity": def.entity, "key": def.key }),
    )
    .await?;
    tx.commit().await?;
    Ok(def.id)
}

async fn definitions<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    entity: FieldEntity,
) -> Result<HashMap<String, CustomFieldDefinition>> {
    Ok(defs::Entity::find()
        .filter(defs::Column::TenantId.eq(tenant_id))
        .filter(defs::Column::Entity.eq(entity.key()))
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect())
}

const FIELD: &str = "customFields";

fn invalid(key: &str, message: &str) -> Error {
    Error::invalid(FIELD, format!("custom field '{key}': {message}"))
}

/// A value checked against its definition, in the form it is stored.
fn checked(def: &CustomFieldDefinition, value: &Value) -> Result<Value> {
    let key = def.key.as_str();
    match FieldKind::from_stored(&def.kind)? {
        FieldKind::Text => match value.as_str() {
            Some(s) if s.chars().count() <= 1000 => Ok(Value::from(s.trim())),
            Some(_) => Err(invalid(key, "at most 1000 characters")),
            None => Err(invalid(key, "expected text")),
        },
        FieldKind::Number => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<Decimal>()
                .ok()
                .and_then(|d| serde_json::Number::from_f64(f64::try_from(d).ok()?))
                .map(Value::Number)
                .ok_or_else(|| invalid(key, "expected a number")),
            _ => Err(invalid(key, "expected a number")),
        },
        FieldKind::Date => value
            .as_str()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
            .map(|d| Value::from(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| invalid(key, "expected a date as YYYY-MM-DD")),
        FieldKind::Boolean => value
            .as_bool()
            .map(Value::from)
            .ok_or_else(|| invalid(key, "expected true or false")),
        FieldKind::Select => match value.as_str() {
            Some(s) if options_of(def).iter().any(|o| o == s) => Ok(Value::from(s)),
            _ => Err(invalid(
                key,
                &format!("expected one of {}", options_of(def).join(", ")),
            )),
        },
    }
}

/// Validates `given` (an object of key → value; null removes a value) against the tenant's
/// definitions and merges it over `previous`. Required fields must hold a value afterwards.
pub(crate) async fn apply(
    tx: &TenantTx,
    entity: FieldEntity,
    given: Option<&Value>,
    previous: Option<&Value>,
) -> Result<Value> {
    let definitions = definitions(&**tx, tx.tenant_id(), entity).await?;
    let mut values: Map<String, Value> = previous
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(given) = given {
        let object = given
            .as_object()
            .ok_or_else(|| Error::invalid(FIELD, "custom fields are an object of key to value"))?;
        for (key, value) in object {
            let def = definitions
                .get(key)
                .ok_or_else(|| invalid(key, "no such field"))?;
            if value.is_null() {
                values.remove(key);
            } else {
                values.insert(key.clone(), checked(def, value)?);
            }
        }
    }
    if let Some(missing) = definitions
        .values()
        .filter(|d| d.required && !values.contains_key(&d.key))
        .map(|d| d.key.as_str())
        .min()
    {
        return Err(invalid(missing, "is required"));
    }
    Ok(Value::Object(values))
}

/// A filter on one custom field: equal to a value, or within a range (numbers and dates).
#[derive(Clone, Debug, Default)]
pub struct CustomFieldFilter {
    pub key: String,
    pub equals: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

/// Turns filters into conditions on `entity`'s table; one statement reads the definitions.
pub(crate) async fn conditions(
    tx: &TenantTx,
    entity: FieldEntity,
    filters: &[CustomFieldFilter],
) -> Result<Vec<SimpleExpr>> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let definitions = definitions(&**tx, tx.tenant_id(), entity).await?;
    let backend = tx.get_database_backend();
    let table = entity.table();
    let mut out = Vec::new();
    for filter in filters {
        let def = definitions
            .get(&filter.key)
            .ok_or_else(|| invalid(&filter.key, "no such field"))?;
        let kind = FieldKind::from_stored(&def.kind)?;
        let number = |raw: &str| {
            raw.trim()
                .parse::<f64>()
                .map_err(|_| invalid(&filter.key, "expected a number"))
        };
        if let Some(equals) = &filter.equals {
            out.push(match kind {
                FieldKind::Number => {
                    search::custom_number(backend, table, &filter.key).eq(number(equals)?)
                }
                FieldKind::Boolean => {
                    let value = match equals.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(invalid(&filter.key, "expected true or false")),
                    };
                    search::custom_bool_is(backend, table, &filter.key, value)
                }
                _ => search::custom_text(backend, table, &filter.key).eq(equals.trim()),
            });
        }
        for (bound, lower) in [(&filter.min, true), (&filter.max, false)] {
            let Some(bound) = bound else { continue };
            let expr = match kind {
                FieldKind::Number => {
                    let column = search::custom_number(backend, table, &filter.key);
                    let value = number(bound)?;
                    if lower {
                        column.gte(value)
                    } else {
                        column.lte(value)
                    }
                }
                FieldKind::Date => {
                    let date = chrono::NaiveDate::parse_from_str(bound.trim(), "%Y-%m-%d")
                        .map_err(|_| invalid(&filter.key, "expected a date as YYYY-MM-DD"))?
                        .format("%Y-%m-%d")
                        .to_string();
                    let column = search::custom_text(backend, table, &filter.key);
                    if lower {
                        column.gte(date)
                    } else {
                        column.lte(date)
                    }
                }
                _ => {
                    return Err(invalid(
                        &filter.key,
                        "ranges apply to number and date fields",
                    ));
                }
            };
            out.push(expr);
        }
    }
    Ok(out)
}
