//! The MQTT endpoint for devices (MQTT 3.1.1), served by every replica beside HTTP.
//!
//! It is a broker scoped to devices: each connection authenticates with the device's token
//! as its MQTT password, and every topic is relative to that device (`v1/devices/me/…`), so a
//! device can only ever publish its own telemetry and hear its own commands.
//!
//! | direction | topic | payload |
//! |---|---|---|
//! | publish | `v1/devices/me/telemetry` | the HTTP ingest payload (`iot::payload`) |
//! | subscribe | `v1/devices/me/commands/request/+` | `{"method", "params"}`, one topic per command id |
//! | publish | `v1/devices/me/commands/response/{id}` | any JSON result, or `{"error": …}` |
//! | subscribe | `v1/devices/me/errors` | `{"code", "message", "topic"}` for each refused message |
//! | publish | `v1/devices/me/prepaid/charge` | a card reader's charge (`http::prepaid`) |
//! | subscribe | `v1/devices/me/prepaid/charge/response` | the charge's answer, approved or declined |
//!
//! QoS 0 and 1 are honoured; a QoS 1 telemetry message is acknowledged once its points are
//! committed. Commands go out at QoS 1 and count as delivered when the device acknowledges
//! them. A replica holds only its own connections, so commands reach it through the pub/sub
//! port and the replica holding the device sends them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use rumqttc::{
    ConnAck, ConnectReturnCode, Packet, PubAck, PubComp, PubRec, Publish, QoS, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use serde_json::json;
