//! Per-request DataLoaders: a relation field asks its loader, which batches every key the
//! request needs into one call, so nested lists cost a fixed number of statements.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use tianguis_domain::tenancy::{members, roles};
use tianguis_domain::{Deps, TenantCtx};
use uuid::Uuid;

use super::error::to_graphql;

/// Loaders are built per request for one caller, so batches never mix tenants.
#[derive(Clone)]
pub struct CallerScope {
    deps: Deps,
    ctx: Arc<TenantCtx>,
}

pub struct UserLoader(CallerScope);
pub struct RoleLoader(CallerScope);

impl Loader<Uuid> for UserLoader {
    type Value = members::User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        members::users_by_ids(&self.0.deps, &self.0.ctx, keys)
            .await
            .map_err(to_graphql)
    }
}

impl Loader<Uuid> for RoleLoader {
    type Value = roles::Role;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        roles::by_ids(&self.0.deps, &self.0.ctx, keys)
            .await
            .map_err(to_graphql)
    }
}

/// Adds the caller's loaders to a request's data.
pub fn register(data: &mut async_graphql::Data, deps: &Deps, ctx: &TenantCtx) {
    let scope = CallerScope {
        deps: deps.clone(),
        ctx: Arc::new(ctx.clone()),
    };
    data.insert(DataLoader::new(UserLoader(scope.clone()), tokio::spawn));
    data.insert(DataLoader::new(RoleLoader(scope), tokio::spawn));
}
