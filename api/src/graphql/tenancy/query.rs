//! tenancy's GraphQL queries.

use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::MergedObject;
use async_graphql::Object;
use tianguis_domain::Permission;
use tianguis_domain::audit;
use tianguis_domain::page::SortDirection;
use tianguis_domain::tenancy::api_keys;
use tianguis_domain::tenancy::invitations;
use tianguis_domain::tenancy::members;
use tianguis_domain::tenancy::roles;
use tianguis_domain::tenancy::tenants;

use crate::graphql::tenancy::*;

#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<ApiKey>> {
        let page = page_request(first, after, last, before)?;
        let page = api_keys::list(deps(ctx)?, tenant(ctx)?, &page)
            .await
            .gql()?;
        Ok(connection(page, |k| k.id, ApiKey::from))
    }

    /// Who did what, to which record, when and from where.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn audit_logs(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        #[graphql(default)] order: AuditLogOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<AuditLogEntry>> {
        let filter = filter.unwrap_or_default();
        let domain_filter = audit::AuditFilter {
            action: filter.action,
            actor_id: filter
                .actor_id
                .as_ref()
                .map(|id| parse_id(id, "actorId"))
                .transpose()?,
            subject_type: filter.subject_type,
            subject_id: filter
                .subject_id
                .as_ref()
                .map(|id| parse_id(id, "subjectId"))
                .transpose()?,
            since: filter.since,
            until: filter.until,
        };
        let direction = match order {
            AuditLogOrder::NewestFirst => SortDirection::Desc,
            AuditLogOrder::OldestFirst => SortDirection::Asc,
        };
        let page = page_request(first, after, last, before)?;
        let page = audit::list(deps(ctx)?, tenant(ctx)?, domain_filter, direction, &page)
            .await
            .gql()?;
        Ok(connection(page, |e| e.id, AuditLogEntry::from))
    }
}

#[derive(MergedObject, Default)]
pub struct TenancyQuery(pub(crate) SessionQuery, TeamQuery, AccessQuery);

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
            status: filter.status.map(Into::into),
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
        let status = status.map(Into::into);
        let page = page_request(first, after, last, before)?;
        let page = invitations::list(deps(ctx)?, tenant(ctx)?, status, &page)
            .await
            .gql()?;
        Ok(connection(page, |i| i.id, Invitation::from))
    }
}
