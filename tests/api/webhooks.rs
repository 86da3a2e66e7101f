//! Outgoing webhooks: endpoints, signed deliveries, retries, disabling, isolation.

use crate::fixtures::automation::*;
use crate::helpers::*;
use crate::webhook_receiver::Receiver;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Checks a `Tianguis-Signature` header as a receiver would.
fn signature_valid(secret: &str, header: &str, body: &str) -> bool {
    let Some((t, v1)) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

#[tokio::test]
async fn matching_events_arrive_signed_once_each_and_are_logged() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    let (endpoint_id, secret) =
        webhook_endpoint(&app, &owner, &receiver.url, json!(["tenancy.role.*"])).await;
    // Not matching: settings changes.
    app.ok(
        Some(&owner.access_token),
        "mutation { updateTenantSettings(input: { locale: \"en-US\" }) { id } }",
        json!({}),
    )
    .await;
    let mut roles = Vec::new();
    for _ in 0..3 {
        roles.push(create_role(&app, &owner).await);
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let got = receiver.next().await;
        assert!(
            signature_valid(&secret, &got.signature, &got.body),
            "{got:?}"
        );
        assert!(
            !signature_valid("whsec_wrong", &got.signature, &got.body),
            "a wrong secret must not verify"
        );
        assert!(
            !signature_valid(&secret, &got.signature, &got.body.replace("role", "rol")),
            "a changed body must not verify"
        );
        let event: Value = serde_json::from_str(&got.body).expect("JSON body");
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["type"], "tenancy.role.created");
        assert_eq!(event["id"], got.event_id);
        assert_eq!(event["tenantid"], owner.tenant_id);
        seen.push(
            event["subject"]
                .as_str()
                .expect("subject")
                .trim_start_matches("role/")
                .to_owned(),
        );
        assert!(
            !seen[..seen.len() - 1].contains(seen.last().expect("one")),
            "delivered twice"
        );
    }
    seen.sort();
    roles.sort();
    assert_eq!(seen, roles);
    receiver.assert_quiet(Duration::from_millis(500)).await;

    let log = app
        .ok(
            Some(&owner.access_token),
            "query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount edges { node { status attempts lastStatusCode lastLatencyMs deliveredAt } } } }",
            json!({ "e": endpoint_id }),
        )
        .await;
    assert_eq!(log["webhookDeliveries"]["totalCount"], 3);
    for edge in log["webhookDeliveries"]["edges"].as_array().expect("edges") {
        let node = &edge["node"];
        assert_eq!(node["status"], "SUCCEEDED", "{node}");
        assert_eq!(node["attempts"], 1);
        assert_eq!(node["lastStatusCode"], 200);
        assert!(node["deliveredAt"].is_string());
    }
}

