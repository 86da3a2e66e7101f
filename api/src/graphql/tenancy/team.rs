//! Members, roles and invitations of the current business.

use async_graphql::{Context, ID, InputObject, Object};
use tianguis_domain::tenancy::{invitations, members, roles};

use super::types::{
    CreateInvitationPayload, Invitation, InvitationStatus, Member, MemberStatus, Role,
};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(InputObject, Default)]
pub struct MemberFilter {
    pub status: Option<MemberStatus>,
    pub role_id: Option<ID>,
}

#[derive(Default)]
pub struct TeamQuery;

#[Object]
impl TeamQuery {
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        filter: Option<MemberFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Member>> {
        let filter = filter.unwrap_or_default();
        let domain_filter = members::MemberFilter {
            status: filter.status.map(|s| match s {
                MemberStatus::Active => "active".to_owned(),
                MemberStatus::Suspended => "suspended".to_owned(),
            }),
            role_id: filter
                .role_id
                .as_ref()
                .map(|id| parse_id(id, "roleId"))
                .transpose()?,
        };
        let page = page_request(first, after, last, before)?;
        let page = members::list(deps(ctx)?, tenant(ctx)?, domain_filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |m| m.id, Member::from))
    }

    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn roles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Role>> {
        let page = page_request(first, after, last, before)?;
        let page = roles::list(deps(ctx)?, tenant(ctx)?, &page).await.gql()?;
        Ok(connection(page, |r| r.id, Role::from))
    }

    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        status: Option<InvitationStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Invitation>> {
        let status = status.map(|s| {
            match s {
                InvitationStatus::Pending => "pending",
                InvitationStatus::Accepted => "accepted",
                InvitationStatus::Revoked => "revoked",
                InvitationStatus::Expired => "expired",
            }
            .to_owned()
        });
        let page = page_request(first, after, last, before)?;
        let page = invitations::list(deps(ctx)?, tenant(ctx)?, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |i| i.id, Invitation::from))
    }
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
