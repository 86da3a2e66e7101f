//! Signing up and in, sessions, the current user and business, two-factor authentication.

use async_graphql::{Context, ID, InputObject, Object};
use tianguis_domain::Permission;
use tianguis_domain::tenancy::{account, auth, invitations, members, tenants, totp};

use super::types::{AuthPayload, Me, PermissionInfo, Tenant, TotpEnrollment};
use crate::graphql::context::{deps, meta, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The signed-in user, their businesses and their permissions here.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let caller = tenant(ctx)?;
        let me = members::me(deps(ctx)?, caller).await.gql()?;
        Ok(Me::new(me, &caller.permissions))
    }

    /// The current business and its settings.
    async fn tenant(&self, ctx: &Context<'_>) -> async_graphql::Result<Tenant> {
        Ok(tenants::current(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into())
    }

    /// Every permission a role or API key can hold.
    async fn permission_catalogue(&self) -> Vec<PermissionInfo> {
        Permission::ALL.iter().copied().map(Into::into).collect()
    }
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

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Creates a business and its owner, and signs the owner in.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<AuthPayload> {
        let cmd = auth::SignUp {
            business_name: input.business_name,
            slug: input.slug,
            email: input.email,
            password: input.password,
            display_name: input.display_name,
            country: input.country,
            timezone: input.timezone,
            currency: input.currency,
            locale: input.locale,
        };
        Ok(auth::sign_up(deps(ctx)?, &meta(ctx), cmd)
            .await
            .gql()?
            .into())
    }

    async fn log_in(
        &self,
        ctx: &Context<'_>,
        input: LogInInput,
    ) -> async_graphql::Result<AuthPayload> {
        let cmd = auth::LogIn {
            email: input.email,
            password: input.password,
            totp_code: input.totp_code,
            tenant_slug: input.tenant_slug,
        };
        Ok(auth::log_in(deps(ctx)?, &meta(ctx), cmd)
            .await
            .gql()?
            .into())
    }

    /// Exchanges a refresh token for a new pair; a reused token ends the session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        input: RefreshSessionInput,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(auth::refresh(deps(ctx)?, &input.refresh_token)
            .await
            .gql()?
            .into())
    }

    /// Ends the current session everywhere its tokens are used.
    async fn log_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        auth::log_out(deps(ctx)?, tenant(ctx)?).await.gql()?;
        Ok(true)
    }

    /// Moves the session to another business the user belongs to.
    async fn switch_tenant(
        &self,
        ctx: &Context<'_>,
        input: SwitchTenantInput,
    ) -> async_graphql::Result<AuthPayload> {
        let tenant_id = parse_id(&input.tenant_id, "tenantId")?;
        Ok(auth::switch_tenant(deps(ctx)?, tenant(ctx)?, tenant_id)
            .await
            .gql()?
            .into())
    }

    /// Joins the inviting business and signs in to it.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<AuthPayload> {
        let cmd = invitations::Accept {
            token: input.token,
            display_name: input.display_name,
            password: input.password,
        };
        Ok(invitations::accept(deps(ctx)?, &meta(ctx), cmd)
            .await
            .gql()?
            .into())
    }

    async fn update_tenant_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateTenantSettingsInput,
    ) -> async_graphql::Result<Tenant> {
        let cmd = tenants::UpdateSettings {
            name: input.name,
            country: input.country,
            timezone: input.timezone,
            currency: input.currency,
            locale: input.locale,
            logo_url: input.logo_url,
            brand_color: input.brand_color,
        };
        Ok(tenants::update_settings(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?
            .into())
    }

    /// Emails a reset link if the address has an account; answers true either way.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> async_graphql::Result<bool> {
        account::request_password_reset(deps(ctx)?, &input.email)
            .await
            .gql()?;
        Ok(true)
    }

    /// Sets a new password with an emailed token; every session of the account ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> async_graphql::Result<bool> {
        account::reset_password(deps(ctx)?, &input.token, &input.password)
            .await
            .gql()?;
        Ok(true)
    }

    /// Confirms the email address with the token from the emailed link.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        input: VerifyEmailInput,
    ) -> async_graphql::Result<bool> {
        account::verify_email(deps(ctx)?, &input.token)
            .await
            .gql()?;
        Ok(true)
    }

    /// Emails the signed-in user a new confirmation link.
    async fn resend_email_verification(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        account::resend_verification(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?;
        Ok(true)
    }

    /// Starts two-factor enrolment; confirm it with `verifyTotp`.
    async fn enroll_totp(&self, ctx: &Context<'_>) -> async_graphql::Result<TotpEnrollment> {
        let enrollment = totp::enroll(deps(ctx)?, tenant(ctx)?).await.gql()?;
        Ok(TotpEnrollment {
            secret: enrollment.secret,
            otpauth_url: enrollment.otpauth_url,
        })
    }

    /// Turns two-factor authentication on with a code from the authenticator.
    async fn verify_totp(
        &self,
        ctx: &Context<'_>,
        input: TotpCodeInput,
    ) -> async_graphql::Result<Me> {
        let (deps, caller) = (deps(ctx)?, tenant(ctx)?);
        totp::verify(deps, caller, &input.code).await.gql()?;
        Ok(Me::new(
            members::me(deps, caller).await.gql()?,
            &caller.permissions,
        ))
    }

    async fn disable_totp(
        &self,
        ctx: &Context<'_>,
        input: TotpCodeInput,
    ) -> async_graphql::Result<Me> {
        let (deps, caller) = (deps(ctx)?, tenant(ctx)?);
        totp::disable(deps, caller, &input.code).await.gql()?;
        Ok(Me::new(
            members::me(deps, caller).await.gql()?,
            &caller.permissions,
        ))
    }
}
