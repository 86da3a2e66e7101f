//! Telemetry into a running server: points per second over HTTP or MQTT, and the time from
//! ingest to live subscribers.
//!
//!   BENCH_URL=http://127.0.0.1:8088 ./target/release/telemetry http
//!   BENCH_URL=… BENCH_MQTT=127.0.0.1:1884 ./target/release/telemetry mqtt
//!   BENCH_URL=… BENCH_SUBSCRIBERS=1000 ./target/release/telemetry latency
//!
//! Every mode signs up a business and creates BENCH_DEVICES devices (default 100).
//! - `http`: BENCH_CONCURRENCY clients (default 16) post batches of BENCH_BATCH samples
//!   (default 100 samples of 5 keys, 500 points) for BENCH_SECONDS (default 15), round robin
//!   over the devices. Every answer must be `{"accepted": n}`.
//! - `mqtt`: one MQTT connection per device publishes the same batches at QoS 1, with up to
//!   BENCH_INFLIGHT (default 8) unacknowledged; points count once acknowledged (committed).
//! - `latency`: BENCH_SUBSCRIBERS GraphQL subscriptions (default 1,000) to `deviceTelemetry`,
//!   spread over the devices; once every one has heard a reading, single readings are posted
//!   at BENCH_RATE requests/s (default 100) for BENCH_SECONDS, each carrying its send time,
//!   and every subscriber records how long each took to reach it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tianguis_bench::{base_url, gql};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn setting(name: &str, default: usize) -> anyhow::Result<usize> {
    Ok(std::env::var(name).map_or(Ok(default), |v| v.parse())?)
}

struct Fleet {
    owner: String,
    devices: Vec<(String, String)>,
}

async fn fleet(client: &reqwest::Client, devices: usize) -> anyhow::Result<Fleet> {
    let owner = gql(
        client,
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken tenantId } }",
        json!({ "input": { "businessName": "Bench IoT", "email": format!("iot-{}@example.mx", uuid::Uuid::new_v4().simple()), "password": "tortilla-de-maiz-7", "displayName": "Bench" } }),
    )
    .await?;
    // A fleet is more devices than the free plan includes.
    tianguis_bench::on_enterprise_plan(
        owner["signUp"]["tenantId"]
            .as_str()
            .unwrap_or_default()
            .parse()?,
    )
    .await?;
    let owner = owner["signUp"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut created = Vec::with_capacity(devices);
    for n in 0..devices {
        let device = gql(
            client,
            Some(&owner),
            "mutation($n: String!) { createDevice(input: { name: $n }) { token device { id } } }",
            json!({ "n": format!("sensor-{n}") }),
        )
        .await?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        created.push((
            text(&device["createDevice"]["device"]["id"]),
            text(&device["createDevice"]["token"]),
        ));
    }
    Ok(Fleet {
        owner,
        devices: created,
    })
}

/// `samples` samples of five keys, timestamped just before now.
fn batch(samples: usize) -> Value {
    let now = chrono::Utc::now().timestamp_millis();
    Value::from(
        (0..samples)
            .map(|s| json!({ "ts": now - (samples - s) as i64, "values": {
                "temperature": 4.0 + (s % 10) as f64 / 10.0, "humidity": 80, "door": s % 2 == 0, "voltage": 3.3, "rssi": -60 } }))
            .collect::<Vec<_>>(),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "http".into());
    let devices = setting("BENCH_DEVICES", 100)?;
    let seconds = setting("BENCH_SECONDS", 15)? as u64;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let fleet = fleet(&client, devices).await?;
    match mode.as_str() {
        "http" => http(&client, &fleet, seconds).await,
        "mqtt" => mqtt(&fleet, seconds).await,
        "latency" => latency(&client, &fleet, seconds).await,
        other => anyhow::bail!("unknown mode {other}: http, mqtt or latency"),
    }
}

