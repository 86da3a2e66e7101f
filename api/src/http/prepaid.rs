//! Prepaid charges by reader devices: `POST /api/v1/prepaid/charges` with the device's token
//! (as telemetry), or the MQTT topic `v1/devices/me/prepaid/charge`.
//!
//! The body is `{"cardUid", "amount", "transactionId"}` (the amount a decimal string or a
//! number). The answer is `{"approved": true, "balance", "currency", "transactionId"}`, or
//! `{"approved": false, "reason", "balance", …}` with a reason of UNKNOWN_CARD,
//! CARD_BLOCKED or INSUFFICIENT_BALANCE. A retry with the same transaction id is applied
//! once and gets the same answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use tianguis_domain::Error;
use tianguis_domain::commerce::prepaid::{self, Charged};
use tianguis_domain::iot::telemetry::{self, DeviceIdentity};
use tianguis_domain::rules::from_minor;

use crate::AppState;
use crate::intake::Refusal;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChargeRequest {
    card_uid: String,
    amount: AmountValue,
    transaction_id: String,
}

/// Readers send amounts as text or as JSON numbers; both are read exactly.
#[derive(Deserialize)]
#[serde(untagged)]
enum AmountValue {
    Text(String),
    Number(serde_json::Number),
}

impl AmountValue {
    fn decimal(&self) -> Option<Decimal> {
        match self {
            AmountValue::Text(text) => text.trim().parse().ok(),
            AmountValue::Number(number) => number.to_string().parse().ok(),
        }
    }
}

/// Charges a card for a device; the answer's JSON, or why the request was refused.
pub async fn charge(
    state: &AppState,
    device: DeviceIdentity,
    body: &[u8],
) -> Result<Value, Refusal> {
    let request: ChargeRequest = serde_json::from_slice(body).map_err(|e| Refusal::Invalid {
        code: "BAD_REQUEST",
        message: format!("expected {{\"cardUid\", \"amount\", \"transactionId\"}}: {e}"),
    })?;
    let amount = request.amount.decimal().ok_or_else(|| Refusal::Invalid {
        code: "BAD_REQUEST",
        message: "amount is a decimal number".into(),
    })?;
    let charged = prepaid::charge_by_device(
        &state.deps,
        device.tenant_id,
        device.device_id,
        &request.card_uid,
        amount,
        &request.transaction_id,
    )
    .await;
    match charged {
        Ok((Charged::Approved { entry, .. }, currency)) => Ok(json!({
            "approved": true,
            "balance": from_minor(entry.balance_after_minor, &currency),
            "currency": currency,
            "transactionId": entry.transaction_id,
        })),
        Ok((Charged::Declined { reason, balance }, currency)) => Ok(json!({
            "approved": false,
            "reason": reason.code(),
            "balance": from_minor(balance, &currency),
            "currency": currency,
            "transactionId": request.transaction_id,
        })),
        Err(Error::Invalid { message, .. } | Error::Conflict { message, .. }) => {
            Err(Refusal::Invalid {
                code: "BAD_REQUEST",
                message,
            })
        }
        Err(err) => {
            tracing::error!(error = ?err, "a prepaid charge failed");
            Err(Refusal::Unavailable)
        }
    }
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let error = |status: StatusCode, code: &str, message: &str| {
        (
            status,
            axum::Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    };
    let Some(token) = super::telemetry::device_token(&headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "MISSING_DEVICE_TOKEN",
            "send the device token as a bearer token",
        );
    };
    let device = match telemetry::authenticate(&state.deps, token).await {
        Ok(device) => device,
        Err(Error::Unauthenticated { reason, message }) => {
            return error(StatusCode::UNAUTHORIZED, reason, &message);
        }
        Err(err) => {
            tracing::error!(error = ?err, "device authentication failed");
            return error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again");
        }
    };
    match charge(&state, device, &body).await {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(Refusal::Unavailable) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the charge could not be recorded; send it again with the same transactionId",
        ),
        Err(refusal) => error(StatusCode::BAD_REQUEST, refusal.code(), &refusal.message()),
    }
}
