//! API keys: long random secrets for servers and integrations, scoped to permissions.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use tianguis_entity::tenancy::api_keys;
use uuid::Uuid;

use super::audit;
use super::roles::grantable;
use super::rules;
use super::secrets::{random_token, sha256_hex};
use crate::db::TenantTx;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, PermissionSet, Result, TenantCtx};

const PREFIX_LEN: usize = "tgk_".len() + 12;

#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: PermissionSet,
    pub created_by: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<api_keys::Model> for ApiKey {
    fn from(m: api_keys::Model) -> Self {
        Self {
            scopes: PermissionSet::from_json(&m.scopes),
            id: m.id,
            name: m.name,
            prefix: m.prefix,
            created_by: m.created_by,
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        }
    }
}

/// The lookup part of a presented key, if it has the shape of one.
pub(crate) fn prefix_of(key: &str) -> Option<&str> {
    let prefix = key.get(..PREFIX_LEN)?;
    (key.as_bytes().get(PREFIX_LEN) == Some(&b'_')).then_some(prefix)
}

pub struct CreatedApiKey {
    pub key: ApiKey,
    /// The whole key, shown only in the response that creates it.
    pub secret: String,
}

pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: NewApiKey) -> Result<CreatedApiKey> {
    ctx.require(Permission::ApiKeysWrite)?;
    let name = rules::required_text(&input.name, "name", 80)?;
    if input.scopes.is_empty() {
        return Err(Error::invalid("scopes", "give the key at least one scope"));
    }
    let scopes = grantable(ctx, &input.scopes, "scopes")?;
    let now = deps.clock.now();
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "expiresAt",
            "the expiry must be in the future",
        ));
    }
    let prefix = format!("tgk_{}", random_token(12));
    let secret = format!("{prefix}_{}", random_token(40));
    let created_by = ctx
        .actor
        .id()
        .ok_or_else(|| anyhow::anyhow!("API key without an actor"))?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let key = tx
        .insert(api_keys::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            prefix: Set(prefix),
            secret_hash: Set(sha256_hex(&secret)),
            scopes: Set(scopes.to_json()),
            created_by: Set(created_by),
            expires_at: Set(input.expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.api_key.created",
        ("api_key", Some(key.id)),
        serde_json::json!({ "name": key.name, "prefix": key.prefix, "scopes": key.scopes }),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key: key.into(),
        secret,
    })
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<ApiKey>> {
    ctx.require(Permission::ApiKeysWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let select = tx.select::<api_keys::Entity>();
    let page = paginate(
        &*tx,
        select,
        api_keys::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page.map(ApiKey::from))
}

/// Revokes a key; requests made with it fail from the next one on.
pub async fn revoke(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<ApiKey> {
    ctx.require(Permission::ApiKeysWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let key = tx.get::<api_keys::Entity>(id, "API key").await?;
    if key.revoked_at.is_some() {
        return Ok(key.into());
    }
    let mut model: api_keys::ActiveModel = key.into();
    model.revoked_at = Set(Some(deps.clock.now()));
    let key = model.update(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.api_key.revoked",
        ("api_key", Some(key.id)),
        serde_json::json!({ "prefix": key.prefix }),
    )
    .await?;
    tx.commit().await?;
    Ok(key.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_read_from_well_formed_keys_only() {
        let key = format!("tgk_{}_{}", "a".repeat(12), "b".repeat(40));
        assert_eq!(prefix_of(&key), Some(&key[..16]));
        assert_eq!(prefix_of("tgk_short"), None);
        assert_eq!(
            prefix_of(&format!("tgk_{}x{}", "a".repeat(12), "b".repeat(40))),
            None
        );
    }
}
