//! tenancy's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;
use chrono::DateTime;
use chrono::Utc;

use crate::graphql::tenancy::*;

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Exact action, such as `api_key.created`.
    pub action: Option<String>,
    pub actor_id: Option<ID>,
    pub subject_type: Option<String>,
    pub subject_id: Option<ID>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    /// Permission keys the key may use; only ones you hold yourself.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct SignUpInput {
    pub business_name: String,
    /// Defaults to one derived from the business name.
    pub slug: Option<String>,
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Defaults to MX.
    pub country: Option<String>,
    /// Defaults to America/Mexico_City.
    pub timezone: Option<String>,
    /// Defaults to MXN.
    pub currency: Option<String>,
    /// Defaults to es-MX.
    pub locale: Option<String>,
}

#[derive(InputObject)]
pub struct LogInInput {
    pub email: String,
    pub password: String,
    /// Required when two-factor authentication is on.
    pub totp_code: Option<String>,
    /// Which business to open; the most recently joined one when absent.
    pub tenant_slug: Option<String>,
}

#[derive(InputObject)]
pub struct RefreshSessionInput {
    pub refresh_token: String,
}

#[derive(InputObject)]
pub struct SwitchTenantInput {
    pub tenant_id: ID,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    pub token: String,
    /// Needed when the invitee has no account yet.
    pub display_name: Option<String>,
    /// A new account's password, or the existing account's password.
    pub password: String,
}

#[derive(InputObject)]
pub struct UpdateTenantSettingsInput {
    pub name: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub locale: Option<String>,
    /// An https:// image for emails and public pages; empty removes it.
    pub logo_url: Option<String>,
    /// A hex colour such as #0F766E.
    pub brand_color: Option<String>,
}

#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    pub email: String,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the emailed link.
    pub token: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct VerifyEmailInput {
    pub token: String,
}

#[derive(InputObject)]
pub struct TotpCodeInput {
    pub code: String,
}

#[derive(InputObject, Default)]
pub struct MemberFilter {
    pub status: Option<MemberStatus>,
    pub role_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateInvitationInput {
    pub email: String,
    pub role_id: ID,
}

#[derive(InputObject)]
pub struct IdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct ChangeMemberRoleInput {
    pub member_id: ID,
    pub role_id: ID,
}

#[derive(InputObject)]
pub struct CreateRoleInput {
    pub name: String,
    pub description: Option<String>,
    /// Permission keys from `permissionCatalogue`; only ones you hold yourself.
    pub permissions: Vec<String>,
}

#[derive(InputObject)]
pub struct UpdateRoleInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<String>>,
}