async fn http(client: &reqwest::Client, fleet: &Fleet, seconds: u64) -> anyhow::Result<()> {
    let concurrency = setting("BENCH_CONCURRENCY", 16)?;
    let samples = setting("BENCH_BATCH", 100)?;
    let tokens: Arc<Vec<String>> = Arc::new(fleet.devices.iter().map(|d| d.1.clone()).collect());
    let points = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for c in 0..concurrency {
        let (client, tokens, points, requests) = (
            client.clone(),
            tokens.clone(),
            points.clone(),
            requests.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = c;
            // The server answers once the points are committed: each request's time is
            // its points' way from the client to the database.
            let mut committed_ms = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let answer: Value = client
                    .post(format!("{}/api/v1/telemetry", base_url()))
                    .bearer_auth(&tokens[i % tokens.len()])
                    .json(&batch(samples))
                    .send()
                    .await?
                    .json()
                    .await?;
                let accepted = answer["accepted"]
                    .as_u64()
                    .ok_or_else(|| anyhow::anyhow!("refused: {answer}"))?;
                committed_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                points.fetch_add(accepted, Ordering::Relaxed);
                requests.fetch_add(1, Ordering::Relaxed);
                i += concurrency;
            }
            anyhow::Ok(committed_ms)
        }));
    }
    let mut committed_ms = Vec::new();
    for w in workers {
        committed_ms.extend(w.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    committed_ms.sort_by(f64::total_cmp);
    let at = |q: f64| committed_ms[((committed_ms.len() - 1) as f64 * q) as usize];
    println!(
        "telemetry over HTTP: {:.0} points/s ({:.0} requests/s of {} points) from {concurrency} clients to {} devices; sent to committed p50 {:.1} ms, p99 {:.1} ms",
        points.load(Ordering::Relaxed) as f64 / elapsed,
        requests.load(Ordering::Relaxed) as f64 / elapsed,
        samples * 5,
        fleet.devices.len(),
        at(0.5),
        at(0.99),
    );
    Ok(())
}

async fn mqtt(fleet: &Fleet, seconds: u64) -> anyhow::Result<()> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let samples = setting("BENCH_BATCH", 100)?;
    let inflight = setting("BENCH_INFLIGHT", 8)?;
    let address = std::env::var("BENCH_MQTT").unwrap_or_else(|_| "127.0.0.1:1884".into());
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| anyhow::anyhow!("BENCH_MQTT is host:port"))?;
    let port: u16 = port.parse()?;
    let acknowledged = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut connections = Vec::new();
    for (n, (_, token)) in fleet.devices.iter().enumerate() {
        let mut options = MqttOptions::new(format!("bench-{n}"), host, port);
        options.set_credentials("device", token.as_str());
        options.set_keep_alive(Duration::from_secs(60));
        options.set_inflight(u16::try_from(inflight)?);
        options.set_max_packet_size(1024 * 1024, 1024 * 1024);
        let (client, mut events) = AsyncClient::new(options, inflight);
        let acknowledged = acknowledged.clone();
        let per_message = (samples * 5) as u64;
        connections.push(tokio::spawn(async move {
            let publisher = tokio::spawn(async move {
                while Instant::now() < deadline {
                    let payload = serde_json::to_vec(&batch(samples))?;
                    client
                        .publish("v1/devices/me/telemetry", QoS::AtLeastOnce, false, payload)
                        .await?;
                }
                anyhow::Ok(())
            });
            loop {
                match tokio::time::timeout_at(deadline.into(), events.poll()).await {
                    Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => {
                        acknowledged.fetch_add(per_message, Ordering::Relaxed);
                    }
                    Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => {
                        anyhow::ensure!(
                            ack.code == rumqttc::ConnectReturnCode::Success,
                            "refused: {ack:?}"
                        );
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => anyhow::bail!("connection failed: {err}"),
                    Err(_) => break,
                }
            }
            publisher.abort();
            anyhow::Ok(())
        }));
    }
    for c in connections {
        c.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "telemetry over MQTT: {:.0} points/s acknowledged ({:.0} messages/s of {} points) over {} connections, {inflight} in flight each",
        acknowledged.load(Ordering::Relaxed) as f64 / elapsed,
        acknowledged.load(Ordering::Relaxed) as f64 / elapsed / (samples * 5) as f64,
        samples * 5,
        fleet.devices.len(),
    );
    Ok(())
}

