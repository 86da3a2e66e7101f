//! tenancy's GraphQL subscriptions.

use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::to_graphql;
use async_graphql::Context;
use async_graphql::MergedSubscription;
use async_graphql::Subscription;
use futures_util::Stream;
use futures_util::StreamExt;
use tianguis_domain::Permission;
use tianguis_domain::audit;

use crate::graphql::tenancy::*;

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

#[derive(MergedSubscription, Default)]
pub struct TenancySubscription(pub(crate) AuditSubscription);
