//! Invitations: a member invites someone by email to a role; the invitee accepts with the
//! token, creating an account or confirming their existing one.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use tianguis_entity::tenancy::{invitations, memberships, roles, users};
use uuid::Uuid;

use super::audit;
use super::auth::{AuthTokens, open_session};
use super::secrets::{hash_password, random_token, sha256_hex, verify_password};
use crate::db::{TenantTx, begin_system};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::plans::Resource;
use crate::policy::{OWNER_ROLE, Password};
use crate::rules::{self, EmailAddress};
use crate::{Deps, Error, Permission, RequestMeta, Result, TenantCtx};

/// Seats: members plus pending invitations.
pub const SEATS: Resource = Resource {
    noun: "users",
    free: 3,
    pro: 25,
    count: |tx| {
        Box::pin(async move {
            let members = tx.select::<memberships::Entity>().count(&**tx).await?;
            let invited = tx
                .select::<invitations::Entity>()
                .filter(invitations::Column::Status.eq(Status::Pending.key()))
                .filter(invitations::Column::ExpiresAt.gt(tx.now()))
                .count(&**tx)
                .await?;
            Ok(members + invited)
        })
    },
};

/// How long an invitation can be accepted.
pub const INVITATION_TTL: TimeDelta = TimeDelta::days(7);

tianguis_kernel::stored_enum! {
    pub enum Status {
        Pending = "pending",
        Accepted = "accepted",
        Revoked = "revoked",
        /// Never stored: a pending invitation past its expiry reads as expired.
        Expired = "expired",
    }
}

#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role_id: Uuid,
    pub status: Status,
    pub invited_by: Uuid,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Invitation {
    fn from_model(m: invitations::Model, now: DateTime<Utc>) -> Result<Self> {
        let status = match Status::from_stored(&m.status)? {
            Status::Pending if m.expires_at <= now => Status::Expired,
            status => status,
        };
        Ok(Self {
            id: m.id,
            email: m.email,
            role_id: m.role_id,
            status,
            invited_by: m.invited_by,
            expires_at: m.expires_at,
            accepted_at: m.accepted_at,
            created_at: m.created_at,
        })
    }
}

pub struct CreatedInvitation {
    pub invitation: Invitation,
    /// Shown once, for the invitation email or link; only its hash is stored.
    pub token: String,
}

pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    email: &str,
    role_id: Uuid,
) -> Result<CreatedInvitation> {
    ctx.require(Permission::UsersWrite)?;
    let email = EmailAddress::parse(email, "email")?;
    let inviter = ctx
        .actor
        .id()
        .ok_or_else(|| anyhow::anyhow!("invitation without an actor"))?;
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let role = tx
        .get::<roles::Entity>(role_id, "role")
        .await
        .map_err(|_| Error::invalid("roleId", "no such role in this business"))?;
    if role.key == OWNER_ROLE {
        super::members::require_owner(&tx, ctx).await?;
    }
    crate::plans::ensure_room(&tx, &SEATS).await?;
    let existing_user = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&*tx)
        .await?;
    if let Some(user) = existing_user {
        let member = tx
            .select::<memberships::Entity>()
            .filter(memberships::Column::UserId.eq(user.id))
            .count(&*tx)
            .await?;
        if member > 0 {
            return Err(Error::conflict("email", "this person is already a member"));
        }
    }
    let pending = tx
        .select::<invitations::Entity>()
        .filter(invitations::Column::Email.eq(email.as_str()))
        .filter(invitations::Column::Status.eq(Status::Pending.key()))
        .filter(invitations::Column::ExpiresAt.gt(now))
        .count(&*tx)
        .await?;
    if pending > 0 {
        return Err(Error::conflict(
            "email",
            "this email already has a pending invitation",
        ));
    }
    let token = random_token(40);
    let invitation = tx
        .insert(invitations::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            email: Set(email.as_str().to_owned()),
            role_id: Set(role.id),
            token_hash: Set(sha256_hex(&token)),
            status: Set(Status::Pending.key().into()),
            invited_by: Set(inviter),
            expires_at: Set(now + INVITATION_TTL),
            accepted_at: Set(None),
            ..Default::default()
        })
        .await?;
    let (branding, locale) = super::tenants::branding(&*tx, ctx.tenant_id).await?;
    let inviter_name = match &ctx.actor {
        crate::Actor::User { user_id, .. } => users::Entity::find_by_id(*user_id)
            .one(&*tx)
            .await?
            .map_or_else(|| branding.name.clone(), |u| u.display_name),
        _ => branding.name.clone(),
    };
    let link = format!(
        "{}/accept-invitation?token={token}",
        deps.mail.app_url.trim_end_matches('/')
    );
    let job = crate::email::queue(
        &*tx,
        crate::email::NewEmail {
            at: now,
            tenant_id: Some(ctx.tenant_id),
            to: &invitation.email,
            locale: &locale,
            branding: &branding,
            template: &crate::emails::Invitation {
                inviter: &inviter_name,
                role: &role.name,
                link: &link,
                expires_at: invitation.expires_at,
            },
        },
    )
    .await?;
    tx.enqueue_after_commit(job).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.user.invited",
        ("invitation", Some(invitation.id)),
        serde_json::json!({ "email": invitation.email, "role": role.key }),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedInvitation {
        invitation: Invitation::from_model(invitation, now)?,
        token,
    })
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    status: Option<Status>,
    page: &PageRequest,
) -> Result<Page<Invitation>> {
    ctx.require(Permission::UsersRead)?;
    let now = deps.clock.now();
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<invitations::Entity>();
    match status {
        Some(Status::Expired) => {
            select = select
                .filter(invitations::Column::Status.eq(Status::Pending.key()))
                .filter(invitations::Column::ExpiresAt.lte(now));
        }
        Some(Status::Pending) => {
            select = select
                .filter(invitations::Column::Status.eq(Status::Pending.key()))
                .filter(invitations::Column::ExpiresAt.gt(now));
        }
        Some(other) => select = select.filter(invitations::Column::Status.eq(other.key())),
        None => {}
    }
    let page = paginate(
        &*tx,
        select,
        invitations::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(|m| Invitation::from_model(m, now))
}

pub async fn revoke(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Invitation> {
    ctx.require(Permission::UsersWrite)?;
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let invitation = tx.get::<invitations::Entity>(id, "invitation").await?;
    if invitation.status != Status::Pending.key() {
        return Err(Error::invalid(
            "id",
            format!("the invitation is already {}", invitation.status),
        ));
    }
    let mut model: invitations::ActiveModel = invitation.into();
    model.status = Set(Status::Revoked.key().to_owned());
    let invitation = model.update(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.invitation.revoked",
        ("invitation", Some(id)),
        serde_json::json!({ "email": invitation.email }),
    )
    .await?;
    tx.commit().await?;
    Invitation::from_model(invitation, now)
}

pub struct Accept {
    pub token: String,
    /// For someone without an account yet.
    pub display_name: Option<String>,
    /// The new account's password, or the existing account's password as confirmation.
    pub password: String,
}

/// Accepts an invitation and signs the invitee into the inviting business.
pub async fn accept(deps: &Deps, meta: &RequestMeta, cmd: Accept) -> Result<AuthTokens> {
    let now = deps.clock.now();
    let invalid = || {
        Error::invalid(
            "token",
            "this invitation is not valid, was revoked or has expired",
        )
    };
    let system = begin_system(&deps.db).await?;
    let invitation = invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(sha256_hex(&cmd.token)))
        .one(&system)
        .await?
        .ok_or_else(invalid)?;
    if invitation.status != Status::Pending.key() || invitation.expires_at <= now {
        return Err(invalid());
    }
    let existing = users::Entity::find()
        .filter(users::Column::Email.eq(invitation.email.clone()))
        .one(&system)
        .await?;
    system.commit().await?;

    let new_user = match &existing {
        Some(user) => {
            if !verify_password(cmd.password, user.password_hash.clone()).await? {
                return Err(Error::unauthenticated(
                    "INVALID_CREDENTIALS",
                    "wrong password for this account",
                ));
            }
            None
        }
        None => {
            let password = Password::parse(&cmd.password, "password")?;
            let name = rules::required_text(
                cmd.display_name.as_deref().unwrap_or(""),
                "displayName",
                120,
            )?;
            Some((name, hash_password(password.expose().to_owned()).await?))
        }
    };

    let mut tx = TenantTx::begin(deps, invitation.tenant_id).await?;
    let user_id = match (existing, new_user) {
        (Some(user), _) => user.id,
        (None, Some((name, password_hash))) => {
            tx.insert(users::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(invitation.email.clone()),
                display_name: Set(name),
                password_hash: Set(password_hash),
                status: Set(crate::members::UserStatus::Active.key().into()),
                locale: Set(super::tenants::branding(&*tx, invitation.tenant_id)
                    .await?
                    .1),
                // The invitee followed a link sent to this address.
                email_verified_at: Set(Some(now)),
                totp_secret: Set(None),
                totp_enabled: Set(false),
                ..Default::default()
            })
            .await?
            .id
        }
        (None, None) => return Err(anyhow::anyhow!("no user to accept the invitation").into()),
    };
    // Claim the invitation first so two concurrent accepts cannot both succeed.
    let claimed = invitations::Entity::update_many()
        .col_expr(
            invitations::Column::Status,
            sea_orm::sea_query::Expr::value(Status::Accepted.key()),
        )
        .col_expr(
            invitations::Column::AcceptedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(invitations::Column::Id.eq(invitation.id))
        .filter(invitations::Column::Status.eq(Status::Pending.key()))
        .exec(&*tx)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(invalid());
    }
    let membership = tx
        .insert(memberships::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(invitation.tenant_id),
            user_id: Set(user_id),
            role_id: Set(invitation.role_id),
            status: Set(crate::members::Status::Active.key().to_owned()),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            crate::error::conflict_on(
                e,
                "ux_memberships_tenant_user",
                "memberships.tenant_id, memberships.user_id",
                "token",
                "you are already a member",
            )
        })?;
    let tokens = open_session(&*tx, deps, &membership, meta).await?;
    let ctx = super::auth::session_ctx(&membership, tokens.session_id, meta);
    audit::record(
        &mut tx,
        &ctx,
        "tenancy.invitation.accepted",
        ("invitation", Some(invitation.id)),
        serde_json::json!({ "email": invitation.email }),
    )
    .await?;
    tx.commit().await?;
    Ok(tokens)
}
