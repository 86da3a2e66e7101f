//! Alert rules and alerts: raised by telemetry or by silence, repeated, acknowledged and
//! cleared, with email, webhook events and live subscribers; and kept to their business.

use crate::edge::subscribe;
use crate::fixtures::iot::*;
use crate::fixtures::iot::{new_device, post_telemetry};
use crate::helpers::app_with_smtp;
use crate::helpers::eventually;
use crate::helpers::{TestApp, text, unique};
use crate::webhook_receiver::Receiver;
use chrono::TimeDelta;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_threshold_held_long_enough_raises_one_alert_that_repeats_and_clears_itself() {
    let (app, mut mail) = app_with_smtp().await;
    let owner = app.sign_up().await;
    mail.next_to(&owner.email).await; // the owner's address confirmation
    let mut hooks = Receiver::start().await;
    crate::fixtures::automation::webhook_endpoint(&app, &owner, &hooks.url, json!(["iot.alert.*"]))
        .await;
    let profile = app
        .ok(
            Some(&owner.access_token),
            "mutation { createDeviceProfile(input: { name: \"Cámara fría\" }) { id } }",
            json!({}),
        )
        .await;
    let profile = text(&profile["createDeviceProfile"]["id"]);
    let (device, token) = new_device(
        &app,
        &owner,
        json!({ "name": "Cámara 1", "profileId": profile }),
    )
    .await;
    let manager = format!("{}@carniceria.mx", unique("gerente"));
    let rule = app
        .ok(
            Some(&owner.access_token),
            CREATE_RULE,
            json!({ "input": {
                "name": "Cámara caliente", "profileId": profile, "severity": "CRITICAL",
                "notifyEmails": [manager.to_uppercase()],
                "condition": { "threshold": { "key": "temperature", "op": "GT", "value": 5, "forSeconds": 60 } },
            } }),
        )
        .await;
    assert_eq!(
        rule["createAlertRule"]["condition"],
        json!({ "threshold": { "key": "temperature", "op": "GT", "value": 5.0, "forSeconds": 60 } })
    );
    assert_eq!(rule["createAlertRule"]["notifyEmails"], json!([manager]));
    let rule = text(&rule["createAlertRule"]["id"]);
    // An INFO rule on the same device, below what the subscriber asks for.
    create_rule(
        &app,
        &owner,
        json!({ "name": "Puerta abierta", "deviceId": device, "severity": "INFO",
                "condition": { "threshold": { "key": "door", "op": "EQ", "value": 1 } } }),
    )
    .await;
    let mut ws = subscribe(&app, &owner, ALERT_EVENTS, json!({ "min": "WARNING" })).await;

    assert_eq!(
        post_telemetry(&app, &token, r#"{"temperature": 8, "door": 1}"#)
            .await
            .0,
        200
    );
    eventually(
        &app,
        &owner,
        "{ alerts(filter: { minSeverity: INFO }) { totalCount } }",
        |b| b["alerts"]["totalCount"] == 1,
    )
    .await;
    // Warm for a minute, as the sweep finds: now it is an alert.
    app.clock.advance(TimeDelta::seconds(61));
    let raised = next_event(&mut ws).await;
    assert_eq!(
        raised["change"], "RAISED",
        "the INFO alert never reached this subscriber"
    );
    let alert = text(&raised["alert"]["id"]);
    assert_eq!(
        raised["alert"],
        json!({ "id": alert, "status": "ACTIVE", "severity": "CRITICAL", "triggerCount": 1,
                "details": { "temperature": 8.0 }, "device": { "name": "Cámara 1" },
                "rule": { "name": "Cámara caliente" }, "clearedBy": null })
    );

    // Still warm: the same alert, updated.
    post_telemetry(&app, &token, r#"{"temperature": 9}"#).await;
    let repeated = next_event(&mut ws).await;
    assert_eq!(
        (
            repeated["change"].clone(),
            repeated["alert"]["id"].clone(),
            repeated["alert"]["triggerCount"].clone(),
            repeated["alert"]["details"].clone()
        ),
        (
            json!("UPDATED"),
            json!(alert),
            json!(2),
            json!({ "temperature": 9.0 })
        )
    );

    let acknowledged = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { acknowledgeAlert(input: { id: $id }) { status acknowledgedAt acknowledgedBy { email } } }",
            json!({ "id": alert }),
        )
        .await;
    assert_eq!(acknowledged["acknowledgeAlert"]["status"], "ACKNOWLEDGED");
    assert_eq!(
        acknowledged["acknowledgeAlert"]["acknowledgedBy"]["email"],
        json!(owner.email)
    );
    assert_eq!(next_event(&mut ws).await["change"], "ACKNOWLEDGED");

    // Back in range: cleared by itself, by no one.
    post_telemetry(&app, &token, r#"{"temperature": 3}"#).await;
    let cleared = next_event(&mut ws).await;
    assert_eq!(
        (
            cleared["change"].clone(),
            cleared["alert"]["status"].clone(),
            cleared["alert"]["clearedBy"].clone()
        ),
        (json!("CLEARED"), json!("CLEARED"), Value::Null)
    );
    let listed = app
        .ok(
            Some(&owner.access_token),
            "query($rule: ID!) { alerts(filter: { ruleId: $rule }) { totalCount edges { node { status clearedAt triggerCount } } }
               open: alerts(filter: { statuses: [ACTIVE, ACKNOWLEDGED], minSeverity: WARNING }) { totalCount } }",
            json!({ "rule": rule }),
        )
        .await;
    assert_eq!(
        listed["alerts"]["totalCount"], 1,
        "one alert for the whole episode"
    );
    assert!(listed["alerts"]["edges"][0]["node"]["clearedAt"].is_string());
    assert_eq!(listed["open"]["totalCount"], 0);

    // The rule's recipient was emailed once, and the webhook heard of it.
    let email = mail.next_to(&manager).await;
    let linked = email.segment_after("iot/alerts");
    assert!(
        !linked.is_empty() && alert.starts_with(&linked),
        "the email links to the alert: {}",
        email.data
    );
    mail.assert_quiet(Duration::from_millis(300)).await;
    let mut heard = Vec::new();
    while heard.len() < 3 {
        let delivery: Value = serde_json::from_str(&hooks.next().await.body).expect("json");
        if delivery["data"]["ruleId"] == json!(rule) || delivery["data"]["id"] == json!(alert) {
            heard.push(delivery["type"].clone());
        }
    }
    // Webhook deliveries promise each event once, not their order.
    heard.sort_by_key(Value::to_string);
    assert_eq!(
        heard,
        vec![
            json!("iot.alert.acknowledged"),
            json!("iot.alert.cleared"),
            json!("iot.alert.raised")
        ]
    );
}

#[tokio::test]
async fn a_silent_device_raises_a_no_data_alert_cleared_by_hand_or_by_reporting() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Riego norte" })).await;
    create_rule(
        &app,
        &owner,
        json!({ "name": "Sin datos", "deviceId": device, "severity": "WARNING",
                "condition": { "noData": { "minutes": 5 } } }),
    )
    .await;
    let mut ws = subscribe(&app, &owner, ALERT_EVENTS, json!({ "min": "WARNING" })).await;
    post_telemetry(&app, &token, r#"{"moisture": 31}"#).await;

    app.clock.advance(TimeDelta::minutes(6));
    let raised = next_event(&mut ws).await;
    assert_eq!(
        (
            raised["change"].clone(),
            raised["alert"]["severity"].clone()
        ),
        (json!("RAISED"), json!("WARNING"))
    );
    let first = text(&raised["alert"]["id"]);
    let cleared = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { clearAlert(input: { id: $id }) { status clearedBy { email } } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(
        cleared["clearAlert"],
        json!({ "status": "CLEARED", "clearedBy": { "email": owner.email } })
    );
    assert_eq!(next_event(&mut ws).await["change"], "CLEARED");
    let twice = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { clearAlert(input: { id: $id }) { status } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(
        twice["errors"][0]["extensions"]["code"], "CONFLICT",
        "{twice}"
    );

    // Still silent at the next sweep: a new alert.
    app.clock.advance(TimeDelta::minutes(1));
    let again = next_event(&mut ws).await;
    assert_eq!(again["change"], "RAISED");
    assert_ne!(again["alert"]["id"], json!(first));

    // Reporting clears it.
    post_telemetry(&app, &token, r#"{"moisture": 30}"#).await;
    let cleared = next_event(&mut ws).await;
    assert_eq!(
        (cleared["change"].clone(), cleared["alert"]["id"].clone()),
        (json!("CLEARED"), again["alert"]["id"].clone())
    );
    let open = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { device(id: $id) { openAlerts { id } } }",
            json!({ "id": device }),
        )
        .await;
    assert_eq!(open["device"]["openAlerts"], json!([]));
}

#[tokio::test]
async fn rules_are_checked_and_combinations_need_every_part() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Bar" })).await;
    for (input, field) in [
        (
            json!({ "name": "x", "deviceId": device, "severity": "INFO", "condition": { "all": [] } }),
            "condition",
        ),
        (
            json!({ "name": "x", "severity": "INFO", "condition": { "noData": { "minutes": 5 } } }),
            "deviceId",
        ),
        (
            json!({ "name": "x", "deviceId": device, "severity": "INFO", "notifyEmails": ["no-es-correo"],
                    "condition": { "noData": { "minutes": 5 } } }),
            "notifyEmails",
        ),
    ] {
        let refused = app
            .gql(
                Some(&owner.access_token),
                CREATE_RULE,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            (
                refused["errors"][0]["extensions"]["code"].clone(),
                refused["errors"][0]["extensions"]["field"].clone()
            ),
            (json!("BAD_USER_INPUT"), json!(field)),
            "{refused}"
        );
    }
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Refri abierto y tibio", "deviceId": device, "severity": "EMERGENCY",
                "condition": { "all": [
                    { "threshold": { "key": "temperature", "op": "GTE", "value": 6 } },
                    { "threshold": { "key": "door", "op": "EQ", "value": 1 } },
                ] } }),
    )
    .await;
    let mut ws = subscribe(&app, &owner, ALERT_EVENTS, json!({ "min": "EMERGENCY" })).await;
    post_telemetry(&app, &token, r#"{"temperature": 7, "door": 0}"#).await;
    post_telemetry(&app, &token, r#"{"temperature": 7, "door": 1}"#).await;
    let raised = next_event(&mut ws).await;
    assert_eq!(
        (raised["change"].clone(), raised["alert"]["details"].clone()),
        (json!("RAISED"), json!({ "temperature": 7.0, "door": 1.0 }))
    );
    // Renamed, then cleared: the live event names the rule as it is now.
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { updateAlertRule(input: { id: $id, name: \"Refri\" }) { name } }",
        json!({ "id": rule }),
    )
    .await;
    post_telemetry(&app, &token, r#"{"temperature": 7, "door": 0}"#).await;
    // A repeat of the raise may come first: the condition still held until this report.
    let mut cleared = next_event(&mut ws).await;
    while cleared["change"] == "UPDATED" {
        cleared = next_event(&mut ws).await;
    }
    assert_eq!(
        (
            cleared["change"].clone(),
            cleared["alert"]["rule"]["name"].clone()
        ),
        (json!("CLEARED"), json!("Refri"))
    );
    // Disabled, a rule raises nothing.
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { updateAlertRule(input: { id: $id, enabled: false }) { enabled } }",
        json!({ "id": rule }),
    )
    .await;
    let rules = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { alertRules(deviceId: $id) { name enabled device { name } } }",
            json!({ "id": device }),
        )
        .await;
    assert_eq!(
        rules["alertRules"],
        json!([{ "name": "Refri", "enabled": false, "device": { "name": "Bar" } }])
    );
    let deleted = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { deleteAlertRule(input: { id: $id }) }",
            json!({ "id": rule }),
        )
        .await;
    assert_eq!(deleted["deleteAlertRule"], json!(rule));
    let left = app
        .ok(
            Some(&owner.access_token),
            "{ alerts { totalCount } alertRules { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        left,
        json!({ "alerts": { "totalCount": 0 }, "alertRules": [] })
    );
}
