//! Appointments under load, against a running server.
//!
//!   ./target/release/scheduling availability  # free times of 20 staff over 30 days
//!   ./target/release/scheduling contention    # many clients booking the same few times
//!
//! BENCH_URL is the server; DATABASE_URL its database, to move the business the scenario
//! signs up to the enterprise plan. Each run signs up a fresh business.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tianguis_bench::{PASSWORD, client, gql, load_test};
use uuid::Uuid;

const STAFF: usize = 20;
const DAYS: i64 = 30;
const APPOINTMENTS: usize = 5_000;
/// Bookings in flight while the calendar is filled.
const FILLING: usize = 8;

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

struct Clinic {
    token: String,
    service: String,
    staff: Vec<String>,
    /// The first day bookable in full: the day after tomorrow in Mexico City.
    first_day: NaiveDate,
}

/// A business in Mexico City with `staff` people working 08:00–20:00 every day and a
/// 30-minute service all of them perform.
async fn clinic(client: &reqwest::Client, staff: usize) -> anyhow::Result<Clinic> {
    let data = gql(
        client,
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken tenantId } }",
        json!({ "input": { "businessName": "Clínica Bench", "email": format!("{}@bench.example.mx", Uuid::new_v4().simple()),
                           "password": PASSWORD, "displayName": "Dueña", "timezone": "America/Mexico_City" } }),
    )
    .await?;
    tianguis_bench::on_enterprise_plan(text(&data["signUp"]["tenantId"]).parse()?).await?;
    let token = text(&data["signUp"]["accessToken"]);
    let t = Some(token.as_str());
    let hours: Vec<Value> = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
        .iter()
        .map(|d| json!({ "weekday": d, "opens": "08:00:00", "closes": "20:00:00" }))
        .collect();
    let mut ids = Vec::new();
    for n in 0..staff {
        let created = gql(
            client,
            t,
            "mutation($n: String!) { createResource(input: { name: $n }) { id } }",
            json!({ "n": format!("Especialista {n:02}") }),
        )
        .await?;
        let id = text(&created["createResource"]["id"]);
        gql(
            client,
            t,
            "mutation($r: ID!, $h: [WorkingHoursInput!]!) { setWorkingHours(input: { resourceId: $r, hours: $h }) { weekday } }",
            json!({ "r": id, "h": hours }),
        )
        .await?;
        ids.push(id);
    }
    let service = gql(
        client,
        t,
        "mutation($input: CreateServiceInput!) { createService(input: $input) { id } }",
        json!({ "input": { "name": "Consulta", "durationMinutes": 30, "intervalMinutes": 30, "price": "500",
                           "maxAdvanceDays": 120, "resourceIds": ids } }),
    )
    .await?;
    let first_day = (Utc::now() - TimeDelta::hours(6)).date_naive() + TimeDelta::days(2);
    Ok(Clinic {
        token,
        service: text(&service["createService"]["id"]),
        staff: ids,
        first_day,
    })
}

/// 08:00 in Mexico City (UTC−6 all year) on `day`, plus `slot` half hours.
fn at(day: NaiveDate, slot: i64) -> DateTime<Utc> {
    day.and_hms_opt(14, 0, 0).unwrap_or_default().and_utc() + TimeDelta::minutes(30 * slot)
}

const BOOK: &str = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { id resource { id } startsAt endsAt } }";

