//! Devices over MQTT, with a real MQTT client: telemetry, refusals, commands and isolation.

use crate::edge::{next_message, subscribe};
use crate::fixtures::iot::new_device;
use crate::helpers::eventually;
use crate::helpers::{TestApp, text, unique};
use chrono::TimeDelta;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Packet,
    Publish, QoS,
};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;

const TELEMETRY: &str = "v1/devices/me/telemetry";
const ERRORS: &str = "v1/devices/me/errors";
const COMMANDS: &str = "v1/devices/me/commands/request/+";
const WAIT: Duration = Duration::from_secs(10);

/// A device connected over MQTT, with what the endpoint sends it.
pub struct MqttDevice {
    pub client: AsyncClient,
    packets: mpsc::UnboundedReceiver<Packet>,
    /// Packets received while waiting for another, in order.
    skipped: std::collections::VecDeque<Packet>,
}

fn options(app: &TestApp, password: Option<&str>) -> MqttOptions {
    let mut options = MqttOptions::new(unique("node"), app.mqtt.ip().to_string(), app.mqtt.port());
    options.set_keep_alive(Duration::from_secs(30));
    if let Some(password) = password {
        options.set_credentials("device", password);
    }
    options
}

/// Connects with `token` as the MQTT password; the endpoint's refusal code if it refuses.
pub async fn connect(app: &TestApp, token: Option<&str>) -> Result<MqttDevice, ConnectReturnCode> {
    let (client, mut events) = AsyncClient::new(options(app, token), 100);
    match tokio::time::timeout(WAIT, events.poll())
        .await
        .expect("connack in time")
    {
        Ok(Event::Incoming(Packet::ConnAck(_))) => {}
        Err(ConnectionError::ConnectionRefused(code)) => return Err(code),
        other => panic!("unexpected first event: {other:?}"),
    }
    let (forward, packets) = mpsc::unbounded_channel();
    tokio::spawn(drive(events, forward));
    Ok(MqttDevice {
        client,
        packets,
        skipped: Default::default(),
    })
}

async fn drive(mut events: EventLoop, forward: mpsc::UnboundedSender<Packet>) {
    while let Ok(event) = events.poll().await {
        if let Event::Incoming(packet) = event
            && forward.send(packet).is_err()
        {
            return;
        }
    }
}

impl MqttDevice {
    /// The first packet from the endpoint that `wanted` accepts; the others stay for later.
    pub async fn next(&mut self, wanted: impl Fn(&Packet) -> bool) -> Packet {
        if let Some(at) = self.skipped.iter().position(&wanted) {
            return self.skipped.remove(at).expect("present");
        }
        tokio::time::timeout(WAIT, async {
            loop {
                let packet = self.packets.recv().await.expect("connection open");
                if wanted(&packet) {
                    return packet;
                }
                self.skipped.push_back(packet);
            }
        })
        .await
        .expect("packet in time")
    }

    pub async fn subscribe(&mut self, filter: &str) {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let Packet::SubAck(ack) = self.next(|p| matches!(p, Packet::SubAck(_))).await else {
            unreachable!()
        };
        assert_eq!(
            ack.return_codes,
            vec![rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)],
            "{filter} is open to a device"
        );
    }

    /// Publishes at QoS 1 and waits for the endpoint's acknowledgement.
    pub async fn publish_acknowledged(&mut self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
        self.next(|p| matches!(p, Packet::PubAck(_))).await;
    }

    pub async fn next_publish(&mut self, prefix: &str) -> Publish {
        let Packet::Publish(publish) = self
            .next(|p| matches!(p, Packet::Publish(m) if m.topic.starts_with(prefix)))
            .await
        else {
            unreachable!()
        };
        publish
    }

    /// Waits for the endpoint to end the connection.
    pub async fn closed(&mut self) {
        tokio::time::timeout(WAIT, async { while self.packets.recv().await.is_some() {} })
            .await
            .expect("the connection ends");
    }

    pub async fn next_error(&mut self) -> Value {
        let publish = self.next_publish(ERRORS).await;
        serde_json::from_slice(&publish.payload).expect("json error")
    }
}

async fn latest(app: &TestApp, token: &str, device: &str) -> Value {
    app.ok(
        Some(token),
        "query($id: ID!) { device(id: $id) { status latest { key number } } }",
        json!({ "id": device }),
    )
    .await["device"]
        .clone()
}