#[tokio::test]
async fn each_event_is_delivered_once_across_a_dispatcher_restart() {
    let mut first = TestApp::spawn().await;
    let owner = first.sign_up().await;
    let mut receiver = Receiver::start().await;
    webhook_endpoint(
        &first,
        &owner,
        &receiver.url,
        json!(["tenancy.role.created"]),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        create_role(&first, &owner).await;
    }
    ids.push(receiver.next().await.event_id);
    // Stopped with deliveries possibly still under way; they finish or wait in the store.
    first.stop().await;
    let second = first.another_instance(|_| {}).await;
    for _ in 0..2 {
        create_role(&second, &owner).await;
    }
    // On PostgreSQL a second replica races the first for the same events.
    let _third = if second.is_postgres() {
        let third = second.another_instance(|_| {}).await;
        for _ in 0..2 {
            create_role(&third, &owner).await;
        }
        Some(third)
    } else {
        None
    };
    let expected = if second.is_postgres() { 7 } else { 5 };
    while ids.len() < expected {
        ids.push(receiver.next().await.event_id);
    }
    receiver.assert_quiet(Duration::from_millis(800)).await;
    let mut unique_ids = ids.clone();
    unique_ids.sort();
    unique_ids.dedup();
    assert_eq!(unique_ids.len(), expected, "every event once: {ids:?}");
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_then_disabled_after_a_day() {
    let mut mail = crate::mail_sink::SmtpSink::start();
    let smtp = mail.url.clone();
    let app =
        TestApp::spawn_with(move |c| c.smtp_url = Some(tianguis::config::Secret::new(smtp))).await;
    let owner = app.sign_up().await;
    mail.next_to(&owner.email).await; // the address confirmation
    let mut receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    let (endpoint_id, _) =
        webhook_endpoint(&app, &owner, &receiver.url, json!(["tenancy.*"])).await;
    create_role(&app, &owner).await;
    let first = receiver.next().await;
    let retry = receiver.next().await;
    assert_eq!(first.event_id, retry.event_id, "the same event is retried");

    // A day of failures later, the endpoint is disabled and the delivery stops.
    app.clock.advance(TimeDelta::hours(25));
    let session = app.refreshed(&owner).await;
    let query = "query { webhookEndpoints { edges { node { id enabled disabledReason failingSince } } }
                         webhookDeliveries { edges { node { status attempts lastStatusCode } } }
                         auditLogs(filter: { action: \"automation.webhook_endpoint.disabled\" }) { totalCount } }";
    let state = eventually(&app, &session, query, |s| {
        s["webhookDeliveries"]["edges"][0]["node"]["status"] != "PENDING"
            && s["webhookEndpoints"]["edges"][0]["node"]["enabled"] == false
    })
    .await;
    let endpoint = &state["webhookEndpoints"]["edges"][0]["node"];
    assert_eq!(endpoint["id"], endpoint_id);
    assert!(
        endpoint["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("failed")),
        "{endpoint}"
    );
    let delivery = &state["webhookDeliveries"]["edges"][0]["node"];
    // Given up, or cancelled because its endpoint was disabled meanwhile: either way, over.
    assert!(
        ["FAILED", "CANCELLED"].contains(&delivery["status"].as_str().expect("status")),
        "{delivery}"
    );
    assert!(
        delivery["attempts"].as_i64().expect("attempts") >= 2,
        "{delivery}"
    );
    assert_eq!(delivery["lastStatusCode"], 500);
    assert_eq!(state["auditLogs"]["totalCount"], 1);
    // The owner is told.
    let notice = mail.next_to(&owner.email).await;
    assert!(
        notice.data.replace("=\r\n", "").contains(&receiver.url),
        "the email names the endpoint"
    );

    // Disabled: nothing more is sent to it, old or new.
    while let Ok(Some(_)) =
        tokio::time::timeout(Duration::from_millis(100), receiver.requests.recv()).await
    {}
    create_role(&app, &session).await;
    receiver.assert_quiet(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_delivery_can_be_sent_again() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    webhook_endpoint(&app, &owner, &receiver.url, json!(["*"])).await;
    create_role(&app, &owner).await;
    let original = receiver.next().await;
    let query = "{ webhookDeliveries(status: SUCCEEDED) { edges { node { id eventId } } } }";
    let of_original = |s: &Value| {
        s["webhookDeliveries"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["eventId"] == json!(original.event_id))
            .map(|e| e["node"]["id"].clone())
    };
    let log = eventually(&app, &owner, query, |s| of_original(s).is_some()).await;
    let id = of_original(&log).expect("delivery of the original event");
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { redeliverWebhook(input: { id: $id }) { status } }",
        json!({ "id": id }),
    )
    .await;
    // The redelivery itself is audited, so it is an event too; find the resent one.
    let mut resent = receiver.next().await;
    while resent.event_id != original.event_id {
        resent = receiver.next().await;
    }
    assert_eq!(resent.body, original.body, "the same bytes are sent again");
}

#[tokio::test]
async fn private_or_malformed_urls_are_refused() {
    let app = TestApp::spawn_with(|c| c.webhooks.allow_private_targets = false).await;
    let owner = app.sign_up().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "ftp://example.com/x",
        "http://user:pw@localhost/",
    ] {
        let body = app
            .gql(
                Some(&owner.access_token),
                CREATE_ENDPOINT,
                json!({ "input": { "url": url, "eventTypes": ["*"] } }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
        assert_eq!(error_ext(&body, "field"), "url");
    }
    let bad_pattern = app
        .gql(
            Some(&owner.access_token),
            CREATE_ENDPOINT,
            json!({ "input": { "url": "http://127.0.0.1:9/", "eventTypes": ["Not A Type"] } }),
        )
        .await;
    assert_eq!(error_code(&bad_pattern), "BAD_USER_INPUT");
}
