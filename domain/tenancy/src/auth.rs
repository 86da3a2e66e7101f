//! Sign-up, log-in, sessions with rotating refresh tokens, tenant switching, and turning a
//! presented credential (access token or API key) into a [`TenantCtx`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::tenancy::{api_keys, memberships, refresh_tokens, sessions, users};
use uuid::Uuid;

use super::access_cache::{Access, AccessCache, access_changed};
use super::login_throttle::LoginThrottle;
use super::secrets::{
    DECOY_HASH, constant_time_eq, hash_password, random_token, sha256_hex, verify_password,
};
use super::{audit, tenants, totp};
use crate::db::stamped;
use crate::db::{TenantTx, begin_system, raw};
use crate::plans::Plan;
use crate::policy::Password;
use crate::rules::EmailAddress;
use crate::{Actor, Deps, Error, PermissionSet, RequestMeta, Result, TenantCtx};

/// Signing keys and lifetimes of the tokens this service issues.
pub struct AuthSettings {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub login_throttle: LoginThrottle,
}

impl AuthSettings {
    pub fn new(
        jwt_secret: &[u8],
        access_ttl: Duration,
        refresh_ttl: Duration,
        login_throttle: LoginThrottle,
    ) -> Self {
        Self {
            encoding: EncodingKey::from_secret(jwt_secret),
            decoding: DecodingKey::from_secret(jwt_secret),
            access_ttl,
            refresh_ttl,
            login_throttle,
        }
    }
}

const ISSUER: &str = "tianguis";
/// API keys look like `tgk_<12-char prefix>_<40-char secret>`.
const API_KEY_PREFIX: &str = "tgk_";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    tid: Uuid,
    mid: Uuid,
    sid: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
}

#[derive(Clone, Debug)]
pub struct AuthTokens {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub session_id: Uuid,
}

fn invalid_credentials() -> Error {
    Error::unauthenticated("INVALID_CREDENTIALS", "wrong email or password")
}

/// Opens a session for `user_id` in `tenant_id` and issues its first token pair.
pub(crate) async fn open_session<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    membership: &memberships::Model,
    meta: &RequestMeta,
) -> Result<AuthTokens> {
    let now = deps.clock.now();
    let session = stamped(
        now,
        sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(membership.user_id),
            tenant_id: Set(membership.tenant_id),
            ip: Set(meta.ip.clone()),
            user_agent: Set(meta.user_agent.clone()),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            ..Default::default()
        },
    )
    .insert(conn)
    .await?;
    issue_tokens(conn, deps, &session, membership).await
}

async fn issue_tokens<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    session: &sessions::Model,
    membership: &memberships::Model,
) -> Result<AuthTokens> {
    let now = deps.clock.now();
    let refresh_token = random_token(48);
    let refresh_expires = now + deps.settings::<AuthSettings>()?.refresh_ttl;
    stamped(
        now,
        refresh_tokens::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(session.id),
            token_hash: Set(sha256_hex(&refresh_token)),
            used_at: Set(None),
            expires_at: Set(refresh_expires),
            ..Default::default()
        },
    )
    .insert(conn)
    .await?;
    let access_expires = now + deps.settings::<AuthSettings>()?.access_ttl;
    let claims = Claims {
        sub: membership.user_id,
        tid: membership.tenant_id,
        mid: membership.id,
        sid: session.id,
        iat: now.timestamp(),
        exp: access_expires.timestamp(),
        iss: ISSUER.into(),
    };
    let access_token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &deps.settings::<AuthSettings>()?.encoding,
    )
    .map_err(|e| anyhow::anyhow!("signing access token: {e}"))?;
    Ok(AuthTokens {
        access_token,
        access_token_expires_at: access_expires,
        refresh_token,
        refresh_token_expires_at: refresh_expires,
        user_id: membership.user_id,
        tenant_id: membership.tenant_id,
        session_id: session.id,
    })
}

pub struct SignUp {
    pub business_name: String,
    pub slug: Option<String>,
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub locale: Option<String>,
}

