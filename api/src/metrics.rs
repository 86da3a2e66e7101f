//! Prometheus metrics of the edge: HTTP requests and latency, GraphQL operations and
//! their outcome, SQL statements. Exposed at `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    operations: Family<OperationLabels, Counter>,
    telemetry_points: Counter,
    telemetry_rejected: Family<ReasonLabels, Counter>,
    /// Shared with the database connection's statement callback.
    pub sql_statements: Arc<AtomicU64>,
}

impl Metrics {
    /// `more` registers the metrics of other parts of the process (the job pool).
    pub fn new(sql_statements: Arc<AtomicU64>, more: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix("tianguis");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to serve an HTTP request",
            latency.clone(),
        );
        registry.register(
            "graphql_operations",
            "GraphQL operations by name and outcome",
            operations.clone(),
        );
        let telemetry_points = Counter::default();
        let telemetry_rejected = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "telemetry_points",
            "Telemetry points stored",
            telemetry_points.clone(),
        );
        registry.register(
            "telemetry_rejected",
            "Telemetry messages refused, by reason",
            telemetry_rejected.clone(),
        );
        let statements = SqlStatements(sql_statements.clone());
        registry.register_collector(Box::new(statements));
        more(&mut registry);
        Self {
            registry,
            requests,
            latency,
            operations,
            telemetry_points,
            telemetry_rejected,
            sql_statements,
        }
    }

    pub fn record_operation(&self, operation: &str, outcome: &str) {
        self.operations
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn record_telemetry(&self, points: usize) {
        self.telemetry_points.inc_by(points as u64);
    }

    pub fn record_telemetry_rejected(&self, reason: &str) {
        self.telemetry_rejected
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %err, "encoding metrics");
        }
        out
    }
}

/// Exposes the statement counter the database callback increments.
#[derive(Debug)]
struct SqlStatements(Arc<AtomicU64>);

impl prometheus_client::collector::Collector for SqlStatements {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        let counter =
            prometheus_client::metrics::counter::ConstCounter::new(self.0.load(Ordering::Relaxed));
        let metric = encoder.encode_descriptor(
            "sql_statements",
            "SQL statements executed",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        prometheus_client::encoding::EncodeMetric::encode(&counter, metric)
    }
}

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .requests
        .get_or_create(&HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

pub async fn endpoint(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
