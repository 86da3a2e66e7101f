//! tenancy's GraphQL mutations.

use crate::graphql::context::deps;
use crate::graphql::context::meta;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedObject;
use async_graphql::Object;
use tianguis_domain::tenancy::account;
use tianguis_domain::tenancy::api_keys;
use tianguis_domain::tenancy::auth;
use tianguis_domain::tenancy::invitations;
use tianguis_domain::tenancy::members;
use tianguis_domain::tenancy::roles;
use tianguis_domain::tenancy::tenants;
use tianguis_domain::tenancy::totp;

use crate::graphql::tenancy::*;

#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Creates an API key. The secret is in this response only.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let cmd = api_keys::NewApiKey {
            name: input.name,
            scopes: input.scopes,
            expires_at: input.expires_at,
        };
        let created = api_keys::create(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?;
        Ok(CreateApiKeyPayload {
            api_key: created.key.into(),
            secret: created.secret,
        })
    }

    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<ApiKey> {
        let id = parse_id(&input.id, "id")?;
        Ok(api_keys::revoke(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }
}

#[derive(MergedObject, Default)]
pub struct TenancyMutation(pub(crate) SessionMutation, TeamMutation, AccessMutation);

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

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Invites someone by email; the payload's token goes into their invitation link.
    async fn create_invitation(
        &self,
        ctx: &Context<'_>,
        input: CreateInvitationInput,
    ) -> async_graphql::Result<CreateInvitationPayload> {
        let role_id = parse_id(&input.role_id, "roleId")?;
        let created = invitations::create(deps(ctx)?, tenant(ctx)?, &input.email, role_id)
            .await
            .gql()?;
        Ok(CreateInvitationPayload {
            invitation: created.invitation.into(),
            token: created.token,
        })
    }

    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<Invitation> {
        let id = parse_id(&input.id, "id")?;
        Ok(invitations::revoke(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeMemberRoleInput,
    ) -> async_graphql::Result<Member> {
        let member = parse_id(&input.member_id, "memberId")?;
        let role = parse_id(&input.role_id, "roleId")?;
        Ok(members::change_role(deps(ctx)?, tenant(ctx)?, member, role)
            .await
            .gql()?
            .into())
    }

    /// Suspends a member: their sessions stop working at once.
    async fn suspend_member(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<Member> {
        let id = parse_id(&input.id, "id")?;
        Ok(members::set_status(deps(ctx)?, tenant(ctx)?, id, false)
            .await
            .gql()?
            .into())
    }

    async fn reactivate_member(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> async_graphql::Result<Member> {
        let id = parse_id(&input.id, "id")?;
        Ok(members::set_status(deps(ctx)?, tenant(ctx)?, id, true)
            .await
            .gql()?
            .into())
    }

    /// Removes a member (or, with your own membership id, leaves the business).
    async fn remove_member(&self, ctx: &Context<'_>, input: IdInput) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(members::remove(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    async fn create_role(
        &self,
        ctx: &Context<'_>,
        input: CreateRoleInput,
    ) -> async_graphql::Result<Role> {
        let cmd = roles::RoleInput {
            name: input.name,
            description: input.description,
            permissions: input.permissions,
        };
        Ok(roles::create(deps(ctx)?, tenant(ctx)?, cmd)
            .await
            .gql()?
            .into())
    }

    async fn update_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateRoleInput,
    ) -> async_graphql::Result<Role> {
        let id = parse_id(&input.id, "id")?;
        let cmd = roles::RoleUpdate {
            name: input.name,
            description: input.description,
            permissions: input.permissions,
        };
        Ok(roles::update(deps(ctx)?, tenant(ctx)?, id, cmd)
            .await
            .gql()?
            .into())
    }

    async fn delete_role(&self, ctx: &Context<'_>, input: IdInput) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(roles::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }
}