/// Creates a tenant with its system roles and its owner, and signs the owner in.
pub async fn sign_up(deps: &Deps, meta: &RequestMeta, cmd: SignUp) -> Result<AuthTokens> {
    let email = EmailAddress::parse(&cmd.email, "email")?;
    let password = Password::parse(&cmd.password, "password")?;
    let display_name = super::rules::required_text(&cmd.display_name, "displayName", 120)?;
    let mut settings = tenants::NewTenant::parse(
        &cmd.business_name,
        cmd.slug.as_deref(),
        cmd.country.as_deref(),
        cmd.timezone.as_deref(),
        cmd.currency.as_deref(),
        cmd.locale.as_deref(),
    )?;
    let password_hash = hash_password(password.expose().to_owned()).await?;

    let system = begin_system(&deps.db).await?;
    if users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&system)
        .await?
        .is_some()
    {
        return Err(Error::conflict(
            "email",
            "an account with this email exists: log in, or ask to be invited",
        ));
    }
    settings.resolve_slug(&system).await?;
    system.commit().await?;

    let tenant_id = Uuid::now_v7();
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let user = tx
        .insert(users::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(email.as_str().to_owned()),
            display_name: Set(display_name),
            password_hash: Set(password_hash),
            status: Set(crate::members::UserStatus::Active.key().into()),
            locale: Set(settings.locale().to_owned()),
            email_verified_at: Set(None),
            totp_secret: Set(None),
            totp_enabled: Set(false),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            crate::error::conflict_on(
                e,
                "users_email",
                "users.email",
                "email",
                "an account with this email exists",
            )
        })?;
    let (tenant, owner) = tenants::provision(&tx, settings, user.id).await?;
    let tokens = open_session(&*tx, deps, &owner, meta).await?;
    let ctx = session_ctx(&owner, tokens.session_id, meta);
    let job = super::account::queue_verification(&*tx, deps, &user).await?;
    tx.enqueue_after_commit(job).await?;
    audit::record(
        &mut tx,
        &ctx,
        "tenancy.tenant.created",
        ("tenant", Some(tenant.id)),
        serde_json::json!({ "name": tenant.name, "slug": tenant.slug }),
    )
    .await?;
    tx.commit().await?;
    Ok(tokens)
}

/// The actor of a session just opened, for recording what it did. It carries no
/// permissions: it checks nothing, it only names who acted.
pub(crate) fn session_ctx(
    membership: &memberships::Model,
    session_id: Uuid,
    meta: &RequestMeta,
) -> TenantCtx {
    TenantCtx {
        tenant_id: membership.tenant_id,
        plan: Plan::Free,
        actor: Actor::User {
            user_id: membership.user_id,
            membership_id: membership.id,
            session_id,
        },
        permissions: PermissionSet::default(),
        meta: meta.clone(),
    }
}

pub struct LogIn {
    pub email: String,
    pub password: String,
    pub totp_code: Option<String>,
    /// Which business to open; the most recently joined one when absent.
    pub tenant_slug: Option<String>,
}

pub async fn log_in(deps: &Deps, meta: &RequestMeta, cmd: LogIn) -> Result<AuthTokens> {
    let email = EmailAddress::parse(&cmd.email, "email").map_err(|_| invalid_credentials())?;
    let throttle = &deps.settings::<AuthSettings>()?.login_throttle;
    let attempt = throttle.before(deps, email.as_str(), meta).await?;
    let tx = begin_system(&deps.db).await?;
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&tx)
        .await?;
    let hash = user
        .as_ref()
        .map_or(DECOY_HASH.to_owned(), |u| u.password_hash.clone());
    let password_ok = verify_password(cmd.password, hash).await?;
    let user = match user {
        Some(user) if password_ok => user,
        _ => {
            throttle.failed(deps, &attempt, email.as_str()).await;
            return Err(invalid_credentials());
        }
    };
    if user.status != crate::members::UserStatus::Active.key() {
        return Err(Error::unauthenticated(
            "USER_DISABLED",
            "this account is disabled",
        ));
    }
    if user.totp_enabled {
        let Some(code) = cmd.totp_code.as_deref() else {
            return Err(Error::unauthenticated(
                "TOTP_REQUIRED",
                "enter the code from your authenticator app",
            ));
        };
        if !totp::check(deps, &user, code)? {
            return Err(Error::unauthenticated(
                "TOTP_INVALID",
                "the two-factor code is wrong",
            ));
        }
    }
    let membership = active_membership(&tx, user.id, cmd.tenant_slug.as_deref()).await?;
    let known_device = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::Ip.eq(meta.ip.clone()))
        .filter(sessions::Column::UserAgent.eq(meta.user_agent.clone()))
        .one(&tx)
        .await?
        .is_some();
    let tokens = open_session(&tx, deps, &membership, meta).await?;
    let notice = if known_device {
        None
    } else {
        let (branding, _) = tenants::branding(&tx, membership.tenant_id).await?;
        let ip = meta.ip.clone().unwrap_or_else(|| "?".into());
        let device = meta.user_agent.clone().unwrap_or_else(|| "?".into());
        Some(
            crate::email::queue(
                &tx,
                crate::email::NewEmail {
                    at: deps.clock.now(),
                    tenant_id: Some(membership.tenant_id),
                    to: &user.email,
                    locale: &user.locale,
                    branding: &branding,
                    template: &crate::emails::NewLogin {
                        name: &user.display_name,
                        ip: &ip,
                        device: &device,
                        at: deps.clock.now(),
                    },
                },
            )
            .await?,
        )
    };
    tx.commit().await?;
    if let Some(job) = notice {
        deps.jobs.enqueue(job, std::time::Duration::ZERO).await?;
    }

    let ctx = session_ctx(&membership, tokens.session_id, meta);
    let mut tenant_tx = TenantTx::begin(deps, membership.tenant_id).await?;
    audit::record(
        &mut tenant_tx,
        &ctx,
        "tenancy.user.logged_in",
        ("user", Some(user.id)),
        serde_json::json!({}),
    )
    .await?;
    tenant_tx.commit().await?;
    Ok(tokens)
}