use tianguis_domain::Error;
use tianguis_domain::iot::commands::{self, Delivery};
use tianguis_domain::iot::devices;
use tianguis_domain::iot::telemetry::{self, DeviceIdentity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::AppState;
use crate::intake::{self, Refusal};

pub const TELEMETRY_TOPIC: &str = "v1/devices/me/telemetry";
pub const COMMAND_REQUEST_PREFIX: &str = "v1/devices/me/commands/request/";
pub const COMMAND_RESPONSE_PREFIX: &str = "v1/devices/me/commands/response/";
pub const ERRORS_TOPIC: &str = "v1/devices/me/errors";
pub const PREPAID_CHARGE_TOPIC: &str = "v1/devices/me/prepaid/charge";
pub const PREPAID_ANSWER_TOPIC: &str = "v1/devices/me/prepaid/charge/response";

/// The largest packet a device may send; bigger ones end the connection.
const MAX_PACKET_BYTES: usize = 1024 * 1024;
/// Time a new connection has to say who it is.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Packets queued for one device before its acknowledgements wait.
const OUTBOX: usize = 256;

enum Outbound {
    Packet(Packet),
    Command(Delivery),
    /// The same device connected again (this older connection ends, as MQTT requires), or
    /// its credential is no longer valid.
    Close,
}

struct Session {
    serial: u64,
    outbox: mpsc::Sender<Outbound>,
}

/// This replica's device connections, by device.
#[derive(Clone)]
pub struct MqttEndpoint {
    state: AppState,
    sessions: Arc<Mutex<HashMap<Uuid, Session>>>,
    serials: Arc<std::sync::atomic::AtomicU64>,
}

impl MqttEndpoint {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            sessions: Arc::default(),
            serials: Arc::default(),
        }
    }

    /// Accepts device connections until `stop` turns true; open connections end with it.
    pub async fn serve(
        self,
        listener: TcpListener,
        stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let pubsub = &self.state.deps.pubsub;
        let deliveries = pubsub.subscribe(commands::DELIVERY_TOPIC).await?;
        tokio::spawn(self.clone().route_commands(deliveries));
        let disconnects = pubsub.subscribe(devices::DISCONNECT_TOPIC).await?;
        tokio::spawn(self.clone().end_connections(disconnects));
        let mut stopping = stop.clone();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((socket, _)) = accepted else { continue };
                    let _ = socket.set_nodelay(true);
                    let endpoint = self.clone();
                    let stop = stop.clone();
                    tokio::spawn(async move { endpoint.connection(socket, stop).await });
                }
                () = stopped(&mut stopping) => return Ok(()),
            }
        }
    }

    async fn route_commands(self, mut deliveries: BoxStream<'static, Vec<u8>>) {
        while let Some(message) = deliveries.next().await {
            let Ok(delivery) = serde_json::from_slice::<Delivery>(&message) else {
                continue;
            };
            let outbox = self
                .sessions
                .lock()
                .ok()
                .and_then(|s| s.get(&delivery.device_id).map(|s| s.outbox.clone()));
            // A device not reading its connection must not hold up commands to the others;
            // a command it misses stays pending and goes out when it next subscribes.
            if let Some(outbox) = outbox
                && outbox.try_send(Outbound::Command(delivery)).is_err()
            {
                tracing::warn!("a device's connection is backed up; its command waits");
            }
        }
    }

    /// Ends the connections of devices whose token was rotated or revoked, or that were
    /// deleted.
    async fn end_connections(self, mut disconnects: BoxStream<'static, Vec<u8>>) {
        while let Some(message) = disconnects.next().await {
            let Ok(device_id) = Uuid::from_slice(&message) else {
                continue;
            };
            let outbox = self
                .sessions
                .lock()
                .ok()
                .and_then(|s| s.get(&device_id).map(|s| s.outbox.clone()));
            if let Some(outbox) = outbox {
                let _ = outbox.try_send(Outbound::Close);
            }
        }
    }

    async fn connection(self, mut socket: TcpStream, stop: watch::Receiver<bool>) {
        let mut buffer = BytesMut::with_capacity(4096);
        let connect = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            read_packet(&mut socket, &mut buffer),
        )
        .await
        {
            Ok(Ok(Some(Packet::Connect(connect)))) => connect,
            _ => return,
        };
        let token = connect.login.map(|l| l.password).unwrap_or_default();
        let refuse = |code: ConnectReturnCode, reason: &str| {
            self.state.metrics.record_telemetry_rejected(reason);
            Packet::ConnAck(ConnAck::new(code, false))
        };
        let device = if token.trim().is_empty() {
            Err(refuse(
                ConnectReturnCode::BadUserNamePassword,
                "MISSING_DEVICE_TOKEN",
            ))
        } else {
            match telemetry::authenticate(&self.state.deps, &token).await {
                Ok(device) => Ok(device),
                Err(Error::Unauthenticated { reason, .. }) => {
                    Err(refuse(ConnectReturnCode::NotAuthorized, reason))
                }
                Err(err) => {
                    tracing::error!(error = ?err, "device authentication failed");
                    Err(Packet::ConnAck(ConnAck::new(
                        ConnectReturnCode::ServiceUnavailable,
                        false,
                    )))
                }
            }
        };
        let device = match device {
            Ok(device) => device,
            Err(refusal) => {
                let _ = write_packet(&mut socket, &refusal).await;
                return;
            }
        };
        if write_packet(
            &mut socket,
            &Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false)),
        )
        .await
        .is_err()
        {
            return;
        }
        let (outbox, inbox) = mpsc::channel(OUTBOX);
        let serial = self
            .serials
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let replaced = self.sessions.lock().ok().and_then(|mut sessions| {
            sessions.insert(
                device.device_id,
                Session {
                    serial,
                    outbox: outbox.clone(),
                },
            )
        });
        if let Some(old) = replaced {
            let _ = old.outbox.try_send(Outbound::Close);
        }
        let keep_alive = Duration::from_secs(u64::from(connect.keep_alive));
        let mut session = DeviceSession {
            endpoint: &self,
            device,
            socket,
            buffer,
            outbox,
            next_packet_id: 0,
            commands_subscribed: false,
            errors_subscribed: false,
            answers_subscribed: false,
            in_flight: HashMap::new(),
            sent: HashSet::new(),
        };
        if let Err(err) = session.run(inbox, keep_alive, stop).await {
            tracing::debug!(device_id = %device.device_id, error = %err, "MQTT connection ended");
        }
        if let Ok(mut sessions) = self.sessions.lock()
            && sessions
                .get(&device.device_id)
                .is_some_and(|s| s.serial == serial)
        {
            sessions.remove(&device.device_id);
        }
    }
}

struct DeviceSession<'a> {
    endpoint: &'a MqttEndpoint,
    device: DeviceIdentity,
    socket: TcpStream,
    buffer: BytesMut,
    outbox: mpsc::Sender<Outbound>,
    next_packet_id: u16,
    commands_subscribed: bool,
    errors_subscribed: bool,
    /// Whether the device hears the answers to its prepaid charges.
    answers_subscribed: bool,
    /// Commands sent and not yet acknowledged, by packet id.
    in_flight: HashMap<u16, Uuid>,
    /// Commands already sent on this connection, so a pending one announced twice goes once.
    sent: HashSet<Uuid>,
}

