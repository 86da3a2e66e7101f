//! The HTTP and GraphQL edge: the router, the schema, resolvers and credential extraction.
//! Resolvers are thin: they read the caller's context, call one domain use case and map the
//! result.

pub mod graphql;
pub mod http;
pub mod intake;
pub mod metrics;
pub mod mqtt;
pub mod state;

pub use http::{ops_router, router};
pub use state::{AppState, EdgeSettings};