/// Microseconds since the Unix epoch: readings carry their send time in this.
fn now_micros() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64
}

async fn latency(client: &reqwest::Client, fleet: &Fleet, seconds: u64) -> anyhow::Result<()> {
    let subscribers = setting("BENCH_SUBSCRIBERS", 1_000)?;
    let rate = setting("BENCH_RATE", 100)?;
    let ws_url = format!("{}/graphql/ws", base_url().replace("http://", "ws://"));
    let heard_once = Arc::new(AtomicUsize::new(0));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut listeners = Vec::with_capacity(subscribers);
    for s in 0..subscribers {
        let device = fleet.devices[s % fleet.devices.len()].0.clone();
        let mut request = ws_url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", fleet.owner) } });
        ws.send(Message::Text(init.to_string().into())).await?;
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($d: ID!) { deviceTelemetry(deviceId: $d) { values { number } } }",
            "variables": { "d": device } } });
        ws.send(Message::Text(subscribe.to_string().into())).await?;
        let (heard_once, measuring, mut stop) =
            (heard_once.clone(), measuring.clone(), stop.clone());
        listeners.push(tokio::spawn(async move {
            let mut latencies: Vec<f64> = Vec::new();
            let mut heard = false;
            loop {
                let message = tokio::select! {
                    m = ws.next() => m,
                    _ = stop.changed() => break,
                };
                let Some(Ok(Message::Text(text))) = message else {
                    if matches!(message, None | Some(Err(_))) {
                        break;
                    }
                    continue;
                };
                let arrived = now_micros();
                let value: Value = serde_json::from_str(&text)?;
                if value["type"] == "ping" {
                    ws.send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                        .await?;
                    continue;
                }
                let Some(sent) =
                    value["payload"]["data"]["deviceTelemetry"]["values"][0]["number"].as_f64()
                else {
                    continue;
                };
                if !heard {
                    heard = true;
                    heard_once.fetch_add(1, Ordering::Relaxed);
                }
                if measuring.load(Ordering::Relaxed) && sent > 1.0 {
                    latencies.push((arrived - sent) / 1000.0);
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    // The protocol does not acknowledge a subscription: readings go out until every
    // subscriber has heard one.
    let post = |token: String, value: f64| {
        let client = client.clone();
        async move {
            let answer: Value = client
                .post(format!("{}/api/v1/telemetry", base_url()))
                .bearer_auth(token)
                .json(&json!({ "latency": value }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::ensure!(answer["accepted"] == 1, "refused: {answer}");
            anyhow::Ok(())
        }
    };
    let warm_up = Instant::now();
    while heard_once.load(Ordering::Relaxed) < subscribers {
        anyhow::ensure!(
            warm_up.elapsed() < Duration::from_secs(120),
            "subscribers never all heard a reading"
        );
        for (_, token) in &fleet.devices {
            post(token.clone(), 1.0).await?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    measuring.store(true, Ordering::Relaxed);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut sent = 0usize;
    let mut in_flight = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let due = started + interval * u32::try_from(sent)?;
        tokio::time::sleep_until(due.into()).await;
        let token = fleet.devices[sent % fleet.devices.len()].1.clone();
        in_flight.push(tokio::spawn(post(token, now_micros())));
        sent += 1;
    }
    for p in in_flight {
        p.await??;
    }
    // Let the last readings arrive, then stop listening.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop_tx.send(true);
    let mut all: Vec<f64> = Vec::new();
    for l in listeners {
        all.extend(l.await??);
    }
    all.sort_by(f64::total_cmp);
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let expected = sent * subscribers / fleet.devices.len();
    println!(
        "ingest → subscriber: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} deliveries ({} expected) to {subscribers} subscribers at {rate} readings/s",
        at(0.5),
        at(0.99),
        all.last().copied().unwrap_or(f64::NAN),
        all.len(),
        expected,
    );
    Ok(())
}