impl DeviceSession<'_> {
    async fn run(
        &mut self,
        mut inbox: mpsc::Receiver<Outbound>,
        keep_alive: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        // MQTT allows one and a half keep-alive periods of silence; zero means no limit.
        let silence = (!keep_alive.is_zero()).then(|| keep_alive * 3 / 2);
        loop {
            // Complete packets already buffered are handled before reading more.
            while let Some(packet) = parse(&mut self.buffer)? {
                if !self.handle(packet).await? {
                    return Ok(());
                }
            }
            let idle = async {
                match silence {
                    Some(limit) => tokio::time::sleep(limit).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                read = self.socket.read_buf(&mut self.buffer) => {
                    if read? == 0 {
                        return Ok(());
                    }
                }
                Some(outbound) = inbox.recv() => match outbound {
                    Outbound::Packet(packet) => write_packet(&mut self.socket, &packet).await?,
                    Outbound::Command(delivery) => self.deliver(delivery).await?,
                    Outbound::Close => return Ok(()),
                },
                () = idle => anyhow::bail!("keep-alive expired"),
                () = stopped(&mut stop) => return Ok(()),
            }
        }
    }

    /// Handles one packet from the device; false ends the connection.
    async fn handle(&mut self, packet: Packet) -> anyhow::Result<bool> {
        match packet {
            Packet::Publish(publish) => self.publish(publish).await?,
            Packet::PubRel(release) => {
                write_packet(
                    &mut self.socket,
                    &Packet::PubComp(PubComp::new(release.pkid)),
                )
                .await?;
            }
            Packet::PubAck(ack) => {
                if let Some(command_id) = self.in_flight.remove(&ack.pkid)
                    && let Err(err) =
                        commands::mark_delivered(&self.endpoint.state.deps, self.device, command_id)
                            .await
                {
                    tracing::warn!(error = ?err, "recording a command's delivery failed");
                }
            }
            Packet::Subscribe(subscribe) => {
                let mut codes = Vec::with_capacity(subscribe.filters.len());
                for filter in &subscribe.filters {
                    let granted = SubscribeReasonCode::Success(match filter.qos {
                        QoS::AtMostOnce => QoS::AtMostOnce,
                        _ => QoS::AtLeastOnce,
                    });
                    codes.push(match filter.path.as_str() {
                        "v1/devices/me/commands/request/+" | "v1/devices/me/commands/request/#" => {
                            self.commands_subscribed = true;
                            granted
                        }
                        ERRORS_TOPIC => {
                            self.errors_subscribed = true;
                            granted
                        }
                        PREPAID_ANSWER_TOPIC => {
                            self.answers_subscribed = true;
                            granted
                        }
                        _ => SubscribeReasonCode::Failure,
                    });
                }
                write_packet(
                    &mut self.socket,
                    &Packet::SubAck(SubAck::new(subscribe.pkid, codes)),
                )
                .await?;
                if self.commands_subscribed {
                    // Commands requested while the device was away go out now.
                    match commands::undelivered(&self.endpoint.state.deps, self.device).await {
                        Ok(waiting) => {
                            for delivery in waiting {
                                self.deliver(delivery).await?;
                            }
                        }
                        Err(err) => tracing::warn!(error = ?err, "loading waiting commands failed"),
                    }
                }
            }
            Packet::Unsubscribe(unsubscribe) => {
                for filter in &unsubscribe.topics {
                    if filter.starts_with(COMMAND_REQUEST_PREFIX) {
                        self.commands_subscribed = false;
                    } else if filter == ERRORS_TOPIC {
                        self.errors_subscribed = false;
                    } else if filter == PREPAID_ANSWER_TOPIC {
                        self.answers_subscribed = false;
                    }
                }
                write_packet(
                    &mut self.socket,
                    &Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid)),
                )
                .await?;
            }
            Packet::PingReq => write_packet(&mut self.socket, &Packet::PingResp).await?,
            Packet::Disconnect => return Ok(false),
            // A second CONNECT, or a packet only a broker sends, is a protocol violation.
            _ => return Ok(false),
        }
        Ok(true)
    }

    async fn publish(&mut self, publish: Publish) -> anyhow::Result<()> {
        let state = &self.endpoint.state;
        let outcome = if publish.topic == TELEMETRY_TOPIC {
            match intake::accept(state, self.device, &publish.payload).await {
                Ok(stored) => {
                    // The acknowledgement follows the commit; the connection reads on meanwhile.
                    let state = state.clone();
                    let outbox = self.outbox.clone();
                    let (qos, pkid) = (publish.qos, publish.pkid);
                    tokio::spawn(async move {
                        let ack = match intake::stored(&state, stored).await {
                            Ok(_) => acknowledgement(qos, pkid),
                            Err(refusal) => Some(error_message(&refusal, TELEMETRY_TOPIC)),
                        };
                        if let Some(ack) = ack {
                            let _ = outbox.send(Outbound::Packet(ack)).await;
                        }
                    });
                    return Ok(());
                }
                Err(refusal) => Err(refusal),
            }
        } else if publish.topic == PREPAID_CHARGE_TOPIC {
            match crate::http::prepaid::charge(state, self.device, &publish.payload).await {
                Ok(answer) => {
                    if self.answers_subscribed {
                        let answer = Publish::new(
                            PREPAID_ANSWER_TOPIC,
                            QoS::AtMostOnce,
                            serde_json::to_vec(&answer)?,
                        );
                        write_packet(&mut self.socket, &Packet::Publish(answer)).await?;
                    }
                    Ok(())
                }
                Err(refusal) => Err(refusal),
            }
        } else if let Some(id) = publish.topic.strip_prefix(COMMAND_RESPONSE_PREFIX) {
            let answered = match Uuid::parse_str(id) {
                Ok(id) => commands::complete(&state.deps, self.device, id, &publish.payload).await,
                Err(_) => Err(Error::NotFound("command")),
            };
            answered.map(|_| ()).map_err(|err| match err {
                Error::NotFound(_) => Refusal::Invalid {
                    code: "UNKNOWN_COMMAND",
                    message: "no open command of this device has that id".into(),
                },
                Error::Invalid { message, .. } | Error::Conflict { message, .. } => {
                    Refusal::Invalid {
                        code: "BAD_RESPONSE",
                        message,
                    }
                }
                other => {
                    tracing::error!(error = ?other, "recording a command's answer failed");
                    Refusal::Unavailable
                }
            })
        } else {
            state.metrics.record_telemetry_rejected("UNKNOWN_TOPIC");
            Err(Refusal::Invalid {
                code: "UNKNOWN_TOPIC",
                message: format!(
                    "devices publish to {TELEMETRY_TOPIC}, {PREPAID_CHARGE_TOPIC} or {COMMAND_RESPONSE_PREFIX}{{id}}"
                ),
            })
        };
        // MQTT 3.1.1 has no negative acknowledgement: a refused message is acknowledged so
        // the device does not resend it, and the reason goes to its errors topic.
        if let Err(refusal) = &outcome {
            if self.errors_subscribed {
                write_packet(&mut self.socket, &error_message(refusal, &publish.topic)).await?;
            }
            if matches!(refusal, Refusal::Unavailable) {
                return Ok(());
            }
        }
        if let Some(ack) = acknowledgement(publish.qos, publish.pkid) {
            write_packet(&mut self.socket, &ack).await?;
        }
        Ok(())
    }

    async fn deliver(&mut self, delivery: Delivery) -> anyhow::Result<()> {
        if !self.commands_subscribed || !self.sent.insert(delivery.command_id) {
            return Ok(());
        }
        self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
        let mut publish = Publish::new(
            format!("{COMMAND_REQUEST_PREFIX}{}", delivery.command_id),
            QoS::AtLeastOnce,
            serde_json::to_vec(&json!({ "method": delivery.method, "params": delivery.params }))?,
        );
        publish.pkid = self.next_packet_id;
        self.in_flight.insert(publish.pkid, delivery.command_id);
        write_packet(&mut self.socket, &Packet::Publish(publish)).await
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn acknowledgement(qos: QoS, pkid: u16) -> Option<Packet> {
    match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce => Some(Packet::PubAck(PubAck::new(pkid))),
        // Points are idempotent by device, key and instant, so QoS 2 is served as QoS 1
        // with the QoS 2 handshake.
        QoS::ExactlyOnce => Some(Packet::PubRec(PubRec::new(pkid))),
    }
}