#[tokio::test]
async fn a_device_publishes_over_mqtt_and_its_points_are_stored_and_live() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Cámara 1" })).await;
    let mut ws = subscribe(
        &app,
        &owner,
        "subscription($id: ID!) { deviceTelemetry(deviceId: $id) { values { key number } } }",
        json!({ "id": device }),
    )
    .await;

    let mut node = connect(&app, Some(&token)).await.expect("connected");
    node.subscribe(ERRORS).await;
    node.publish_acknowledged(TELEMETRY, r#"{"temperature": -18.5, "humidity": 71}"#)
        .await;
    // Acknowledged means committed: the values are there already.
    assert_eq!(
        latest(&app, &owner.access_token, &device).await,
        json!({ "status": "ONLINE", "latest": [{ "key": "humidity", "number": 71.0 }, { "key": "temperature", "number": -18.5 }] })
    );
    let live = next_message(&mut ws, WAIT).await.expect("live telemetry");
    assert_eq!(
        live["payload"]["data"]["deviceTelemetry"]["values"],
        json!([{ "key": "humidity", "number": 71.0 }, { "key": "temperature", "number": -18.5 }])
    );

    // A bad message is answered on the errors topic and the stream goes on.
    node.publish_acknowledged(TELEMETRY, "{not json").await;
    assert_eq!(node.next_error().await["code"], "MALFORMED");
    node.publish_acknowledged(TELEMETRY, r#"{"temperature": [1]}"#)
        .await;
    assert_eq!(node.next_error().await["code"], "BAD_VALUE");
    node.publish_acknowledged("v1/devices/other/telemetry", r#"{"t": 1}"#)
        .await;
    let error = node.next_error().await;
    assert_eq!(
        (error["code"].clone(), error["topic"].clone()),
        (json!("UNKNOWN_TOPIC"), json!("v1/devices/other/telemetry"))
    );
    node.publish_acknowledged(TELEMETRY, r#"{"temperature": -17}"#)
        .await;
    assert_eq!(
        latest(&app, &owner.access_token, &device).await["latest"][1],
        json!({ "key": "temperature", "number": -17.0 })
    );

    // QoS 0 is stored too, without an acknowledgement to wait for.
    node.client
        .publish(TELEMETRY, QoS::AtMostOnce, false, r#"{"door": 1}"#)
        .await
        .expect("publish");
    eventually(
        &app,
        &owner,
        &format!("{{ device(id: \"{device}\") {{ latest(keys: [\"door\"]) {{ number }} }} }}"),
        |body| body["device"]["latest"] == json!([{ "number": 1.0 }]),
    )
    .await;

    let metrics = app.metrics().await;
    for counted in [
        "tianguis_telemetry_points_total 4",
        "tianguis_telemetry_rejected_total{reason=\"MALFORMED\"} 1",
        "tianguis_telemetry_rejected_total{reason=\"UNKNOWN_TOPIC\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == counted),
            "{counted} in {metrics}"
        );
    }
}

#[tokio::test]
async fn only_a_valid_token_connects_and_a_device_cannot_reach_another() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (_, token) = new_device(&app, &owner, json!({ "name": "Riego" })).await;
    assert_eq!(
        connect(&app, None).await.err(),
        Some(ConnectReturnCode::BadUserNamePassword)
    );
    assert_eq!(
        connect(&app, Some("dev_not-a-token")).await.err(),
        Some(ConnectReturnCode::NotAuthorized)
    );

    // Another business's device: its topics are its own, whatever it names.
    let rival = app.sign_up().await;
    let (rival_device, rival_token) = new_device(&app, &rival, json!({ "name": "Ajeno" })).await;
    let mut intruder = connect(&app, Some(&token)).await.expect("connected");
    intruder.subscribe(ERRORS).await;
    let suback = {
        intruder
            .client
            .subscribe(
                format!("v1/devices/{rival_device}/commands/request/+"),
                QoS::AtLeastOnce,
            )
            .await
            .expect("subscribe");
        intruder.next(|p| matches!(p, Packet::SubAck(_))).await
    };
    let Packet::SubAck(suback) = suback else {
        unreachable!()
    };
    assert_eq!(
        suback.return_codes,
        vec![rumqttc::SubscribeReasonCode::Failure]
    );
    intruder
        .publish_acknowledged(
            &format!("v1/devices/{rival_device}/telemetry"),
            r#"{"t": 99}"#,
        )
        .await;
    assert_eq!(intruder.next_error().await["code"], "UNKNOWN_TOPIC");
    assert_eq!(
        latest(&app, &rival.access_token, &rival_device).await["latest"],
        json!([])
    );

    // Revoking a token ends the connection made with it, and it no longer connects.
    let mut revoked = connect(&app, Some(&rival_token)).await.expect("connected");
    app.ok(
        Some(&rival.access_token),
        "mutation($id: ID!) { revokeDeviceToken(input: { id: $id }) { hasToken } }",
        json!({ "id": rival_device }),
    )
    .await;
    revoked.closed().await;
    assert_eq!(
        connect(&app, Some(&rival_token)).await.err(),
        Some(ConnectReturnCode::NotAuthorized)
    );
}

const SEND: &str = "mutation($input: SendDeviceCommandInput!) { sendDeviceCommand(input: $input) { id status method } }";
const COMMAND: &str =
    "query($id: ID!) { deviceCommand(id: $id) { status response error deliveredAt completedAt } }";

async fn command(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), COMMAND, json!({ "id": id })).await["deviceCommand"].clone()
}