#[derive(FromQueryResult)]
struct MembershipRow {
    id: Uuid,
}

async fn active_membership<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    tenant_slug: Option<&str>,
) -> Result<memberships::Model> {
    let backend = conn.get_database_backend();
    let row = match tenant_slug {
        Some(slug) => MembershipRow::find_by_statement(raw(
            backend,
            "SELECT m.id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.user_id = $1 AND t.slug = $2 AND m.status = 'active' AND t.status = 'active'",
            [user_id.into(), slug.into()],
        )),
        None => MembershipRow::find_by_statement(raw(
            backend,
            "SELECT m.id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.user_id = $1 AND m.status = 'active' AND t.status = 'active'
             ORDER BY m.id DESC LIMIT 1",
            [user_id.into()],
        )),
    }
    .one(conn)
    .await?
    .ok_or_else(|| {
        Error::unauthenticated(
            "NO_MEMBERSHIP",
            "you are not an active member of that business",
        )
    })?;
    memberships::Entity::find_by_id(row.id)
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("membership vanished").into())
}

/// Exchanges a refresh token for a new pair. A token presented twice means it leaked:
/// the whole session (every token of the family) is revoked.
pub async fn refresh(deps: &Deps, refresh_token: &str) -> Result<AuthTokens> {
    let now = deps.clock.now();
    let tx = begin_system(&deps.db).await?;
    let invalid = || Error::unauthenticated("INVALID_TOKEN", "the refresh token is not valid");
    let token = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(sha256_hex(refresh_token)))
        .one(&tx)
        .await?
        .ok_or_else(invalid)?;
    let session = sessions::Entity::find_by_id(token.session_id)
        .one(&tx)
        .await?
        .ok_or_else(invalid)?;
    if session.revoked_at.is_some() {
        return Err(Error::unauthenticated(
            "SESSION_REVOKED",
            "this session has ended; log in again",
        ));
    }
    let claimed = refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected == 0 {
        revoke_sessions(&tx, Sessions::ById(session.id), "refresh_token_reuse", now).await?;
        tx.commit().await?;
        access_changed(deps).await;
        tracing::warn!(session_id = %session.id, "refresh token reused; session revoked");
        return Err(Error::unauthenticated(
            "TOKEN_REUSED",
            "this refresh token was already used; the session has been ended for safety",
        ));
    }
    if token.expires_at <= now {
        return Err(Error::unauthenticated(
            "TOKEN_EXPIRED",
            "the refresh token has expired",
        ));
    }
    let membership = match memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(session.user_id))
        .filter(memberships::Column::TenantId.eq(session.tenant_id))
        .filter(memberships::Column::Status.eq(crate::members::Status::Active.key()))
        .one(&tx)
        .await?
    {
        Some(m) => m,
        None => {
            revoke_sessions(&tx, Sessions::ById(session.id), "membership_ended", now).await?;
            tx.commit().await?;
            access_changed(deps).await;
            return Err(Error::unauthenticated(
                "NO_MEMBERSHIP",
                "you are no longer a member of this business",
            ));
        }
    };
    let user_active = users::Entity::find_by_id(session.user_id)
        .one(&tx)
        .await?
        .is_some_and(|u| u.status == crate::members::UserStatus::Active.key());
    if !user_active {
        return Err(Error::unauthenticated(
            "USER_DISABLED",
            "this account is disabled",
        ));
    }
    let tokens = issue_tokens(&tx, deps, &session, &membership).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Ends sessions still open: one (`ById`), or every one of a user (`OfUser`).
