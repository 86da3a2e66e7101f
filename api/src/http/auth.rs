//! Reads the caller's credential once per request and applies the rate limits.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tianguis_domain::ports::RateDecision;
use tianguis_domain::tenancy::auth;
use tianguis_domain::{Actor, Error, RequestMeta};

use super::REQUEST_ID_HEADER;
use crate::AppState;
use crate::graphql::context::Principal;

const WINDOW: Duration = Duration::from_secs(60);

pub fn request_meta(headers: &HeaderMap, peer: Option<SocketAddr>) -> RequestMeta {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    RequestMeta {
        request_id: text(REQUEST_ID_HEADER).unwrap_or_default(),
        ip: peer.map(|p| p.ip().to_string()),
        user_agent: text(header::USER_AGENT),
    }
}

/// The credential from `Authorization: Bearer …`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Turns the request's credential into a [`Principal`] and enforces the rate limits of the
/// credential (or the client address) and of the tenant's plan.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let meta = request_meta(request.headers(), peer);
    let principal = match bearer(request.headers()) {
        None => Principal::Anonymous(meta),
        Some(credential) => match auth::authenticate(&state.deps, credential, meta.clone()).await {
            Ok(ctx) => Principal::Authenticated(ctx),
            Err(Error::Unauthenticated { reason, message }) => Principal::Rejected {
                meta,
                reason,
                message,
            },
            Err(err) => {
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    crate::graphql::error::to_graphql(err),
                    &[],
                );
            }
        },
    };

    let mut limits = Vec::with_capacity(2);
    match &principal {
        Principal::Authenticated(ctx) => {
            tracing::Span::current().record("tenant_id", tracing::field::display(ctx.tenant_id));
            let credential = match &ctx.actor {
                Actor::User { session_id, .. } => format!("session:{session_id}"),
                Actor::ApiKey { key_id } => format!("key:{key_id}"),
                Actor::Workflow { .. } | Actor::System => "system".to_owned(),
            };
            limits.push((credential, state.settings.credential_per_minute));
            limits.push((
                format!("tenant:{}", ctx.tenant_id),
                ctx.plan.requests_per_minute(),
            ));
        }
        other => {
            let ip = other.meta().ip.clone().unwrap_or_default();
            limits.push((format!("ip:{ip}"), state.settings.anonymous_per_minute));
        }
    }
    for (key, limit) in limits {
        match state.rate_limiter.hit(&key, limit, WINDOW).await {
            Ok(RateDecision::Allowed { .. }) => {}
            Ok(RateDecision::Limited { retry_after }) => return rate_limited(retry_after),
            // Failing open: an unreachable limiter must not take the API down with it.
            Err(err) => tracing::warn!(error = %err, "rate limiter unavailable"),
        }
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

fn rate_limited(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs().max(1);
    let error = crate::graphql::error::to_graphql(Error::RateLimited {
        retry_after_secs: seconds,
    });
    error_response(
        StatusCode::TOO_MANY_REQUESTS,
        error,
        &[(header::RETRY_AFTER, seconds.to_string())],
    )
}

/// A GraphQL-shaped error body for failures before the schema runs.
fn error_response(
    status: StatusCode,
    error: async_graphql::Error,
    headers: &[(header::HeaderName, String)],
) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": error.message, "extensions": error.extensions }]
    });
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name.clone(), value);
        }
    }
    response
}
