//! Telemetry over HTTP: `POST /api/v1/telemetry` with the device's token.
//!
//! The token goes in `Authorization: Bearer dev_…` (or `X-Device-Token`); the body is the
//! payload described in `tianguis_domain::iot::payload`. Answers: 200 `{"accepted": n}`;
//! 400, 401 or 429 with `{"error": {"code", "message"}}` (and `Retry-After` for 429).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tianguis_domain::Error;
use tianguis_domain::iot::{payload, telemetry};
use tianguis_domain::ports::RateDecision;

use crate::AppState;

const WINDOW: Duration = Duration::from_secs(60);

fn refused(state: &AppState, status: StatusCode, code: &str, message: &str) -> Response {
    state.metrics.record_telemetry_rejected(code);
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn device_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| headers.get("x-device-token").and_then(|v| v.to_str().ok()))
        .map(str::trim)
}

pub async fn ingest(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let deps = &state.deps;
    let Some(token) = device_token(&headers) else {
        return refused(
            &state,
            StatusCode::UNAUTHORIZED,
            "MISSING_DEVICE_TOKEN",
            "send the device token as a bearer token",
        );
    };
    let device = match telemetry::authenticate(deps, token).await {
        Ok(device) => device,
        Err(Error::Unauthenticated { reason, message }) => {
            return refused(&state, StatusCode::UNAUTHORIZED, reason, &message);
        }
        Err(err) => {
            tracing::error!(error = ?err, "device authentication failed");
            return refused(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "try again",
            );
        }
    };
    // A flooding device is slowed down on its own; the others are not affected.
    let key = format!("device:{}", device.device_id);
    match state
        .rate_limiter
        .hit(&key, state.settings.credential_per_minute, WINDOW)
        .await
    {
        Ok(RateDecision::Limited { retry_after }) => {
            let mut response = refused(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "this device sends too often",
            );
            if let Ok(value) = retry_after.as_secs().max(1).to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Ok(RateDecision::Allowed { .. }) => {}
        Err(err) => tracing::warn!(error = %err, "rate limiter unavailable"),
    }
    let points = match payload::parse(&body, deps.clock.now()) {
        Ok(points) => points,
        Err(err) => return refused(&state, StatusCode::BAD_REQUEST, err.reason, &err.message),
    };
    match telemetry::ingest(deps, device, points).await {
        Ok(stored) => {
            state.metrics.record_telemetry(stored);
            (StatusCode::OK, axum::Json(json!({ "accepted": stored }))).into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, "storing telemetry failed");
            refused(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "try again",
            )
        }
    }
}
