//! One schema merged from per-context roots, with the service's limits and conventions.

pub mod automation;
pub mod billing;
pub mod commerce;
pub mod common;
pub mod connection;
pub mod context;
pub mod crm;
pub mod documents;
pub mod error;
pub mod iot;
pub mod jobs;
pub mod loaders;
pub mod marketing;
pub mod messaging;
pub mod scheduling;
pub mod tenancy;
pub mod text_input;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use async_graphql::{MergedObject, MergedSubscription, Schema};
use tianguis_domain::Deps;

use crate::EdgeSettings;

#[derive(MergedObject, Default)]
pub struct Query(
    tenancy::TenancyQuery,
    crm::CrmQuery,
    billing::BillingQuery,
    iot::IotQuery,
    commerce::CommerceQuery,
    scheduling::SchedulingQuery,
    scheduling::EventsQuery,
    scheduling::PayrollQuery,
    documents::DocumentsQuery,
    messaging::MessagingQuery,
    marketing::MarketingQuery,
    automation::AutomationQuery,
    jobs::JobsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    tenancy::TenancyMutation,
    crm::CrmMutation,
    billing::BillingMutation,
    iot::IotMutation,
    commerce::CommerceMutation,
    scheduling::SchedulingMutation,
    scheduling::EventsMutation,
    scheduling::PayrollMutation,
    documents::DocumentsMutation,
    messaging::MessagingMutation,
    marketing::MarketingMutation,
    automation::AutomationMutation,
    jobs::JobsMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(
    tenancy::TenancySubscription,
    iot::IotSubscription,
    messaging::MessagingSubscription,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Persisted-query hashes remembered per process.
const PERSISTED_QUERIES: usize = 1024;

/// Builds the schema; `deps` is absent when only the SDL is wanted.
pub fn build_schema(settings: &EdgeSettings, deps: Option<Deps>) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(settings.max_depth)
    .limit_complexity(settings.max_complexity)
    .limit_recursive_depth(32)
    .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
        PERSISTED_QUERIES,
    )))
    .extension(text_input::TextInputGuard);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if let Some(deps) = deps {
        builder = builder.data(deps);
    }
    builder.finish()
}

/// The schema's SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&EdgeSettings::default(), None).sdl()
}