async fn availability(client: &reqwest::Client) -> anyhow::Result<()> {
    let clinic = clinic(client, STAFF).await?;
    // 250 appointments each, spread over the 30 days (8 or 9 a day of 24 half hours).
    let started = Instant::now();
    let bookings = (0..APPOINTMENTS).map(|i| {
        let (person, n) = (i % STAFF, (i / STAFF) as i64);
        let day = clinic.first_day + TimeDelta::days(n % DAYS);
        let slot = (n / DAYS) * 2 + (person as i64 % 2);
        let input = json!({ "serviceId": clinic.service, "resourceId": clinic.staff[person], "startsAt": at(day, slot) });
        let (client, token) = (client.clone(), clinic.token.clone());
        async move { gql(&client, Some(&token), BOOK, json!({ "input": input })).await }
    });
    let booked: Vec<_> = futures_util::stream::iter(bookings)
        .buffer_unordered(FILLING)
        .collect()
        .await;
    for b in booked {
        b?;
    }
    let filling = started.elapsed().as_secs_f64();
    let (from, to) = (
        clinic.first_day,
        clinic.first_day + TimeDelta::days(DAYS - 1),
    );
    let free = gql(
        client,
        Some(&clinic.token),
        "query($s: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityDays(serviceId: $s, from: $f, to: $t) { startsAt } }",
        json!({ "s": clinic.service, "f": from, "t": to }),
    )
    .await?;
    let slots: usize = free["availabilityDays"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|day| day["startsAt"].as_array().map_or(0, Vec::len))
        .sum();
    let expected = STAFF * DAYS as usize * 24 - APPOINTMENTS;
    anyhow::ensure!(slots == expected, "{slots} free times, expected {expected}");
    println!(
        "filled {APPOINTMENTS} appointments in {filling:.1} s ({:.0}/s with {FILLING} in flight)",
        APPOINTMENTS as f64 / filling
    );

    // The month for everyone (what a front desk's calendar asks) and for one person (what
    // a customer picking their doctor asks), by day; and the month for everyone as separate
    // slots, the older shape.
    let by_day = "query($s: ID!, $f: NaiveDate!, $t: NaiveDate!, $r: ID) { answer: availabilityDays(serviceId: $s, from: $f, to: $t, resourceId: $r) { date startsAt resource { id } } }";
    let by_slot = "query($s: ID!, $f: NaiveDate!, $t: NaiveDate!, $r: ID) { answer: availability(serviceId: $s, from: $f, to: $t, resourceId: $r) { startsAt endsAt resource { id } } }";
    for (label, query, person) in [
        ("availabilityDays, 20 staff, 30 days", by_day, None),
        (
            "availabilityDays, one person, 30 days",
            by_day,
            Some(clinic.staff[0].clone()),
        ),
        ("availability (slots), 20 staff, 30 days", by_slot, None),
    ] {
        let (service, person) = (clinic.service.clone(), person.clone());
        let load = load_test(client, vec![clinic.token.clone()], move |client, token| {
            let variables = json!({ "s": service, "f": from, "t": to, "r": person });
            async move {
                let data = gql(&client, Some(&token), query, variables).await?;
                anyhow::ensure!(data["answer"].as_array().is_some_and(|a| !a.is_empty()));
                Ok(())
            }
        })
        .await?;
        println!("{label} ({slots} free times in all): {load}");
    }
    Ok(())
}

/// CLIENTS customers at once, each trying the same few times until every time is taken;
/// then the stored calendar is checked for any person booked twice.
async fn contention(client: &reqwest::Client) -> anyhow::Result<()> {
    const CLIENTS: usize = 64;
    const ROUNDS: i64 = 20;
    let clinic = Arc::new(clinic(client, 2).await?);
    let started = Instant::now();
    let (mut won, mut refused) = (0, 0);
    for round in 0..ROUNDS {
        // Three times a round, for two people: six places, 64 customers after them.
        let day = clinic.first_day + TimeDelta::days(round % DAYS);
        let times: Vec<DateTime<Utc>> = (0..3).map(|s| at(day, s + 3 * (round / DAYS))).collect();
        let tries = (0..CLIENTS).map(|c| {
            let (client, clinic) = (client.clone(), clinic.clone());
            let starts = times[c % times.len()];
            async move {
                let input = json!({ "serviceId": clinic.service, "startsAt": starts });
                client
                    .post(format!("{}/graphql", tianguis_bench::base_url()))
                    .bearer_auth(&clinic.token)
                    .json(&json!({ "query": BOOK, "variables": { "input": input } }))
                    .send()
                    .await?
                    .json::<Value>()
                    .await
            }
        });
        for answer in futures_util::future::join_all(tries).await {
            let answer = answer?;
            match answer["errors"][0]["extensions"]["code"].as_str() {
                None => won += 1,
                Some("CONFLICT") => refused += 1,
                Some(_) => anyhow::bail!("unexpected answer: {answer}"),
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored = gql(
        client,
        Some(&clinic.token),
        "query($f: DateTime!, $t: DateTime!) { appointments(from: $f, to: $t) { resource { id } startsAt endsAt status } }",
        json!({ "f": at(clinic.first_day, -2), "t": at(clinic.first_day + TimeDelta::days(DAYS), 0) }),
    )
    .await?;
    let mut by_person: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for a in stored["appointments"].as_array().into_iter().flatten() {
        by_person
            .entry(text(&a["resource"]["id"]))
            .or_default()
            .push((text(&a["startsAt"]), text(&a["endsAt"])));
    }
    let mut double_booked = 0;
    for times in by_person.values_mut() {
        times.sort();
        double_booked += times.windows(2).filter(|w| w[1].0 < w[0].1).count();
    }
    let stored: usize = by_person.values().map(Vec::len).sum();
    println!(
        "contention: {ROUNDS} rounds of {CLIENTS} customers after 6 places in {elapsed:.1} s: {won} booked, {refused} refused, {stored} stored, {double_booked} double bookings"
    );
    anyhow::ensure!(won as i64 == ROUNDS * 6, "every place is taken once");
    anyhow::ensure!(stored == won && double_booked == 0, "a double booking");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = client()?;
    match std::env::args().nth(1).as_deref() {
        Some("availability") => availability(&client).await,
        Some("contention") => contention(&client).await,
        _ => anyhow::bail!("usage: scheduling availability | contention"),
    }
}
