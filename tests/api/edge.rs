//! The edge: limits, rate limits, persisted queries, the checked-in SDL, health, metrics
//! and GraphQL over WebSocket.

use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[test]
fn the_checked_in_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == tianguis_api::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn too_deep_or_too_complex_queries_are_refused_before_running() {
    let app = TestApp::spawn_with(|c| {
        c.edge.max_depth = 4;
        c.edge.max_complexity = 200;
    })
    .await;
    let owner = app.sign_up().await;
    let deep = app
        .gql(
            Some(&owner.access_token),
            "{ members { edges { node { user { email } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&deep), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("deep"),
        "{deep}"
    );

    let complex = app
        .gql(
            Some(&owner.access_token),
            "{ roles(first: 100) { edges { node { id key name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&complex), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        complex["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("complex"),
        "{complex}"
    );
    let fine = app
        .gql(
            Some(&owner.access_token),
            "{ roles(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(fine.get("errors").is_none(), "{fine}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::spawn_with(|c| c.edge.max_body_bytes = 4096).await;
    let padding = "x".repeat(8192);
    let response = app
        .post_raw(
            None,
            json!({ "query": "{ permissionCatalogue { key } }", "variables": { "pad": padding } }),
        )
        .await;
    assert_eq!(response.status(), 413);
    let small = app
        .post_raw(None, json!({ "query": "{ permissionCatalogue { key } }" }))
        .await;
    assert_eq!(small.status(), 200);
}

#[tokio::test]
async fn a_credential_over_its_rate_limit_gets_429_with_retry_after() {
    const LIMIT: usize = 5;
    let app = TestApp::spawn_with(|c| c.edge.credential_per_minute = LIMIT as u32).await;
    let owner = app.sign_up().await;
    let mut allowed = 0;
    let mut limited = None;
    // A minute boundary may reset the window once, so allow for up to two windows' worth.
    for _ in 0..(2 * LIMIT + 2) {
        let response = app
            .post_raw(
                Some(&owner.access_token),
                json!({ "query": "{ tenant { id } }" }),
            )
            .await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        allowed += 1;
    }
    let response = limited.expect("the limit was never hit");
    assert!(
        (LIMIT..=2 * LIMIT).contains(&allowed),
        "{allowed} requests passed"
    );
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "RATE_LIMITED");
}

