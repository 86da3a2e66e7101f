use std::sync::Arc;

use tianguis_domain::Deps;
use tianguis_domain::iot::devices::ProfileKeys;
use tianguis_domain::iot::writer::TelemetryWriter;
use tianguis_domain::ports::RateLimiter;

use crate::graphql::AppSchema;
use crate::metrics::Metrics;

/// Limits and switches of the HTTP edge.
#[derive(Clone, Debug)]
pub struct EdgeSettings {
    pub max_body_bytes: usize,
    /// Requests per minute for one credential (session or API key).
    pub credential_per_minute: u32,
    /// Requests per minute for one client address without a credential.
    pub anonymous_per_minute: u32,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            credential_per_minute: 1_200,
            anonymous_per_minute: 120,
            max_depth: 12,
            max_complexity: 5_000,
            introspection: true,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub deps: Deps,
    pub schema: AppSchema,
    pub rate_limiter: Arc<dyn RateLimiter>,
    pub settings: Arc<EdgeSettings>,
    pub metrics: Arc<Metrics>,
    /// Where every transport hands its telemetry for batched storage.
    pub telemetry: TelemetryWriter,
    pub profile_keys: ProfileKeys,
}
