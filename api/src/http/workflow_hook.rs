//! `POST /webhooks/workflows/{tenant}.{workflow}.{secret}`: starts a webhook-triggered
//! workflow with the JSON body as its event's data (`contactId` and `leadId` at its top
//! level name the records the run acts on).
//!
//! 202 `{"runId"}` when a run starts; 200 with the same run for an `Idempotency-Key`
//! already seen; 400 for a body that is not a JSON object; 404 for an unknown, disabled or
//! wrongly signed URL (the three are not told apart).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tianguis_domain::Error;
use tianguis_domain::automation::workflows::runs;

use crate::AppState;

pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value @ Value::Object(_)) => value,
            _ => {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the body is a JSON object",
                );
            }
        }
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    match runs::receive_webhook(&state.deps, &token, key, body).await {
        Ok((run_id, started)) => (
            if started {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            },
            axum::Json(json!({ "runId": run_id })),
        )
            .into_response(),
        Err(Error::NotFound(_)) => refused(StatusCode::NOT_FOUND, "NOT_FOUND", "no such workflow"),
        Err(err @ Error::Invalid { .. }) => {
            refused(StatusCode::BAD_REQUEST, "BAD_REQUEST", &err.to_string())
        }
        Err(err) => {
            tracing::error!(error = ?err, "starting a workflow from its webhook failed");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "try again later",
            )
        }
    }
}

fn refused(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "message": message })),
    )
        .into_response()
}
