//! Telemetry over HTTP: `POST /api/v1/telemetry` with the device's token.
//!
//! The token goes in `Authorization: Bearer dev_…` (or `X-Device-Token`); the body is the
//! payload described in `tianguis_domain::iot::payload`. Answers, once the points are
//! committed: 200 `{"accepted": n}`; 400, 401, 429 or 503 with
//! `{"error": {"code", "message"}}` (and `Retry-After` for 429).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tianguis_domain::Error;
use tianguis_domain::iot::telemetry;

use crate::AppState;
use crate::intake::{self, Refusal};

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn refused(refusal: &Refusal) -> Response {
    let status = match refusal {
        Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Invalid { .. } => StatusCode::BAD_REQUEST,
        Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut response = error(status, refusal.code(), &refusal.message());
    if let Refusal::RateLimited { retry_after } = refusal
        && let Ok(value) = retry_after.as_secs().max(1).to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(crate) fn device_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| headers.get("x-device-token").and_then(|v| v.to_str().ok()))
        .map(str::trim)
}

pub async fn ingest(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(token) = device_token(&headers) else {
        state
            .metrics
            .record_telemetry_rejected("MISSING_DEVICE_TOKEN");
        return error(
            StatusCode::UNAUTHORIZED,
            "MISSING_DEVICE_TOKEN",
            "send the device token as a bearer token",
        );
    };
    let device = match telemetry::authenticate(&state.deps, token).await {
        Ok(device) => device,
        Err(Error::Unauthenticated { reason, message }) => {
            state.metrics.record_telemetry_rejected(reason);
            return error(StatusCode::UNAUTHORIZED, reason, &message);
        }
        Err(err) => {
            tracing::error!(error = ?err, "device authentication failed");
            return refused(&Refusal::Unavailable);
        }
    };
    let stored = match intake::accept(&state, device, &body).await {
        Ok(stored) => stored,
        Err(refusal) => return refused(&refusal),
    };
    match intake::stored(&state, stored).await {
        Ok(count) => (StatusCode::OK, axum::Json(json!({ "accepted": count }))).into_response(),
        Err(refusal) => refused(&refusal),
    }
}