#[tokio::test]
async fn persisted_query_hashes_are_accepted_and_batches_refused() {
    let app = TestApp::spawn().await;
    let query = "{ permissionCatalogue { key } }";
    let hash = hex_sha256(query);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let unknown: Value = app
        .post_raw(None, json!({ "extensions": persisted }))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    let registered: Value = app
        .post_raw(None, json!({ "query": query, "extensions": persisted }))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        registered["data"]["permissionCatalogue"].is_array(),
        "{registered}"
    );
    let by_hash: Value = app
        .post_raw(None, json!({ "extensions": persisted }))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_hash["data"], registered["data"]);

    let batch = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!([{ "query": query }, { "query": query }]))
        .send()
        .await
        .expect("sent");
    assert_eq!(batch.status(), 400);
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = TestApp::spawn_with(|c| c.edge.introspection = false).await;
    let body = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        body.get("errors").is_some() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    let on = TestApp::spawn().await;
    let body = on
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    assert_eq!(get("/healthz").await.expect("sent").status(), 200);
    assert_eq!(get("/readyz").await.expect("sent").status(), 200);
    app.gql(
        None,
        "query Catalogue { permissionCatalogue { key } }",
        json!({}),
    )
    .await;
    app.sign_up().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .expect("sent");
    assert!(response.text().await.expect("html").contains("graphiql"));
    let response = get("/metrics").await.expect("sent");
    assert!(
        response.headers()["x-request-id"]
            .to_str()
            .is_ok_and(|id| !id.is_empty())
    );
    let metrics = response.text().await.expect("text");
    assert!(
        metrics.contains(
            "tianguis_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("tianguis_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "tianguis_graphql_operations_total{operation=\"Catalogue\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );
    let statements: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tianguis_sql_statements_total "))
        .expect("statement counter")
        .parse()
        .expect("number");
    assert!(statements > 0, "signing up ran SQL");
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn ws_connect(app: &TestApp, payload: Value) -> Ws {
    ws_connect_with(app, "graphql-transport-ws", payload).await
}

async fn ws_connect_with(app: &TestApp, protocol: &str, payload: Value) -> Ws {
    let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connected");
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    ws
}

pub async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("sent");
}

/// The next protocol message, or None when the socket closes or nothing comes in time.
pub async fn next_message(ws: &mut Ws, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(&text).expect("json");
                if value["type"] == "ping" {
                    send(ws, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(value);
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// A WebSocket signed in as `session`, acknowledged, with `query` subscribed as id "1" and
/// listening: the server reads a `subscribe` message in its own time, and an event published
/// before it listens is not the subscription's.
pub async fn subscribe(app: &TestApp, session: &Session, query: &str, variables: Value) -> Ws {
    let listening = app.state.deps.pubsub.listeners();
    let ws = send_subscription(app, session, query, variables).await;
    for _ in 0..800 {
        if app.state.deps.pubsub.listeners() > listening {
            return ws;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the subscription never started listening");
}

/// A WebSocket signed in as `session`, acknowledged, with `query` sent as subscription "1":
/// for subscriptions the server is expected to refuse.
pub async fn send_subscription(
    app: &TestApp,
    session: &Session,
    query: &str,
    variables: Value,
) -> Ws {
    let mut ws = ws_connect(
        app,
        json!({ "authorization": format!("Bearer {}", session.access_token) }),
    )
    .await;
    let ack = next_message(&mut ws, Duration::from_secs(10))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    ws
}

async fn subscribe_to_audit(app: &TestApp, session: &Session) -> Ws {
    subscribe(
        app,
        session,
        "subscription { auditLogAdded { action subjectId } }",
        json!({}),
    )
    .await
}

/// Makes `session` change something until its own subscriber sees the entry: the
/// subscription's registration is not acknowledged by the protocol, so the first change
/// may precede it. Returns the entry seen.
async fn change_until_seen(app: &TestApp, session: &Session, ws: &mut Ws) -> Value {
    for _ in 0..50 {
        let role = app
            .ok(
                Some(&session.access_token),
                "mutation($n: String!) { createRole(input: { name: $n, permissions: [] }) { id } }",
                json!({ "n": unique("r") }),
            )
            .await;
        let role_id = role["createRole"]["id"].clone();
        if let Some(message) = next_message(ws, Duration::from_millis(200)).await {
            assert_eq!(message["type"], "next", "{message}");
            let entry = message["payload"]["data"]["auditLogAdded"].clone();
            assert_eq!(entry["action"], "tenancy.role.created");
            assert_eq!(
                entry["subjectId"], role_id,
                "the entry is the change just made"
            );
            return entry;
        }
    }
    panic!("the subscriber never received an entry");
}

#[tokio::test]
async fn subscriptions_carry_only_the_subscribers_tenant() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let mut a_ws = subscribe_to_audit(&app, &a).await;
    let mut b_ws = subscribe_to_audit(&app, &b).await;
    change_until_seen(&app, &b, &mut b_ws).await;
    change_until_seen(&app, &a, &mut a_ws).await;
    // B's subscription is live and A has just changed things: B's next entry is B's own.
    let own = change_until_seen(&app, &b, &mut b_ws).await;
    assert_eq!(own["action"], "tenancy.role.created");
}

#[tokio::test]
async fn a_websocket_without_a_valid_token_is_refused() {
    let app = TestApp::spawn().await;
    for payload in [json!({}), json!({ "authorization": "Bearer not-a-token" })] {
        let mut ws = ws_connect(&app, payload).await;
        let reply = next_message(&mut ws, Duration::from_secs(10)).await;
        assert!(
            reply.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn legacy_graphql_ws_clients_are_served_too() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let mut ws = ws_connect_with(
        &app,
        "graphql-ws",
        json!({ "authorization": owner.access_token }),
    )
    .await;
    let ack = next_message(&mut ws, Duration::from_secs(10))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        &mut ws,
        json!({ "id": "1", "type": "start", "payload": { "query": "subscription { auditLogAdded { action } }" } }),
    )
    .await;
    for _ in 0..50 {
        app.ok(
            Some(&owner.access_token),
            "mutation { updateTenantSettings(input: { locale: \"es-MX\" }) { id } }",
            json!({}),
        )
        .await;
        if let Some(message) = next_message(&mut ws, Duration::from_millis(200)).await {
            assert_eq!(message["type"], "data", "{message}");
            assert_eq!(
                message["payload"]["data"]["auditLogAdded"]["action"],
                "tenancy.tenant.settings_updated"
            );
            return;
        }
    }
    panic!("the legacy subscriber never received an entry");
}