#[tokio::test]
async fn a_command_reaches_its_device_and_the_answer_is_recorded() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Bomba" })).await;

    // Sent while the device is away: it waits, then goes out when the device subscribes.
    let waiting = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "deviceId": device, "method": "setRelay", "params": { "on": true } } }),
        )
        .await;
    assert_eq!(waiting["sendDeviceCommand"]["status"], "PENDING");
    let waiting = text(&waiting["sendDeviceCommand"]["id"]);
    let mut node = connect(&app, Some(&token)).await.expect("connected");
    node.subscribe(COMMANDS).await;
    let request = node.next_publish("v1/devices/me/commands/request/").await;
    assert_eq!(
        request.topic,
        format!("v1/devices/me/commands/request/{waiting}")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&request.payload).expect("json"),
        json!({ "method": "setRelay", "params": { "on": true } })
    );
    eventually(
        &app,
        &owner,
        &format!("{{ deviceCommand(id: \"{waiting}\") {{ status }} }}"),
        |b| b["deviceCommand"]["status"] == "DELIVERED",
    )
    .await;
    node.publish_acknowledged(
        &format!("v1/devices/me/commands/response/{waiting}"),
        r#"{"relay": "on"}"#,
    )
    .await;
    let done = command(&app, &owner.access_token, &waiting).await;
    assert_eq!(
        (done["status"].clone(), done["response"].clone()),
        (json!("SUCCEEDED"), json!({ "relay": "on" }))
    );
    assert!(done["completedAt"].is_string());

    // Sent while it is connected: straight through, and a failure is recorded as one.
    let live = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "deviceId": device, "method": "reboot" } }),
        )
        .await;
    let live = text(&live["sendDeviceCommand"]["id"]);
    let request = node.next_publish("v1/devices/me/commands/request/").await;
    assert!(request.topic.ends_with(&live));
    node.subscribe(ERRORS).await;
    node.publish_acknowledged(
        &format!("v1/devices/me/commands/response/{live}"),
        r#"{"error": "busy watering"}"#,
    )
    .await;
    let failed = command(&app, &owner.access_token, &live).await;
    assert_eq!(
        (failed["status"].clone(), failed["error"].clone()),
        (json!("FAILED"), json!("busy watering"))
    );
    // Answered once only.
    node.publish_acknowledged(&format!("v1/devices/me/commands/response/{live}"), "{}")
        .await;
    assert_eq!(node.next_error().await["code"], "BAD_RESPONSE");

    // Another business sees none of it, and its devices cannot answer.
    let rival = app.sign_up().await;
    let (_, rival_token) = new_device(&app, &rival, json!({ "name": "Ajeno" })).await;
    let unanswered = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "deviceId": device, "method": "ping", "timeoutSeconds": 30 } }),
        )
        .await;
    let unanswered = text(&unanswered["sendDeviceCommand"]["id"]);
    let errors = app
        .gql(
            Some(&rival.access_token),
            COMMAND,
            json!({ "id": unanswered }),
        )
        .await;
    assert_eq!(
        errors["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{errors}"
    );
    let sent_elsewhere = app
        .gql(
            Some(&rival.access_token),
            SEND,
            json!({ "input": { "deviceId": device, "method": "ping" } }),
        )
        .await;
    assert_eq!(
        sent_elsewhere["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    let mut rival_node = connect(&app, Some(&rival_token)).await.expect("connected");
    rival_node.subscribe(ERRORS).await;
    rival_node
        .publish_acknowledged(
            &format!("v1/devices/me/commands/response/{unanswered}"),
            "{}",
        )
        .await;
    assert_eq!(rival_node.next_error().await["code"], "UNKNOWN_COMMAND");

    // Unanswered past its timeout: expired by the next minute's sweep.
    app.clock.advance(TimeDelta::seconds(61));
    let expired = eventually(
        &app,
        &owner,
        &format!("{{ deviceCommand(id: \"{unanswered}\") {{ status }} }}"),
        |b| b["deviceCommand"]["status"] == "EXPIRED",
    )
    .await;
    assert_eq!(expired["deviceCommand"]["status"], "EXPIRED");
    let history = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { deviceCommands(deviceId: $id) { totalCount edges { node { method status } } } }",
            json!({ "id": device }),
        )
        .await;
    assert_eq!(
        history["deviceCommands"]["edges"],
        json!([
            { "node": { "method": "ping", "status": "EXPIRED" } },
            { "node": { "method": "reboot", "status": "FAILED" } },
            { "node": { "method": "setRelay", "status": "SUCCEEDED" } },
        ])
    );
}

#[tokio::test]
async fn a_command_sent_on_one_replica_reaches_a_device_connected_to_another() {
    let app = TestApp::spawn().await;
    let Some(other) = app.second_replica().await else {
        return;
    };
    let owner = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Válvula" })).await;
    let mut node = connect(&other, Some(&token)).await.expect("connected");
    node.subscribe(COMMANDS).await;
    let sent = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "deviceId": device, "method": "open" } }),
        )
        .await;
    let id = text(&sent["sendDeviceCommand"]["id"]);
    let request = node.next_publish("v1/devices/me/commands/request/").await;
    assert!(request.topic.ends_with(&id), "{}", request.topic);
    node.publish_acknowledged(&format!("v1/devices/me/commands/response/{id}"), "true")
        .await;
    assert_eq!(
        command(&app, &owner.access_token, &id).await["status"],
        "SUCCEEDED"
    );
}
