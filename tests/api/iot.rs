//! IoT end to end: devices and tokens, HTTP ingest, latest values and history, live
//! telemetry (across replicas on Redis), and isolation.

use crate::edge::{Ws, next_message, subscribe};
use crate::fixtures::iot::*;
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_device_reports_over_http_and_its_values_and_history_are_queryable() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let profile = app
        .ok(
            token,
            "mutation { createDeviceProfile(input: { name: \"Cámara fría\", offlineTimeoutSecs: 120,
               telemetryKeys: [{ key: \"temperature\", unit: \"°C\", min: -25, max: 5 }] }) { id telemetryKeys { key unit max } } }",
            json!({}),
        )
        .await;
    let profile_id = text(&profile["createDeviceProfile"]["id"]);
    let created = app
        .ok(token, CREATE_DEVICE, json!({ "input": { "name": "Cámara 1", "profileId": profile_id, "location": "Bodega", "tags": ["Carnes"] } }))
        .await;
    assert_eq!(
        created["createDevice"]["device"]["status"], "OFFLINE",
        "a device that never reported"
    );
    let device = text(&created["createDevice"]["device"]["id"]);
    let device_token = text(&created["createDevice"]["token"]);
    assert!(device_token.starts_with("dev_"));

    let (status, answer) = post_telemetry(
        &app,
        &device_token,
        r#"{"temperature": -18.5, "door": false}"#,
    )
    .await;
    assert_eq!((status, answer), (200, json!({ "accepted": 2 })));
    let base = 1_795_329_600_000_i64; // 2026-11-22T06:40:00Z, in the past of any test clock
    let batch: Vec<Value> = (0..6)
        .map(|i| json!({ "ts": base + i * 20_000, "values": { "temperature": -20 + i } }))
        .collect();
    let (status, answer) =
        post_telemetry(&app, &device_token, &Value::from(batch).to_string()).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(6)));

    let body = app
        .ok(
            token,
            "query($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) { status lastSeenAt profile { name }
                 latest { key number text } temperature: latest(keys: [\"temperature\"]) { number } }
               telemetryHistory(deviceId: $id, key: \"temperature\", from: $from, to: $to, interval: 60, aggregate: AVG) { start value count }
               max: telemetryHistory(deviceId: $id, key: \"temperature\", from: $from, to: $to, interval: 3600, aggregate: MAX) { value count } }",
            json!({ "id": device, "from": "2026-11-22T06:40:00Z", "to": "2026-11-22T06:42:00Z" }),
        )
        .await;
    let d = &body["device"];
    assert_eq!(d["status"], "ONLINE");
    let (_, silent_token) = new_device(&app, &owner, json!({ "name": "Cámara 2" })).await;
    assert!(silent_token.starts_with("dev_"));
    let by_status = app
        .ok(token, "{ online: devices(filter: { status: ONLINE }) { edges { node { id } } } offline: devices(filter: { status: OFFLINE }) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        by_status["online"]["edges"],
        json!([{ "node": { "id": device } }])
    );
    assert_eq!(by_status["offline"]["totalCount"], 1);
    assert_eq!(d["profile"]["name"], "Cámara fría");
    assert_eq!(
        d["latest"],
        json!([{ "key": "door", "number": 0.0, "text": null }, { "key": "temperature", "number": -18.5, "text": null }]),
        "the newest value, not the back-filled batch"
    );
    assert_eq!(d["temperature"], json!([{ "number": -18.5 }]));
    // Minute buckets: -20, -19, -18 at :40; -17, -16, -15 at :41.
    assert_eq!(
        body["telemetryHistory"],
        json!([{ "start": "2026-11-22T06:40:00+00:00", "value": -19.0, "count": 3 }, { "start": "2026-11-22T06:41:00+00:00", "value": -16.0, "count": 3 }])
    );
    assert_eq!(body["max"], json!([{ "value": -15.0, "count": 6 }]));

    // A device resending a batch (its acknowledgement was lost) stores nothing twice, and
    // the new point it carries is kept.
    let mut resent: Vec<Value> = (0..6)
        .map(|i| json!({ "ts": base + i * 20_000, "values": { "temperature": -20 + i } }))
        .collect();
    resent.push(json!({ "ts": base + 110_000, "values": { "temperature": -14 } }));
    let (status, answer) =
        post_telemetry(&app, &device_token, &Value::from(resent).to_string()).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(7)));
    let again = app
        .ok(
            token,
            "query($id: ID!, $from: DateTime!, $to: DateTime!) {
               telemetryHistory(deviceId: $id, key: \"temperature\", from: $from, to: $to, interval: 3600, aggregate: COUNT) { value count } }",
            json!({ "id": device, "from": "2026-11-22T06:40:00Z", "to": "2026-11-22T06:42:00Z" }),
        )
        .await;
    assert_eq!(
        again["telemetryHistory"],
        json!([{ "value": 7.0, "count": 7 }])
    );
    // The same for a batch large enough to be copied in bulk on PostgreSQL.
    let day_later = base + 86_400_000;
    let large = |samples: i64| -> String {
        let batch: Vec<Value> = (0..samples)
            .map(|i| json!({ "ts": day_later + i * 1_000, "values": { "humidity": i } }))
            .collect();
        Value::from(batch).to_string()
    };
    let (status, answer) = post_telemetry(&app, &device_token, &large(1_200)).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(1_200)));
    let (status, answer) = post_telemetry(&app, &device_token, &large(1_201)).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(1_201)));
    let humidity = app
        .ok(
            token,
            "query($id: ID!, $from: DateTime!, $to: DateTime!) {
               telemetryHistory(deviceId: $id, key: \"humidity\", from: $from, to: $to, interval: 86400, aggregate: COUNT) { count } }",
            json!({ "id": device, "from": "2026-11-23T06:40:00Z", "to": "2026-11-24T06:40:00Z" }),
        )
        .await;
    assert_eq!(humidity["telemetryHistory"], json!([{ "count": 1_201 }]));

    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("tianguis_telemetry_points_total 2416")),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_payloads_and_tokens_are_refused_with_a_reason_and_counted() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, device_token) = new_device(&app, &owner, json!({ "name": "Riego 1" })).await;
    for (body, code) in [
        ("{not json", "MALFORMED"),
        (r#"{"humidity": [1, 2]}"#, "BAD_VALUE"),
        (r#"{"bad key!": 1}"#, "BAD_KEY"),
        (r#"{"ts": "ayer", "values": {"t": 1}}"#, "BAD_TIMESTAMP"),
    ] {
        let (status, answer) = post_telemetry(&app, &device_token, body).await;
        assert_eq!(
            (status, answer["error"]["code"].clone()),
            (400, json!(code)),
            "{body}: {answer}"
        );
    }
    // A profile types its keys and bounds the keys it does not declare.
    let profile = app
        .ok(
            Some(&owner.access_token),
            "mutation { createDeviceProfile(input: { name: \"Riego\", telemetryKeys: [{ key: \"moisture\", unit: \"%\" }] }) { id } }",
            json!({}),
        )
        .await;
    let (_, typed_token) = new_device(
        &app,
        &owner,
        json!({ "name": "Riego 2", "profileId": text(&profile["createDeviceProfile"]["id"]) }),
    )
    .await;
    let many: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("extra{i}"), json!(i))).collect();
    for (body, code) in [
        (r#"{"moisture": "wet"}"#.to_string(), "BAD_VALUE"),
        (Value::Object(many).to_string(), "UNKNOWN_KEYS"),
    ] {
        let (status, answer) = post_telemetry(&app, &typed_token, &body).await;
        assert_eq!(
            (status, answer["error"]["code"].clone()),
            (400, json!(code)),
            "{body}: {answer}"
        );
    }
    assert_eq!(
        post_telemetry(&app, &typed_token, r#"{"moisture": 31, "rssi": -70}"#)
            .await
            .0,
        200
    );
    let (status, answer) = post_telemetry(&app, "dev_not-a-token", r#"{"t": 1}"#).await;
    assert_eq!(
        (status, answer["error"]["code"].clone()),
        (401, json!("INVALID_DEVICE_TOKEN"))
    );

    // Rotation ends the old token at once; revocation ends every token.
    let rotated = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { rotateDeviceToken(input: { id: $id }) { token } }",
            json!({ "id": device }),
        )
        .await;
    let new_token = text(&rotated["rotateDeviceToken"]["token"]);
    assert_eq!(
        post_telemetry(&app, &device_token, r#"{"t": 1}"#).await.0,
        401
    );
    assert_eq!(post_telemetry(&app, &new_token, r#"{"t": 1}"#).await.0, 200);
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { revokeDeviceToken(input: { id: $id }) { hasToken } }",
        json!({ "id": device }),
    )
    .await;
    assert_eq!(post_telemetry(&app, &new_token, r#"{"t": 1}"#).await.0, 401);

    let metrics = app.metrics().await;
    assert!(
        metrics.contains("tianguis_telemetry_rejected_total{reason=\"BAD_VALUE\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tianguis_telemetry_rejected_total{reason=\"INVALID_DEVICE_TOKEN\"} 3"),
        "{metrics}"
    );
}

/// Sends readings until the subscriber sees one: the protocol does not acknowledge a
/// subscription, so the first reading may come before it is registered.
async fn report_until_seen(ingest: &TestApp, device_token: &str, ws: &mut Ws) -> Value {
    for i in 0..50 {
        let body = json!({ "temperature": 3.0 + f64::from(i), "humidity": 80 }).to_string();
        assert_eq!(post_telemetry(ingest, device_token, &body).await.0, 200);
        if let Some(message) = next_message(ws, Duration::from_millis(200)).await {
            assert_eq!(message["type"], "next", "{message}");
            return message["payload"]["data"]["deviceTelemetry"].clone();
        }
    }
    panic!("the subscriber never received telemetry");
}

#[tokio::test]
async fn a_subscriber_receives_live_telemetry_of_the_keys_it_asked_for() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, device_token) = new_device(&app, &owner, json!({ "name": "Bar" })).await;
    let mut ws = subscribe_to_device(&app, &owner, &device).await;
    let update = report_until_seen(&app, &device_token, &mut ws).await;
    assert_eq!(update["deviceId"], device.as_str());
    let keys: Vec<&str> = update["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    assert_eq!(keys, ["temperature"], "only the keys asked for");
}

#[tokio::test]
async fn telemetry_ingested_on_one_replica_reaches_a_subscriber_on_another() {
    let app = TestApp::spawn().await;
    let Some(other) = app.second_replica().await else {
        return;
    };
    let owner = app.sign_up().await;
    let (device, device_token) = new_device(&app, &owner, json!({ "name": "Cava" })).await;
    let mut ws = subscribe_to_device(&app, &owner, &device).await;
    let update = report_until_seen(&other, &device_token, &mut ws).await;
    assert_eq!(update["deviceId"], device.as_str());
}

#[tokio::test]
async fn telemetry_older_than_the_retention_is_deleted_by_the_daily_job() {
    use chrono::TimeDelta;
    use tianguis_domain::ports::Clock;

    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, device_token) = new_device(&app, &owner, json!({ "name": "Histórico" })).await;
    let bad = app
        .gql(
            Some(&owner.access_token),
            "mutation { setTelemetryRetention(input: { days: 0 }) }",
            json!({}),
        )
        .await;
    assert_eq!(error_ext(&bad, "field"), "days");
    app.ok(
        Some(&owner.access_token),
        "mutation { setTelemetryRetention(input: { days: 2 }) }",
        json!({}),
    )
    .await;
    let now = app.clock.now();
    let at = |ago: TimeDelta| (now - ago).timestamp_millis();
    let body = json!([
        { "ts": at(TimeDelta::days(3)), "values": { "t": 1 } },
        { "ts": at(TimeDelta::hours(1)), "values": { "t": 2 } },
    ]);
    assert_eq!(
        post_telemetry(&app, &device_token, &body.to_string())
            .await
            .0,
        200
    );

    // The next daily run is at most a day away.
    app.clock.advance(TimeDelta::hours(25));
    let session = app.refreshed(&owner).await;
    let query = format!(
        "{{ device(id: \"{device}\") {{ latest {{ number }} }}
            telemetryHistory(deviceId: \"{device}\", key: \"t\", from: \"{}\", to: \"{}\", interval: 86400, aggregate: COUNT) {{ count }} }}",
        (now - TimeDelta::days(4)).to_rfc3339(),
        (now + TimeDelta::days(1)).to_rfc3339(),
    );
    let kept = crate::helpers::eventually(&app, &session, &query, |s| {
        s["telemetryHistory"].as_array().is_some_and(|b| {
            b.iter()
                .map(|x| x["count"].as_i64().unwrap_or(0))
                .sum::<i64>()
                == 1
        })
    })
    .await;
    assert_eq!(
        kept["device"]["latest"],
        json!([{ "number": 2.0 }]),
        "the latest value stays"
    );
}

#[tokio::test]
async fn subscribers_hear_a_device_come_online_and_go_offline_once_each() {
    use chrono::TimeDelta;

    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, device_token) = new_device(&app, &owner, json!({ "name": "Puerta" })).await;
    let (other, _) = new_device(&app, &owner, json!({ "name": "Otro" })).await;
    let mut ws = subscribe(
        &app,
        &owner,
        "subscription($ids: [ID!]) { deviceStatusChanged(deviceIds: $ids) { deviceId status } }",
        json!({ "ids": [device, other] }),
    )
    .await;
    // The first report brings it online; reports until the subscriber is registered.
    let mut online = None;
    for _ in 0..50 {
        assert_eq!(
            post_telemetry(&app, &device_token, r#"{"t": 1}"#).await.0,
            200
        );
        if let Some(message) = next_message(&mut ws, Duration::from_millis(200)).await {
            online = Some(message);
            break;
        }
        // Not heard: it was online already when the subscription began; let it lapse.
        app.clock.advance(TimeDelta::minutes(6));
        for _ in 0..100 {
            if let Some(message) = next_message(&mut ws, Duration::from_millis(50)).await {
                assert_eq!(
                    message["payload"]["data"]["deviceStatusChanged"]["status"],
                    "OFFLINE"
                );
                break;
            }
        }
    }
    let online = online.expect("the device was heard coming online");
    assert_eq!(
        online["payload"]["data"]["deviceStatusChanged"],
        json!({ "deviceId": device, "status": "ONLINE" })
    );
    // Reporting again changes nothing.
    assert_eq!(
        post_telemetry(&app, &device_token, r#"{"t": 2}"#).await.0,
        200
    );
    assert!(
        next_message(&mut ws, Duration::from_millis(300))
            .await
            .is_none(),
        "no second ONLINE"
    );
    // Silent past the timeout: offline, announced by the minute's sweep.
    app.clock.advance(TimeDelta::minutes(6));
    let offline = next_message(&mut ws, Duration::from_secs(10))
        .await
        .expect("offline announced");
    assert_eq!(
        offline["payload"]["data"]["deviceStatusChanged"],
        json!({ "deviceId": device, "status": "OFFLINE" })
    );
    assert!(
        next_message(&mut ws, Duration::from_millis(1500))
            .await
            .is_none(),
        "no second OFFLINE"
    );
}

#[tokio::test]
async fn a_profile_is_edited_and_deleted_by_its_business_only() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let token = Some(a.access_token.as_str());
    let profile = app
        .ok(token, "mutation { createDeviceProfile(input: { name: \"Riego\" }) { id offlineTimeoutSecs } }", json!({}))
        .await;
    assert_eq!(profile["createDeviceProfile"]["offlineTimeoutSecs"], 300);
    let id = text(&profile["createDeviceProfile"]["id"]);
    let (device, _) = new_device(&app, &a, json!({ "name": "Válvula", "profileId": id })).await;
    let update = "mutation($input: UpdateDeviceProfileInput!) { updateDeviceProfile(input: $input) { name offlineTimeoutSecs telemetryKeys { key unit } } }";
    let bad = app
        .gql(
            token,
            update,
            json!({ "input": { "id": id, "offlineTimeoutSecs": 5 } }),
        )
        .await;
    assert_eq!(error_ext(&bad, "field"), "offlineTimeoutSecs");
    let bad = app.gql(token, update, json!({ "input": { "id": id, "telemetryKeys": [{ "key": "humedad", "min": 90, "max": 10 }] } })).await;
    assert_eq!(error_ext(&bad, "field"), "telemetryKeys");
    let updated = app
        .ok(token, update, json!({ "input": { "id": id, "name": "Riego por goteo", "offlineTimeoutSecs": 900, "telemetryKeys": [{ "key": "humedad", "unit": "%" }] } }))
        .await;
    assert_eq!(
        updated["updateDeviceProfile"],
        json!({ "name": "Riego por goteo", "offlineTimeoutSecs": 900, "telemetryKeys": [{ "key": "humedad", "unit": "%" }] })
    );

    let b = app.sign_up().await;
    for query in [
        "mutation($id: ID!) { updateDeviceProfile(input: { id: $id, name: \"x\" }) { id } }",
        "mutation($id: ID!) { deleteDeviceProfile(input: { id: $id }) }",
    ] {
        let body = app
            .gql(Some(&b.access_token), query, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    assert_eq!(
        app.ok(
            Some(&b.access_token),
            "{ deviceProfiles { id } }",
            json!({})
        )
        .await["deviceProfiles"],
        json!([])
    );

    app.ok(
        token,
        "mutation($id: ID!) { deleteDeviceProfile(input: { id: $id }) }",
        json!({ "id": id }),
    )
    .await;
    let left = app
        .ok(
            token,
            "query($d: ID!) { deviceProfiles { id } device(id: $d) { name profile { id } } }",
            json!({ "d": device }),
        )
        .await;
    assert_eq!(
        left,
        json!({ "deviceProfiles": [], "device": { "name": "Válvula", "profile": null } }),
        "the device stays"
    );
}

#[tokio::test]
async fn deleting_a_device_deletes_its_telemetry() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use tianguis_entity::iot::telemetry_points as points;
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Temporal" })).await;
    let (kept, kept_token) = new_device(&app, &owner, json!({ "name": "Otro" })).await;
    for token in [&token, &kept_token] {
        assert_eq!(
            post_telemetry(&app, token, r#"{"t": 1, "h": 2}"#).await.0,
            200
        );
    }
    let count = |id: &str| {
        let id = uuid::Uuid::parse_str(id).expect("uuid");
        let db = app.state.deps.db.clone();
        async move {
            points::Entity::find()
                .filter(points::Column::DeviceId.eq(id))
                .count(&db)
                .await
                .expect("count")
        }
    };
    assert_eq!(count(&device).await, 2);
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { deleteDevice(input: { id: $id }) }",
        json!({ "id": device }),
    )
    .await;
    assert_eq!(count(&device).await, 0);
    assert_eq!(count(&kept).await, 2, "other devices keep theirs");
}
