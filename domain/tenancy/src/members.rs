//! Users as members of a tenant: listing, roles, suspension, removal; and `me`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tianguis_entity::tenancy::{memberships, roles, tenants, users};
use uuid::Uuid;

use super::audit;
use super::tenants::Tenant;
use crate::db::{TenantTx, begin_system};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::policy::OWNER_ROLE;
use crate::{Deps, Error, Permission, Result, TenantCtx};

#[derive(Clone, Debug)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub status: String,
    pub totp_enabled: bool,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::Model> for User {
    fn from(m: users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            display_name: m.display_name,
            status: m.status,
            totp_enabled: m.totp_enabled,
            email_verified: m.email_verified_at.is_some(),
            created_at: m.created_at,
        }
    }
}

tianguis_kernel::stored_enum! {
    /// A person's account: a disabled account cannot sign in anywhere.
    pub enum UserStatus {
        Active = "active",
        Disabled = "disabled",
    }
}

tianguis_kernel::stored_enum! {
    /// A membership's status: a suspended member cannot sign in to this business.
    pub enum Status {
        Active = "active",
        Suspended = "suspended",
    }
}

#[derive(Clone, Debug)]
pub struct Member {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role_id: Uuid,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<memberships::Model> for Member {
    type Error = Error;

    fn try_from(m: memberships::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            user_id: m.user_id,
            role_id: m.role_id,
            status: Status::from_stored(&m.status)?,
            created_at: m.created_at,
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    pub status: Option<Status>,
    pub role_id: Option<Uuid>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: MemberFilter,
    page: &PageRequest,
) -> Result<Page<Member>> {
    ctx.require(Permission::UsersRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<memberships::Entity>();
    if let Some(status) = filter.status {
        select = select.filter(memberships::Column::Status.eq(status.key()));
    }
    if let Some(role) = filter.role_id {
        select = select.filter(memberships::Column::RoleId.eq(role));
    }
    let page = paginate(
        &*tx,
        select,
        memberships::Column::Id,
        SortDirection::Asc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(Member::try_from)
}

/// Users by id, limited to members of the caller's tenant: one statement per batch.
pub async fn users_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, User>> {
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = users_in(&tx, ids).await?;
    tx.commit().await?;
    Ok(found)
}

/// As [`users_by_ids`], inside the caller's transaction.
pub async fn users_in(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, User>> {
    let members_of_tenant = Query::select()
        .column(memberships::Column::UserId)
        .from(memberships::Entity)
        .and_where(memberships::Column::TenantId.eq(tx.tenant_id()))
        .and_where(memberships::Column::UserId.is_in(ids.iter().copied()))
        .to_owned();
    let found = users::Entity::find()
        .filter(users::Column::Id.in_subquery(members_of_tenant))
        .all(&**tx)
        .await?;
    Ok(found.into_iter().map(|u| (u.id, User::from(u))).collect())
}

async fn load_member(tx: &TenantTx, id: Uuid) -> Result<memberships::Model> {
    tx.get::<memberships::Entity>(id, "member").await
}

async fn role_key(tx: &TenantTx, role_id: Uuid) -> Result<String> {
    Ok(tx.get::<roles::Entity>(role_id, "role").await?.key)
}

async fn is_owner_membership(tx: &TenantTx, membership: &memberships::Model) -> Result<bool> {
    Ok(role_key(tx, membership.role_id).await? == OWNER_ROLE)
}

/// Only an owner may hand out or take away the owner role.
pub(crate) async fn require_owner(tx: &TenantTx, ctx: &TenantCtx) -> Result<()> {
    let (_, membership_id, _) = ctx.user()?;
    let caller = load_member(tx, membership_id).await?;
    if is_owner_membership(tx, &caller).await? {
        Ok(())
    } else {
        Err(Error::Forbidden(Permission::TenantPlanManage))
    }
}

/// Refuses a change that would leave the tenant without an active owner.
async fn keep_an_owner(tx: &TenantTx, leaving: &memberships::Model) -> Result<()> {
    if !is_owner_membership(tx, leaving).await? {
        return Ok(());
    }
    let owners = tx
        .select::<memberships::Entity>()
        .filter(memberships::Column::RoleId.eq(leaving.role_id))
        .filter(memberships::Column::Status.eq(Status::Active.key()))
        .count(&**tx)
        .await?;
    if owners <= 1 {
        return Err(Error::conflict(
            "id",
            "a business needs at least one active owner",
        ));
    }
    Ok(())
}

pub async fn change_role(
    deps: &Deps,
    ctx: &TenantCtx,
    membership_id: Uuid,
    role_id: Uuid,
) -> Result<Member> {
    ctx.require(Permission::UsersWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let member = load_member(&tx, membership_id).await?;
    let new_role = tx
        .get::<roles::Entity>(role_id, "role")
        .await
        .map_err(|_| Error::invalid("roleId", "no such role in this business"))?;
    if new_role.key == OWNER_ROLE || is_owner_membership(&tx, &member).await? {
        require_owner(&tx, ctx).await?;
    }
    if new_role.key != OWNER_ROLE {
        keep_an_owner(&tx, &member).await?;
    }
    let previous_role = member.role_id;
    let mut model: memberships::ActiveModel = member.into();
    model.role_id = Set(role_id);
    let updated = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.member.role_changed",
        ("membership", Some(updated.id)),
        serde_json::json!({ "from": previous_role, "to": role_id, "role": new_role.key }),
    )
    .await?;
    tx.commit().await?;
    crate::access_cache::access_changed(deps).await;
    updated.try_into()
}

/// Suspends or reactivates a member; a suspended member's tokens stop working at once.
pub async fn set_status(
    deps: &Deps,
    ctx: &TenantCtx,
    membership_id: Uuid,
    active: bool,
) -> Result<Member> {
    ctx.require(Permission::UsersWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let member = load_member(&tx, membership_id).await?;
    if !active {
        if ctx.user().is_ok_and(|(_, own, _)| own == membership_id) {
            return Err(Error::invalid("id", "you cannot suspend yourself"));
        }
        keep_an_owner(&tx, &member).await?;
        if is_owner_membership(&tx, &member).await? {
            require_owner(&tx, ctx).await?;
        }
    }
    let mut model: memberships::ActiveModel = member.into();
    let status = if active {
        Status::Active
    } else {
        Status::Suspended
    };
    model.status = Set(status.key().to_owned());
    let updated = tx.update(model).await?;
    let action = if active {
        "tenancy.member.reactivated"
    } else {
        "tenancy.member.suspended"
    };
    audit::record(
        &mut tx,
        ctx,
        action,
        ("membership", Some(updated.id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    crate::access_cache::access_changed(deps).await;
    updated.try_into()
}

pub async fn remove(deps: &Deps, ctx: &TenantCtx, membership_id: Uuid) -> Result<Uuid> {
    let leaving_self = ctx.user().is_ok_and(|(_, own, _)| own == membership_id);
    if !leaving_self {
        ctx.require(Permission::UsersWrite)?;
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let member = load_member(&tx, membership_id).await?;
    keep_an_owner(&tx, &member).await?;
    if !leaving_self && is_owner_membership(&tx, &member).await? {
        require_owner(&tx, ctx).await?;
    }
    memberships::Entity::delete_by_id(member.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.member.removed",
        ("membership", Some(member.id)),
        serde_json::json!({ "userId": member.user_id }),
    )
    .await?;
    tx.commit().await?;
    crate::access_cache::access_changed(deps).await;
    Ok(member.id)
}

#[derive(Clone, Debug)]
pub struct MyMembership {
    pub membership_id: Uuid,
    pub status: String,
    pub role_key: String,
    pub role_name: String,
    pub tenant: Tenant,
}

#[derive(Clone, Debug)]
pub struct Me {
    pub user: User,
    pub current_tenant_id: Uuid,
    pub memberships: Vec<MyMembership>,
}

/// The signed-in user and every business they belong to (read across tenants, by design).
pub async fn me(deps: &Deps, ctx: &TenantCtx) -> Result<Me> {
    let (user_id, _, _) = ctx.user()?;
    let tx = begin_system(&deps.db).await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&tx)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .find_also_related(roles::Entity)
        .all(&tx)
        .await?;
    let tenant_ids: Vec<Uuid> = rows.iter().map(|(m, _)| m.tenant_id).collect();
    let mut tenants_by_id: HashMap<Uuid, tenants::Model> = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(tenant_ids))
        .all(&tx)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    tx.commit().await?;
    let memberships = rows
        .into_iter()
        .filter_map(|(m, role)| {
            let tenant = tenants_by_id.remove(&m.tenant_id)?;
            let role = role?;
            Some(MyMembership {
                membership_id: m.id,
                status: m.status,
                role_key: role.key,
                role_name: role.name,
                tenant: tenant.into(),
            })
        })
        .collect();
    Ok(Me {
        user: user.into(),
        current_tenant_id: ctx.tenant_id,
        memberships,
    })
}
