//! `POST /webhooks/stripe`: Stripe's events, verified on the raw body and applied once.
//!
//! 200 when applied, replayed or not ours; 400 for a bad or stale signature or a body that
//! is not an event; 409 for an event that must wait for another (Stripe delivers it again
//! later); 500 otherwise, which Stripe also retries.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tianguis_domain::Error;
use tianguis_domain::billing::stripe::{self, Applied};

use crate::AppState;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match stripe::receive(&state.deps, &body, signature).await {
        Ok(applied) => axum::Json(json!({
            "received": true,
            "applied": applied == Applied::Applied,
        }))
        .into_response(),
        Err(Error::Unauthenticated { reason, message }) => {
            error(StatusCode::BAD_REQUEST, reason, &message)
        }
        Err(Error::Invalid { message, .. }) => {
            error(StatusCode::BAD_REQUEST, "BAD_EVENT", &message)
        }
        Err(Error::Conflict { message, .. }) => error(StatusCode::CONFLICT, "NOT_YET", &message),
        Err(err) => {
            tracing::error!(error = ?err, "applying a Stripe event failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the event could not be applied; deliver it again",
            )
        }
    }
}
