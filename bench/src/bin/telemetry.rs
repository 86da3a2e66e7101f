//! Telemetry ingest over HTTP: points per second into a running server.
//!
//!   BENCH_URL=http://127.0.0.1:8088 ./target/release/telemetry
//!
//! Signs up a business, creates BENCH_DEVICES devices (default 100), then BENCH_CONCURRENCY
//! clients (default 16) post batches of BENCH_BATCH samples (default 100 samples of 5 keys,
//! 500 points) for BENCH_SECONDS (default 15), round robin over the devices, each batch with
//! fresh timestamps. Every answer must be `{"accepted": n}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tianguis_bench::{base_url, gql};

fn setting(name: &str, default: usize) -> anyhow::Result<usize> {
    Ok(std::env::var(name).map_or(Ok(default), |v| v.parse())?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = setting("BENCH_DEVICES", 100)?;
    let concurrency = setting("BENCH_CONCURRENCY", 16)?;
    let samples = setting("BENCH_BATCH", 100)?;
    let seconds = setting("BENCH_SECONDS", 15)? as u64;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let owner = gql(
        &client,
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
        json!({ "input": { "businessName": "Bench IoT", "email": format!("iot-{}@example.mx", uuid::Uuid::new_v4().simple()), "password": "tortilla-de-maiz-7", "displayName": "Bench" } }),
    )
    .await?;
    let owner = owner["signUp"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut tokens = Vec::with_capacity(devices);
    for n in 0..devices {
        let created = gql(
            &client,
            Some(&owner),
            "mutation($n: String!) { createDevice(input: { name: $n }) { token } }",
            json!({ "n": format!("sensor-{n}") }),
        )
        .await?;
        tokens.push(
            created["createDevice"]["token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let tokens = Arc::new(tokens);
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
            while Instant::now() < deadline {
                let now = chrono::Utc::now().timestamp_millis();
                let batch: Vec<Value> = (0..samples)
                    .map(|s| json!({ "ts": now - (samples - s) as i64, "values": {
                        "temperature": 4.0 + (s % 10) as f64 / 10.0, "humidity": 80, "door": s % 2 == 0, "voltage": 3.3, "rssi": -60 } }))
                    .collect();
                let answer: Value = client
                    .post(format!("{}/api/v1/telemetry", base_url()))
                    .bearer_auth(&tokens[i % tokens.len()])
                    .json(&batch)
                    .send()
                    .await?
                    .json()
                    .await?;
                let accepted = answer["accepted"].as_u64().ok_or_else(|| anyhow::anyhow!("refused: {answer}"))?;
                points.fetch_add(accepted, Ordering::Relaxed);
                requests.fetch_add(1, Ordering::Relaxed);
                i += concurrency;
            }
            anyhow::Ok(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "telemetry over HTTP: {:.0} points/s ({:.0} requests/s of {} points) from {concurrency} clients to {devices} devices",
        points.load(Ordering::Relaxed) as f64 / elapsed,
        requests.load(Ordering::Relaxed) as f64 / elapsed,
        samples * 5,
    );
    Ok(())
}
