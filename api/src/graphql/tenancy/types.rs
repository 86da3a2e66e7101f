//! tenancy's GraphQL object types.

use crate::graphql::error::to_graphql;
use crate::graphql::loaders::RoleLoader;
use crate::graphql::loaders::UserLoader;
use crate::graphql::loaders::load;
use async_graphql::ComplexObject;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::Permission;
use tianguis_domain::PermissionSet;
use tianguis_domain::audit;
use tianguis_domain::tenancy::api_keys;
use tianguis_domain::tenancy::auth;
use tianguis_domain::tenancy::invitations;
use tianguis_domain::tenancy::members;
use tianguis_domain::tenancy::roles;
use tianguis_domain::tenancy::tenants;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum AuditLogOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// A business using Tianguis.
#[derive(SimpleObject)]
pub struct Tenant {
    pub id: ID,
    pub name: String,
    pub slug: String,
    /// free, pro or enterprise.
    pub plan: String,
    pub status: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA time zone name.
    pub timezone: String,
    /// ISO 4217 code used for new documents.
    pub currency: String,
    /// BCP 47 tag for messages and documents.
    pub locale: String,
    pub logo_url: Option<String>,
    pub brand_color: String,
    pub created_at: DateTime<Utc>,
}

impl From<tenants::Tenant> for Tenant {
    fn from(t: tenants::Tenant) -> Self {
        Self {
            id: t.id.into(),
            name: t.name,
            slug: t.slug,
            plan: t.plan,
            status: t.status,
            country: t.country,
            timezone: t.timezone,
            currency: t.currency,
            locale: t.locale,
            logo_url: t.logo_url,
            brand_color: t.brand_color,
            created_at: t.created_at,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct User {
    pub id: ID,
    pub email: String,
    pub display_name: String,
    pub status: String,
    pub two_factor_enabled: bool,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<members::User> for User {
    fn from(u: members::User) -> Self {
        Self {
            id: u.id.into(),
            email: u.email,
            display_name: u.display_name,
            status: u.status,
            two_factor_enabled: u.totp_enabled,
            email_verified: u.email_verified,
            created_at: u.created_at,
        }
    }
}

/// A permission from the catalogue.
#[derive(SimpleObject)]
pub struct PermissionInfo {
    pub key: String,
    pub description: String,
}

impl From<Permission> for PermissionInfo {
    fn from(p: Permission) -> Self {
        Self {
            key: p.key().to_owned(),
            description: p.description().to_owned(),
        }
    }
}

pub fn permission_keys(set: &PermissionSet) -> Vec<String> {
    set.iter().map(|p| p.key().to_owned()).collect()
}

#[derive(SimpleObject, Clone)]
pub struct Role {
    pub id: ID,
    pub key: String,
    pub name: String,
    pub description: String,
    /// Permission keys such as `crm.leads.write`.
    pub permissions: Vec<String>,
    /// System roles come with every business and cannot be changed.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
}

impl From<roles::Role> for Role {
    fn from(r: roles::Role) -> Self {
        Self {
            id: r.id.into(),
            permissions: permission_keys(&r.permissions),
            key: r.key,
            name: r.name,
            description: r.description,
            is_system: r.is_system,
            created_at: r.created_at,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "members::Status")]
pub enum MemberStatus {
    Active,
    Suspended,
}

/// A person's membership in the current business.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Member {
    pub id: ID,
    pub status: MemberStatus,
    pub joined_at: DateTime<Utc>,
    #[graphql(skip)]
    user_id: uuid::Uuid,
    #[graphql(skip)]
    role_id: uuid::Uuid,
}

impl From<members::Member> for Member {
    fn from(m: members::Member) -> Self {
        Self {
            id: m.id.into(),
            status: m.status.into(),
            joined_at: m.created_at,
            user_id: m.user_id,
            role_id: m.role_id,
        }
    }
}

#[ComplexObject]
impl Member {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        load::<UserLoader>(ctx, self.user_id)
            .await?
            .map(User::from)
            .ok_or_else(|| to_graphql(tianguis_domain::Error::NotFound("user")))
    }

    async fn role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        load::<RoleLoader>(ctx, self.role_id)
            .await?
            .map(Role::from)
            .ok_or_else(|| to_graphql(tianguis_domain::Error::NotFound("role")))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "invitations::Status")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Invitation {
    pub id: ID,
    pub email: String,
    pub status: InvitationStatus,
    pub invited_by: ID,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    role_id: uuid::Uuid,
}

impl From<invitations::Invitation> for Invitation {
    fn from(i: invitations::Invitation) -> Self {
        Self {
            id: i.id.into(),
            email: i.email,
            status: i.status.into(),
            invited_by: i.invited_by.into(),
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            created_at: i.created_at,
            role_id: i.role_id,
        }
    }
}

#[ComplexObject]
impl Invitation {
    async fn role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Role>> {
        Ok(load::<RoleLoader>(ctx, self.role_id).await?.map(Role::from))
    }
}

#[derive(SimpleObject)]
pub struct CreateInvitationPayload {
    pub invitation: Invitation,
    /// The token for the invitation link; shown only here.
    pub token: String,
}

#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The key's public start, to recognise it in lists and logs.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: ID,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<api_keys::ApiKey> for ApiKey {
    fn from(k: api_keys::ApiKey) -> Self {
        Self {
            id: k.id.into(),
            scopes: permission_keys(&k.scopes),
            name: k.name,
            prefix: k.prefix,
            created_by: k.created_by.into(),
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: ApiKey,
    /// The whole key. It is shown only here: store it now.
    pub secret: String,
}

#[derive(SimpleObject)]
pub struct AuditLogEntry {
    pub id: ID,
    /// user, api_key or system.
    pub actor_type: String,
    pub actor_id: Option<ID>,
    /// What happened, such as `member.role_changed`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<ID>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub data: async_graphql::Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<audit::AuditEntry> for AuditLogEntry {
    fn from(e: audit::AuditEntry) -> Self {
        Self {
            id: e.id.into(),
            actor_type: e.actor_type,
            actor_id: e.actor_id.map(Into::into),
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id.map(Into::into),
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            data: async_graphql::Json(e.data),
            created_at: e.created_at,
        }
    }
}

/// Tokens for a signed-in session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Short-lived bearer token for the `Authorization` header.
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Exchange it with `refreshSession`; each one works once.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user_id: ID,
    pub tenant_id: ID,
}

impl From<auth::AuthTokens> for AuthPayload {
    fn from(t: auth::AuthTokens) -> Self {
        Self {
            access_token: t.access_token,
            access_token_expires_at: t.access_token_expires_at,
            refresh_token: t.refresh_token,
            refresh_token_expires_at: t.refresh_token_expires_at,
            user_id: t.user_id.into(),
            tenant_id: t.tenant_id.into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct MyMembership {
    pub id: ID,
    pub status: String,
    pub role_key: String,
    pub role_name: String,
    pub tenant: Tenant,
}

#[derive(SimpleObject)]
pub struct Me {
    pub user: User,
    pub current_tenant_id: ID,
    /// Every business this person belongs to, for a tenant switcher.
    pub memberships: Vec<MyMembership>,
    /// What the caller may do in the current business.
    pub permissions: Vec<String>,
}

impl Me {
    pub fn new(me: members::Me, permissions: &PermissionSet) -> Self {
        Self {
            user: me.user.into(),
            current_tenant_id: me.current_tenant_id.into(),
            memberships: me
                .memberships
                .into_iter()
                .map(|m| MyMembership {
                    id: m.membership_id.into(),
                    status: m.status,
                    role_key: m.role_key,
                    role_name: m.role_name,
                    tenant: m.tenant.into(),
                })
                .collect(),
            permissions: permission_keys(permissions),
        }
    }
}

#[derive(SimpleObject)]
pub struct TotpEnrollment {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_url: String,
}
