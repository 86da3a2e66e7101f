//! Local stand-ins for the messaging providers this service calls, speaking their
//! documented HTTP APIs: Meta's WhatsApp Cloud API (messages, message templates) and
//! Twilio's Messages resource. And the other direction: WhatsApp webhooks signed the way
//! Meta signs them (X-Hub-Signature-256, HMAC-SHA256 of the raw body with the app secret).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const ACCESS_TOKEN: &str = "EAAG-test-access-token";
pub const APP_SECRET: &str = "meta-app-secret-test";
pub const VERIFY_TOKEN: &str = "tianguis-verify-token";
pub const TWILIO_SID: &str = "AC00000000000000000000000000000001";
pub const TWILIO_TOKEN: &str = "twilio-auth-token-test";

/// A request the double received: which API, the path's id, and the body.
#[derive(Clone, Debug)]
pub struct Call {
    pub api: &'static str,
    pub id: String,
    pub body: Value,
    /// When it arrived.
    pub at: std::time::Instant,
}

#[derive(Clone, Default)]
struct Double {
    calls: Arc<Mutex<Vec<Call>>>,
    /// What GET /{template id} answers as the template's status.
    template_status: Arc<Mutex<String>>,
}

pub struct ProvidersDouble {
    pub url: String,
    state: Double,
}

impl ProvidersDouble {
    pub async fn start() -> Self {
        let state = Double::default();
        *state.template_status.lock().expect("lock") = "APPROVED".into();
        let app = axum::Router::new()
            .route(
                "/v21.0/{id}/messages",
                axum::routing::post(whatsapp_message),
            )
            .route(
                "/v21.0/{id}/message_templates",
                axum::routing::post(create_template),
            )
            .route("/v21.0/{id}", axum::routing::get(template_status))
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                axum::routing::post(twilio_message),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the providers double");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state }
    }

    pub fn calls(&self, api: &str) -> Vec<Call> {
        self.state
            .calls
            .lock()
            .expect("lock")
            .iter()
            .filter(|c| c.api == api)
            .cloned()
            .collect()
    }

    pub fn set_template_status(&self, status: &str) {
        *self.state.template_status.lock().expect("lock") = status.into();
    }
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf" } })),
    )
        .into_response()
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {ACCESS_TOKEN}"))
}

async fn whatsapp_message(
    State(state): State<Double>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !bearer_ok(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    if body["messaging_product"] != "whatsapp" {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter");
    }
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    state.calls.lock().expect("lock").push(Call {
        api: "whatsapp.messages",
        id: phone_number_id,
        body: body.clone(),
        at: std::time::Instant::now(),
    });
    // A number ending in 0000 is not on WhatsApp.
    if to.ends_with("0000") {
        return graph_error(StatusCode::BAD_REQUEST, 131026, "Message undeliverable");
    }
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": format!("wamid.{}", uuid::Uuid::new_v4().simple()) }],
    }))
    .into_response()
}

async fn create_template(
    State(state): State<Double>,
    Path(waba): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !bearer_ok(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    let id = format!("{}", 10_000_000 + state.calls.lock().expect("lock").len());
    let category = body["category"].clone();
    state.calls.lock().expect("lock").push(Call {
        api: "whatsapp.templates",
        id: waba,
        body,
        at: std::time::Instant::now(),
    });
    axum::Json(json!({ "id": id, "status": "PENDING", "category": category })).into_response()
}

async fn template_status(
    State(state): State<Double>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !bearer_ok(&headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    let status = state.template_status.lock().expect("lock").clone();
    axum::Json(json!({ "id": id, "status": status, "rejected_reason": "NONE" })).into_response()
}

async fn twilio_message(
    State(state): State<Double>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}"))
    );
    if sid != TWILIO_SID
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "code": 20003, "message": "Authenticate", "status": 401 })),
        )
            .into_response();
    }
    let form: HashMap<String, String> = body
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    state.calls.lock().expect("lock").push(Call {
        api: "twilio.messages",
        id: sid.clone(),
        body: json!(form),
        at: std::time::Instant::now(),
    });
    let message_sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "sid": message_sid, "account_sid": sid, "status": "queued",
            "to": form.get("To"), "from": form.get("From"), "body": form.get("Body"),
        })),
    )
        .into_response()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(n) = std::str::from_utf8(&bytes[i + 1..(i + 3).min(bytes.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(n);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `sha256=<hex>` of the body, as Meta signs webhooks.
pub fn signature(body: &str, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook payload of one `messages` change on the number.
pub fn messages_change(phone_number_id: &str, value: Value) -> String {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] =
        json!({ "display_phone_number": "5215550000000", "phone_number_id": phone_number_id });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "waba", "changes": [{ "field": "messages", "value": value }] }],
    })
    .to_string()
}

/// A contact's text message, as the webhook brings it.
pub fn inbound_text(phone_number_id: &str, from: &str, name: &str, id: &str, text: &str) -> String {
    messages_change(
        phone_number_id,
        json!({
            "contacts": [{ "profile": { "name": name }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": "1764670000", "type": "text", "text": { "body": text } }],
        }),
    )
}

/// A delivery status of a message the business sent.
pub fn status_update(phone_number_id: &str, message_id: &str, status: &str) -> String {
    messages_change(
        phone_number_id,
        json!({
            "statuses": [{ "id": message_id, "status": status, "timestamp": "1764670001", "recipient_id": "5215551234567" }],
        }),
    )
}

/// Meta's verdict on a template.
pub fn template_verdict(waba: &str, template_id: &str, event: &str) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": waba, "time": 1764670000, "changes": [{
            "field": "message_template_status_update",
            "value": { "event": event, "message_template_id": template_id.parse::<i64>().unwrap_or_default(),
                       "message_template_name": "promo", "message_template_language": "es_MX", "reason": "NONE" },
        }] }],
    })
    .to_string()
}

/// X-Twilio-Signature as Twilio computes it: HMAC-SHA1 of the URL and the sorted
/// parameters (name then value), base64.
pub fn twilio_signature(url: &str, params: &[(&str, &str)], token: &str) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(token.as_bytes()).expect("key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
