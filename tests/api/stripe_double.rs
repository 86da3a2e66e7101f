//! A local stand-in for Stripe's API (what this service calls of it): `POST
//! /v1/checkout/sessions`, form-encoded as Stripe takes it, answered with a Checkout Session
//! object as Stripe documents it. Like Stripe, a repeated idempotency key gets the first
//! answer again. And the other direction: events signed the way Stripe signs them.

use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_tianguis";
pub const WEBHOOK_SECRET: &str = "whsec_tianguis_test";

/// A Checkout Session creation the double received: its form fields.
pub type Created = HashMap<String, String>;

#[derive(Clone, Default)]
struct Double {
    created: Arc<Mutex<Vec<Created>>>,
    by_key: Arc<Mutex<HashMap<String, Value>>>,
}

pub struct StripeDouble {
    pub url: String,
    created: Arc<Mutex<Vec<Created>>>,
}

impl StripeDouble {
    pub async fn start() -> Self {
        let state = Double::default();
        let created = state.created.clone();
        let app = axum::Router::new()
            .route("/v1/checkout/sessions", axum::routing::post(create_session))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Stripe double");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, created }
    }

    /// The Checkout Sessions created so far (not the repeated ones).
    pub fn created(&self) -> Vec<Created> {
        self.created.lock().expect("lock").clone()
    }
}

async fn create_session(
    State(state): State<Double>,
    headers: HeaderMap,
    body: String,
) -> axum::Json<Value> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(earlier) = state.by_key.lock().expect("lock").get(&key) {
        return axum::Json(earlier.clone());
    }
    let form: Created = serde_urlencoded_pairs(&body);
    let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    let amount: i64 = form
        .get("line_items[0][price_data][unit_amount]")
        .and_then(|a| a.parse().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), json!(v)))
        })
        .collect();
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "after_expiration": null,
        "allow_promotion_codes": null,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": null,
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": now,
        "currency": form.get("line_items[0][price_data][currency]"),
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": null,
        "customer_creation": "if_required",
        "customer_details": null,
        "customer_email": form.get("customer_email"),
        "discounts": [],
        "expires_at": now + 86_400,
        "invoice": null,
        "invoice_creation": null,
        "livemode": false,
        "locale": null,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": null,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": null,
        "subscription": null,
        "success_url": form.get("success_url"),
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
    });
    state.created.lock().expect("lock").push(form);
    state
        .by_key
        .lock()
        .expect("lock")
        .insert(key, session.clone());
    axum::Json(session)
}

fn serde_urlencoded_pairs(body: &str) -> Created {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// An event as Stripe sends it, with `object` as its data.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    event_at(id, kind, object, chrono::Utc::now().timestamp())
}

/// An event that happened at `created` (Unix seconds).
pub fn event_at(id: &str, kind: &str, object: Value, created: i64) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}

/// A `Stripe-Signature` header for `body`, signed at `timestamp` with `secret`.
pub fn signature(body: &str, secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}