pub(crate) enum Sessions {
    ById(Uuid),
    OfUser(Uuid),
}

pub(crate) async fn revoke_sessions<C: ConnectionTrait>(
    conn: &C,
    which: Sessions,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let selected = match which {
        Sessions::ById(id) => sessions::Column::Id.eq(id),
        Sessions::OfUser(user_id) => sessions::Column::UserId.eq(user_id),
    };
    sessions::Entity::update_many()
        .col_expr(
            sessions::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            sessions::Column::RevokedReason,
            sea_orm::sea_query::Expr::value(reason),
        )
        .filter(selected)
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the caller's session: its access and refresh tokens stop working at once.
pub async fn log_out(deps: &Deps, ctx: &TenantCtx) -> Result<()> {
    let (user_id, _, session_id) = ctx.user()?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    revoke_sessions(&*tx, Sessions::ById(session_id), "logout", deps.clock.now()).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.user.logged_out",
        ("user", Some(user_id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    access_changed(deps).await;
    Ok(())
}

/// Moves the caller's session to another business they belong to. Refresh tokens issued
/// for the old business are spent, so only the new pair continues the session.
pub async fn switch_tenant(deps: &Deps, ctx: &TenantCtx, tenant_id: Uuid) -> Result<AuthTokens> {
    let (user_id, _, session_id) = ctx.user()?;
    let now = deps.clock.now();
    let tx = begin_system(&deps.db).await?;
    let membership = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user_id))
        .filter(memberships::Column::TenantId.eq(tenant_id))
        .filter(memberships::Column::Status.eq(crate::members::Status::Active.key()))
        .one(&tx)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let mut session: sessions::ActiveModel = sessions::Entity::find_by_id(session_id)
        .one(&tx)
        .await?
        .ok_or_else(|| Error::unauthenticated("SESSION_REVOKED", "this session has ended"))?
        .into();
    session.tenant_id = Set(tenant_id);
    let session = session.update(&tx).await?;
    refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_tokens::Column::SessionId.eq(session_id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    let tokens = issue_tokens(&tx, deps, &session, &membership).await?;
    tx.commit().await?;
    // The session moved: its tokens for the old business stop working.
    access_changed(deps).await;

    let new_ctx = session_ctx(&membership, tokens.session_id, &ctx.meta);
    let mut tenant_tx = TenantTx::begin(deps, tenant_id).await?;
    audit::record(
        &mut tenant_tx,
        &new_ctx,
        "tenancy.user.switched_tenant",
        ("user", Some(user_id)),
        serde_json::json!({}),
    )
    .await?;
    tenant_tx.commit().await?;
    Ok(tokens)
}

#[derive(FromQueryResult)]
struct AccessRow {
    membership_status: String,
    user_status: String,
    permissions: serde_json::Value,
    session_revoked_at: Option<DateTime<Utc>>,
    session_tenant_id: Uuid,
    tenant_status: String,
    plan: String,
}

/// Turns a bearer credential into a context. Each call re-reads the user, membership,
/// role, session and tenant in one statement, so a disabled user, removed membership,
/// ended session or revoked key stops working at once.
pub async fn authenticate(deps: &Deps, credential: &str, meta: RequestMeta) -> Result<TenantCtx> {
    if credential.starts_with(API_KEY_PREFIX) {
        return authenticate_api_key(deps, credential, meta).await;
    }
    let mut validation = Validation::default();
    validation.set_issuer(&[ISSUER]);
    // Expiry is checked below against the injected clock, so tests can move time.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(
        credential,
        &deps.settings::<AuthSettings>()?.decoding,
        &validation,
    )
    .map_err(|_| Error::unauthenticated("INVALID_TOKEN", "the access token is not valid"))?
    .claims;
    if claims.exp <= deps.clock.now().timestamp() {
        return Err(Error::unauthenticated(
            "TOKEN_EXPIRED",
            "the access token has expired; refresh it",
        ));
    }
    let key = (claims.sid, claims.mid, claims.tid, claims.sub);
    let cache = deps.registry.get::<AccessCache>();
    let access = match cache.and_then(|cache| cache.get(&key)) {
        Some(access) => access,
        None => {
            let generation = cache.map(AccessCache::generation);
            let access = read_access(deps, &claims).await?;
            if let (Some(cache), Some(generation)) = (cache, generation) {
                cache.insert(generation, key, access.clone());
            }
            access
        }
    };
    Ok(TenantCtx {
        tenant_id: claims.tid,
        plan: access.plan,
        actor: Actor::User {
            user_id: claims.sub,
            membership_id: claims.mid,
            session_id: claims.sid,
        },
        permissions: access.permissions,
        meta,
    })
}

/// What the claims' session may do, or why it may do nothing, from the database.
async fn read_access(deps: &Deps, claims: &Claims) -> Result<Access> {
    let backend = deps.db.get_database_backend();
    let row = AccessRow::find_by_statement(raw(
        backend,
        "SELECT m.status AS membership_status, u.status AS user_status, r.permissions AS permissions,
                s.revoked_at AS session_revoked_at, s.tenant_id AS session_tenant_id,
                t.status AS tenant_status, t.plan AS plan
         FROM memberships m
         JOIN users u ON u.id = m.user_id
         JOIN roles r ON r.id = m.role_id
         JOIN tenants t ON t.id = m.tenant_id
         JOIN sessions s ON s.user_id = m.user_id
         WHERE s.id = $1 AND m.id = $2 AND m.tenant_id = $3 AND m.user_id = $4",
        [claims.sid.into(), claims.mid.into(), claims.tid.into(), claims.sub.into()],
    ))
    .one(&deps.db)
    .await?
    .ok_or_else(|| Error::unauthenticated("NO_MEMBERSHIP", "you are no longer a member of this business"))?;
    if row.session_revoked_at.is_some() || row.session_tenant_id != claims.tid {
        return Err(Error::unauthenticated(
            "SESSION_REVOKED",
            "this session has ended; log in again",
        ));
    }
    if row.user_status != crate::members::UserStatus::Active.key() {
        return Err(Error::unauthenticated(
            "USER_DISABLED",
            "this account is disabled",
        ));
    }
    if row.membership_status != crate::members::Status::Active.key() {
        return Err(Error::unauthenticated(
            "NO_MEMBERSHIP",
            "your access to this business is suspended",
        ));
    }
    if row.tenant_status != crate::tenants::TenantStatus::Active.key() {
        return Err(Error::unauthenticated(
            "TENANT_SUSPENDED",
            "this business is suspended",
        ));
    }
    Ok(Access {
        plan: Plan::from_stored(&row.plan)?,
        permissions: PermissionSet::from_json(&row.permissions),
    })
}

#[derive(FromQueryResult)]
struct ApiKeyRow {
    id: Uuid,
    tenant_id: Uuid,
    secret_hash: String,
    scopes: serde_json::Value,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    tenant_status: String,
    plan: String,
}

/// How stale `last_used_at` may get before a request refreshes it; saves a write per call.
const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

async fn authenticate_api_key(deps: &Deps, key: &str, meta: RequestMeta) -> Result<TenantCtx> {
    let invalid = || Error::unauthenticated("INVALID_API_KEY", "the API key is not valid");
    let prefix = super::api_keys::prefix_of(key).ok_or_else(invalid)?;
    let backend = deps.db.get_database_backend();
    let row = ApiKeyRow::find_by_statement(raw(
        backend,
        "SELECT k.id, k.tenant_id, k.secret_hash, k.scopes, k.expires_at, k.last_used_at, k.revoked_at,
                t.status AS tenant_status, t.plan AS plan
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
         WHERE k.prefix = $1",
        [prefix.into()],
    ))
    .one(&deps.db)
    .await?
    .ok_or_else(invalid)?;
    if !constant_time_eq(&row.secret_hash, &sha256_hex(key)) {
        return Err(invalid());
    }
    let now = deps.clock.now();
    if row.revoked_at.is_some() {
        return Err(Error::unauthenticated(
            "API_KEY_REVOKED",
            "the API key has been revoked",
        ));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::unauthenticated(
            "API_KEY_EXPIRED",
            "the API key has expired",
        ));
    }
    if row.tenant_status != crate::tenants::TenantStatus::Active.key() {
        return Err(Error::unauthenticated(
            "TENANT_SUSPENDED",
            "this business is suspended",
        ));
    }
    if row
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_GRANULARITY)
    {
        api_keys::Entity::update_many()
            .col_expr(
                api_keys::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_keys::Column::Id.eq(row.id))
            .exec(&deps.db)
            .await?;
    }
    Ok(TenantCtx {
        tenant_id: row.tenant_id,
        plan: Plan::from_stored(&row.plan)?,
        actor: Actor::ApiKey { key_id: row.id },
        permissions: PermissionSet::from_json(&row.scopes),
        meta,
    })
}
