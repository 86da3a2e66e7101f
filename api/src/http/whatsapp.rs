//! `/webhooks/whatsapp`: Meta's verification handshake (GET) and its events (POST),
//! verified against X-Hub-Signature-256 on the raw body.
//!
//! 200 once applied (a redelivery applies nothing); 403 for a bad verify token or
//! signature; 400 for a body that is not JSON; 500 otherwise, which Meta retries.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tianguis_domain::Error;
use tianguis_domain::messaging::inbound;

use crate::AppState;

pub async fn verify(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| query.get(k).map(String::as_str);
    match inbound::verify_subscription(
        &state.deps,
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
    ) {
        Ok(challenge) => challenge.into_response(),
        Err(_) => (StatusCode::FORBIDDEN, "verification failed").into_response(),
    }
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    match inbound::receive_whatsapp(&state.deps, &body, signature).await {
        Ok(applied) => axum::Json(json!({ "received": true, "applied": applied })).into_response(),
        Err(Error::Unauthenticated { reason, message }) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "error": { "code": reason, "message": message } })),
        )
            .into_response(),
        Err(Error::Invalid { message, .. }) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": { "code": "BAD_EVENT", "message": message } })),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "applying a WhatsApp webhook failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(
                    json!({ "error": { "code": "INTERNAL", "message": "deliver it again" } }),
                ),
            )
                .into_response()
        }
    }
}
