//! `POST /webhooks/twilio`: messages to an SMS channel's number and delivery statuses of
//! ours, verified against X-Twilio-Signature.
//!
//! 200 with an empty TwiML answer once applied (a redelivery applies nothing); 403 for a
//! bad signature or a number no business has; 500 otherwise, which Twilio retries.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tianguis_domain::Error;
use tianguis_domain::messaging::twilio;

use crate::AppState;

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    match twilio::receive(&state.deps, params, signature).await {
        Ok(_) => (
            [(header::CONTENT_TYPE, "text/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
        )
            .into_response(),
        Err(Error::Unauthenticated { .. }) => {
            (StatusCode::FORBIDDEN, "signature refused").into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, "applying a Twilio webhook failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "deliver it again").into_response()
        }
    }
}
