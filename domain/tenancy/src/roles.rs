//! Roles: the system roles every tenant has, and custom ones a tenant defines.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tianguis_entity::tenancy::{invitations, memberships, roles};
use uuid::Uuid;

use super::audit;
use crate::db::TenantTx;
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::policy::Slug;
use crate::rules;
use crate::{Deps, Error, Permission, PermissionSet, Result, TenantCtx};

#[derive(Clone, Debug)]
pub struct Role {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
}

impl From<roles::Model> for Role {
    fn from(m: roles::Model) -> Self {
        Self {
            permissions: PermissionSet::from_json(&m.permissions),
            id: m.id,
            key: m.key,
            name: m.name,
            description: m.description,
            is_system: m.is_system,
            created_at: m.created_at,
        }
    }
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Role>> {
    ctx.require(Permission::UsersRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let select = tx.select::<roles::Entity>();
    let page = paginate(&*tx, select, roles::Column::Id, SortDirection::Asc, page).await?;
    tx.commit().await?;
    Ok(page.map(Role::from))
}

/// Roles by id within the caller's tenant: one statement per batch.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Role>> {
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<roles::Entity>()
        .filter(roles::Column::Id.is_in(ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.into_iter().map(|r| (r.id, Role::from(r))).collect())
}

/// Parses permission keys; a caller may grant only permissions they hold themselves.
pub(crate) fn grantable(
    ctx: &TenantCtx,
    keys: &[String],
    field: &'static str,
) -> Result<PermissionSet> {
    let mut set = Vec::with_capacity(keys.len());
    for key in keys {
        let permission = Permission::parse(key)
            .ok_or_else(|| Error::invalid(field, format!("unknown permission '{key}'")))?;
        if !ctx.permissions.contains(permission) {
            return Err(Error::invalid(
                field,
                format!("you cannot grant '{key}', which you do not have"),
            ));
        }
        set.push(permission);
    }
    Ok(set.into_iter().collect())
}

pub struct RoleInput {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: RoleInput) -> Result<Role> {
    ctx.require(Permission::RolesWrite)?;
    let name = rules::required_text(&input.name, "name", 80)?;
    let permissions = grantable(ctx, &input.permissions, "permissions")?;
    let key = format!("custom-{}", Slug::from_name(&name).as_str());
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let taken = tx
        .select::<roles::Entity>()
        .filter(roles::Column::Key.eq(key.clone()))
        .count(&*tx)
        .await?;
    if taken > 0 {
        return Err(Error::conflict("name", "a role with this name exists"));
    }
    let role = tx
        .insert(roles::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            key: Set(key),
            name: Set(name),
            description: Set(input.description.unwrap_or_default().trim().to_owned()),
            permissions: Set(permissions.to_json()),
            is_system: Set(false),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_roles_tenant_key",
                "roles.tenant_id, roles.key",
                "name",
                "a role with this name exists",
            )
        })?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.role.created",
        ("role", Some(role.id)),
        serde_json::json!({ "name": role.name, "permissions": role.permissions }),
    )
    .await?;
    tx.commit().await?;
    crate::access_cache::access_changed(deps).await;
    Ok(role.into())
}

async fn editable(tx: &TenantTx, id: Uuid) -> Result<roles::Model> {
    let role = tx.get::<roles::Entity>(id, "role").await?;
    if role.is_system {
        return Err(Error::invalid(
            "id",
            "system roles cannot be changed or deleted",
        ));
    }
    Ok(role)
}

pub struct RoleUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<String>>,
}

pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, input: RoleUpdate) -> Result<Role> {
    ctx.require(Permission::RolesWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let role = editable(&tx, id).await?;
    let mut model: roles::ActiveModel = role.into();
    if let Some(name) = input.name {
        model.name = Set(rules::required_text(&name, "name", 80)?);
    }
    if let Some(description) = input.description {
        model.description = Set(description.trim().to_owned());
    }
    if let Some(keys) = input.permissions {
        model.permissions = Set(grantable(ctx, &keys, "permissions")?.to_json());
    }
    let role = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.role.updated",
        ("role", Some(role.id)),
        serde_json::json!({ "name": role.name, "permissions": role.permissions }),
    )
    .await?;
    tx.commit().await?;
    Ok(role.into())
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::RolesWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let role = editable(&tx, id).await?;
    let members = tx
        .select::<memberships::Entity>()
        .filter(memberships::Column::RoleId.eq(id))
        .count(&*tx)
        .await?;
    let invites = tx
        .select::<invitations::Entity>()
        .filter(invitations::Column::RoleId.eq(id))
        .filter(invitations::Column::Status.eq(crate::invitations::Status::Pending.key()))
        .count(&*tx)
        .await?;
    if members + invites > 0 {
        return Err(Error::conflict(
            "id",
            format!("the role is held by {members} members and {invites} pending invitations"),
        ));
    }
    roles::Entity::delete_by_id(role.id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.role.deleted",
        ("role", Some(role.id)),
        serde_json::json!({ "name": role.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(role.id)
}