fn error_message(refusal: &Refusal, topic: &str) -> Packet {
    let body = json!({ "code": refusal.code(), "message": refusal.message(), "topic": topic });
    Packet::Publish(Publish::new(
        ERRORS_TOPIC,
        QoS::AtMostOnce,
        body.to_string(),
    ))
}

/// The next complete packet in `buffer`, if one has fully arrived.
fn parse(buffer: &mut BytesMut) -> anyhow::Result<Option<Packet>> {
    match Packet::read(buffer, MAX_PACKET_BYTES) {
        Ok(packet) => Ok(Some(packet)),
        Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
        Err(err) => Err(anyhow::anyhow!("malformed MQTT packet: {err:?}")),
    }
}

async fn read_packet(
    socket: &mut TcpStream,
    buffer: &mut BytesMut,
) -> anyhow::Result<Option<Packet>> {
    loop {
        if let Some(packet) = parse(buffer)? {
            return Ok(Some(packet));
        }
        if socket.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    }
}

async fn write_packet(socket: &mut TcpStream, packet: &Packet) -> anyhow::Result<()> {
    let mut bytes = BytesMut::with_capacity(packet.size() + 8);
    packet
        .write(&mut bytes, MAX_PACKET_BYTES)
        .map_err(|err| anyhow::anyhow!("encoding an MQTT packet: {err:?}"))?;
    socket.write_all(&bytes).await?;
    Ok(())
}
