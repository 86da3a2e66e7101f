//! The till and the prepaid readers under load, against a running server.
//!
//!   ./target/release/commerce tickets          # tickets of 5 lines, paid in cash
//!   ./target/release/commerce charges distinct # reader charges spread over 1,000 cards
//!   ./target/release/commerce charges hot      # every reader charge on one card
//!
//! BENCH_URL is the server; DATABASE_URL its database, to move the businesses the scenario
//! signs up to the enterprise plan (so plan limits do not cut the run short). Each run signs
//! up fresh businesses, so runs do not disturb one another.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tianguis_bench::{PASSWORD, client, gql, load_test};
use uuid::Uuid;

/// Businesses the tickets are spread over: each has its own till, as shops do.
const SHOPS: usize = 10;
const LINES: usize = 5;

struct Shop {
    token: String,
    session: String,
    variants: Vec<String>,
}

async fn business(client: &reqwest::Client, name: &str) -> anyhow::Result<(String, Uuid)> {
    let data = gql(
        client,
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken tenantId } }",
        json!({ "input": { "businessName": name, "email": format!("{}@bench.example.mx", Uuid::new_v4().simple()),
                           "password": PASSWORD, "displayName": "Dueña" } }),
    )
    .await?;
    let tenant: Uuid = data["signUp"]["tenantId"]
        .as_str()
        .unwrap_or_default()
        .parse()?;
    tianguis_bench::on_enterprise_plan(tenant).await?;
    Ok((
        data["signUp"]["accessToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        tenant,
    ))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A business with a store, a till with an open session, and `LINES` products with stock
/// for the whole run.
async fn shop(client: &reqwest::Client, n: usize) -> anyhow::Result<Shop> {
    let (token, _) = business(client, &format!("Abarrotes {n}")).await?;
    let t = Some(token.as_str());
    let location = gql(
        client,
        t,
        "mutation { createStockLocation(input: { name: \"Tienda\" }) { id } }",
        json!({}),
    )
    .await?;
    let location = text(&location["createStockLocation"]["id"]);
    let register = gql(
        client,
        t,
        "mutation($l: ID!) { createRegister(input: { name: \"Caja 1\", locationId: $l }) { id } }",
        json!({ "l": location }),
    )
    .await?;
    let session = gql(
        client,
        t,
        "mutation($r: ID!) { openCashSession(input: { registerId: $r, openingFloat: \"500\" }) { id } }",
        json!({ "r": register["createRegister"]["id"] }),
    )
    .await?;
    let mut variants = Vec::new();
    for i in 0..LINES {
        let product = gql(
            client,
            t,
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { variants { id } } }",
            json!({ "input": { "name": format!("Producto {i}"), "variants": [{ "sku": format!("SKU-{i}"), "price": "10.50" }] } }),
        )
        .await?;
        let variant = text(&product["createProduct"]["variants"][0]["id"]);
        gql(
            client,
            t,
            "mutation($l: ID!, $v: ID!) { receiveStock(input: { locationId: $l, lines: [{ variantId: $v, quantity: \"10000000\", unitCost: \"5\" }] }) { id } }",
            json!({ "l": location, "v": variant }),
        )
        .await?;
        variants.push(variant);
    }
    Ok(Shop {
        token,
        session: text(&session["openCashSession"]["id"]),
        variants,
    })
}

