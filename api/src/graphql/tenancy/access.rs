//! API keys and the audit log, with a live feed of new audit entries.

use async_graphql::{Context, Enum, ID, InputObject, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tianguis_domain::Permission;
use tianguis_domain::audit;
use tianguis_domain::page::SortDirection;
use tianguis_domain::tenancy::api_keys;

use super::types::{ApiKey, AuditLogEntry, CreateApiKeyPayload};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id, to_graphql};

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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum AuditLogOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

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

#[derive(Default)]
pub struct AuditSubscription;

#[Subscription]
impl AuditSubscription {
    /// New audit entries of the current business as they are committed.
    async fn audit_log_added(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = AuditLogEntry> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::AuditRead).gql()?;
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&audit::topic(caller.tenant_id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(|payload| async move {
            serde_json::from_slice::<audit::AuditEntry>(&payload)
                .map(AuditLogEntry::from)
                .ok()
        }))
    }
}
