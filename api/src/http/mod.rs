//! The HTTP surface: GraphQL over HTTP and WebSocket, health, readiness and metrics.

mod auth;
mod booking;
mod files;
mod forms;
mod graphql;
mod health;
pub(crate) mod prepaid;
mod proposal_page;
mod self_invoice;
mod stripe;
mod telemetry;
mod tracking;
mod twilio;
mod whatsapp;
mod workflow_hook;

use axum::http::HeaderName;
use axum::routing::{get, post, put};
use axum::{Router, middleware};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::{AppState, metrics};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids are UUID v7, so they sort by time in logs.
#[derive(Clone, Copy)]
struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// Health, readiness and metrics only: what a worker process serves.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::endpoint))
        .with_state(state)
}

pub fn router(state: AppState) -> Router {
    // The public proposal and self-invoicing pages share the API's limits: by client
    // address, as anonymous.
    let max_body = state.settings.max_body_bytes;
    // GraphQL takes files (multipart) up to the largest upload; its JSON bodies are held
    // to the usual limit by the handler.
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .layer(RequestBodyLimitLayer::new(graphql::MAX_MULTIPART_BYTES));
    let identified = Router::new()
        .route("/archivos/{token}", get(files::download))
        .route("/p/{token}", get(proposal_page::show))
        .route("/p/{token}/accept", post(proposal_page::accept))
        .route("/p/{token}/reject", post(proposal_page::reject))
        .route(
            "/facturar/{slug}",
            get(self_invoice::show).post(self_invoice::submit),
        )
        .route("/reservar/{slug}", get(booking::services))
        .route("/reservar/{slug}/{service}", get(booking::day))
        .route(
            "/reservar/{slug}/{service}/datos",
            get(booking::details).post(booking::submit),
        )
        .route("/cita/{token}", get(booking::manage).post(booking::act))
        .route(
            "/lista/{token}",
            get(booking::offer).post(booking::take_offer),
        )
        .route("/calendario/{file}", get(booking::feed))
        .route("/webhooks/workflows/{token}", post(workflow_hook::receive))
        .route(
            "/formularios/{slug}/{form}",
            get(forms::show).post(forms::submit_page),
        )
        .route(
            "/api/v1/forms/{slug}/{form}",
            post(forms::submit_json).options(forms::preflight),
        )
        .layer(RequestBodyLimitLayer::new(max_body))
        .merge(graphql)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ));
    // Direct uploads stream to the store, up to the largest a direct upload declares.
    let direct_uploads = Router::new()
        .route("/archivos/subidas/{token}", put(files::receive))
        .layer(RequestBodyLimitLayer::new(
            usize::try_from(tianguis_domain::documents::uploads::MAX_BYTES).unwrap_or(usize::MAX),
        ));
    let unidentified = Router::new()
        .route("/graphql/ws", get(graphql::websocket))
        .route("/api/v1/telemetry", post(telemetry::ingest))
        .route("/api/v1/prepaid/charges", post(prepaid::receive))
        .route("/webhooks/stripe", post(stripe::receive))
        .route(
            "/webhooks/whatsapp",
            get(whatsapp::verify).post(whatsapp::receive),
        )
        .route("/webhooks/twilio", post(twilio::receive))
        .route("/t/o/{token}", get(tracking::open))
        .route("/t/c/{token}", get(tracking::click))
        .route(
            "/u/{token}",
            get(tracking::unsubscribe_page).post(tracking::unsubscribe),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::endpoint))
        .layer(RequestBodyLimitLayer::new(max_body))
        .merge(direct_uploads);
    Router::new()
        .merge(identified)
        .merge(unidentified)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                // One log line per request, carrying the span's request and tenant ids.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|request: &axum::http::Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id,
                        tenant_id = tracing::field::Empty,
                    )
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuidV7))
        .with_state(state)
}