async fn tickets(client: &reqwest::Client) -> anyhow::Result<()> {
    let mut shops = Vec::new();
    for n in 0..SHOPS {
        shops.push(shop(client, n).await?);
    }
    // The load helper hands each request a token; the token picks the shop.
    let by_token: Arc<std::collections::HashMap<String, (String, Vec<String>)>> = Arc::new(
        shops
            .iter()
            .map(|s| (s.token.clone(), (s.session.clone(), s.variants.clone())))
            .collect(),
    );
    let tokens = shops.iter().map(|s| s.token.clone()).collect();
    let sold = Arc::new(AtomicUsize::new(0));
    let counted = sold.clone();
    let load = load_test(client, tokens, move |client, token| {
        let (by_token, sold) = (by_token.clone(), counted.clone());
        async move {
            let (session, variants) = &by_token[&token];
            let lines: Vec<Value> = variants
                .iter()
                .enumerate()
                .map(|(i, v)| json!({ "variantId": v, "quantity": (i % 3 + 1).to_string() }))
                .collect();
            // 10.50 × (1 + 2 + 3 + 1 + 2) = 94.50, handed over as a 100 note.
            let data = gql(
                &client,
                Some(&token),
                "mutation($input: CreateTicketInput!) { createTicket(input: $input) { total { amount } change { amount } } }",
                json!({ "input": {
                    "sessionId": session,
                    "idempotencyKey": Uuid::new_v4().to_string(),
                    "lines": lines,
                    "payments": [{ "method": "CASH", "amount": "100" }],
                } }),
            )
            .await?;
            anyhow::ensure!(
                data["createTicket"]["change"]["amount"] == "5.50",
                "unexpected ticket: {data}"
            );
            sold.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    })
    .await?;
    println!(
        "tickets ({LINES} lines, cash with change, {SHOPS} shops): {load}; {} tickets recorded",
        sold.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Posts one reader charge; whether it was approved.
async fn charge(
    client: &reqwest::Client,
    device_token: &str,
    card: &str,
    amount: &str,
) -> anyhow::Result<bool> {
    let response = client
        .post(format!("{}/api/v1/prepaid/charges", tianguis_bench::base_url()))
        .bearer_auth(device_token)
        .json(&json!({ "cardUid": card, "amount": amount, "transactionId": Uuid::new_v4().to_string() }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "charge refused: {}",
        response.status()
    );
    let body: Value = response.json().await?;
    Ok(body["approved"] == true)
}

async fn charges(client: &reqwest::Client, hot: bool) -> anyhow::Result<()> {
    let cards = if hot { 1 } else { 1_000 };
    let (token, _) = business(client, "Bar").await?;
    let t = Some(token.as_str());
    let location = gql(
        client,
        t,
        "mutation { createStockLocation(input: { name: \"Barra\" }) { id } }",
        json!({}),
    )
    .await?;
    let register = gql(
        client,
        t,
        "mutation($l: ID!) { createRegister(input: { name: \"Caja\", locationId: $l }) { id } }",
        json!({ "l": location["createStockLocation"]["id"] }),
    )
    .await?;
    let session = gql(
        client,
        t,
        "mutation($r: ID!) { openCashSession(input: { registerId: $r, openingFloat: \"0\" }) { id } }",
        json!({ "r": register["createRegister"]["id"] }),
    )
    .await?;
    let session = text(&session["openCashSession"]["id"]);
    // A balance no run can spend: a decline would not measure a charge.
    let balance = "10000000.00";
    let mut uids = Vec::with_capacity(cards);
    for n in 0..cards {
        let uid = format!("CARD{n:06}");
        let issued = gql(
            client,
            t,
            "mutation($u: String!) { issuePrepaidCard(input: { uid: $u }) { id } }",
            json!({ "u": uid }),
        )
        .await?;
        gql(
            client,
            t,
            "mutation($c: ID!, $s: ID!, $a: Decimal!, $k: String!) { topUpPrepaidCard(input: { cardId: $c, sessionId: $s, amount: $a, method: CASH, transactionId: $k }) { balance { amount } } }",
            json!({ "c": issued["issuePrepaidCard"]["id"], "s": session, "a": balance, "k": Uuid::new_v4().to_string() }),
        )
        .await?;
        uids.push(uid);
    }
    let device = gql(
        client,
        t,
        "mutation { createDevice(input: { name: \"Lector barra\" }) { token } }",
        json!({}),
    )
    .await?;
    let device = text(&device["createDevice"]["token"]);

    let before = tianguis_bench::statements_so_far(client).await?;
    charge(client, &device, &uids[0], "1.00").await?;
    let statements = tianguis_bench::statements_so_far(client).await? - before;

    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").map_or(Ok(32), |n| n.parse())?;
    let seconds: u64 = std::env::var("BENCH_SECONDS").map_or(Ok(15), |n| n.parse())?;
    let (uids, device) = (Arc::new(uids), Arc::new(device));
    let approved = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..concurrency {
        let (client, uids, device, approved, latencies) = (
            client.clone(),
            uids.clone(),
            device.clone(),
            approved.clone(),
            latencies.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut i = c;
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                if charge(&client, &device, &uids[i % uids.len()], "1.00").await? {
                    approved.fetch_add(1, Ordering::Relaxed);
                }
                mine.push(sent.elapsed());
                i += 1;
            }
            latencies.lock().expect("latencies").extend(mine);
            anyhow::Ok(())
        }));
    }
    for c in clients {
        c.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let approved = approved.load(Ordering::Relaxed);
    let mut latencies = latencies.lock().expect("latencies").clone();
    latencies.sort();
    let p99 = latencies
        .get((latencies.len() * 99 / 100).saturating_sub(1))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    // Every approved charge took exactly 1.00: the ledger must say so, to the cent.
    let mut spent = 0.0;
    if hot {
        let card = gql(
            client,
            t,
            "query($u: String!) { prepaidCardByUid(uid: $u) { balance { amount } } }",
            json!({ "u": uids[0] }),
        )
        .await?;
        let left: f64 = card["prepaidCardByUid"]["balance"]["amount"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        spent = 10_000_000.0 - left;
        anyhow::ensure!(
            (spent - (approved + 1) as f64).abs() < 0.001,
            "the hot card's balance is off: spent {spent}, approved {}",
            approved + 1
        );
    }
    println!(
        "prepaid charges over HTTP, {} card(s), {concurrency} readers: {:.0} charges/s, p99 {p99:.1} ms, {statements} SQL statements per charge{}",
        uids.len(),
        approved as f64 / elapsed,
        if hot {
            format!(
                "; the card's balance fell by exactly {spent:.2} for {} approved charges",
                approved + 1
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = client()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["tickets"] => tickets(&client).await,
        ["charges", "distinct"] => charges(&client, false).await,
        ["charges", "hot"] => charges(&client, true).await,
        _ => anyhow::bail!("usage: commerce tickets | charges distinct | charges hot"),
    }
}
