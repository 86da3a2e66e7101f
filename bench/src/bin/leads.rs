//! The nested leads page under load: 50 leads with contact, company, owner, the last 3
//! activities and the total count, against a running server.
//!
//!   ./target/release/leads seed    # 10 businesses × 10,000 leads
//!   ./target/release/leads run     # throughput, then latency at half that rate
//!
//! BENCH_URL is the server (default http://127.0.0.1:8080); `seed` also needs the server's
//! DATABASE_URL, to bulk-load what would take hours through the API. Businesses are signed up
//! through the API (owner `bench-owner-N@example.mx`) and moved to the enterprise plan so
//! the per-business rate limit (12,000 requests a minute) does not cut the run short.

use std::time::Instant;

use chrono::{TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use serde_json::json;
use tianguis_bench::{PASSWORD, gql};
use tianguis_entity::crm::{activities, companies, contacts, leads};
use uuid::Uuid;

const TENANTS: usize = 10;
const LEADS_PER_TENANT: usize = 10_000;
const COMPANIES_PER_TENANT: usize = 1_000;
const ACTIVITIES_PER_LEAD: usize = 4;
const BATCH: usize = 1_000;

const QUERY: &str =
    "{ leads(first: 50) { totalCount edges { node { id title value { amount currency }
    contact { name email phone } company { name rfc } owner { displayName }
    recentActivities(limit: 3) { kind subject occurredAt } } } } }";

fn owner_email(n: usize) -> String {
    format!("bench-owner-{n}@example.mx")
}

async fn seed(client: &reqwest::Client) -> anyhow::Result<()> {
    let url =
        std::env::var("DATABASE_URL").map_err(|_| anyhow::anyhow!("seed needs DATABASE_URL"))?;
    let db = Database::connect(url).await?;
    let started = Instant::now();
    for n in 0..TENANTS {
        let data = gql(
            client,
            None,
            "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken tenantId userId } }",
            json!({ "input": { "businessName": format!("Bench {n}"), "email": owner_email(n), "password": PASSWORD, "displayName": format!("Dueña {n}") } }),
        )
        .await?;
        let token = data["signUp"]["accessToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let tenant: Uuid = data["signUp"]["tenantId"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        let owner: Uuid = data["signUp"]["userId"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        let pipeline = gql(
            client,
            Some(&token),
            "{ pipeline { id stages { id } } }",
            json!({}),
        )
        .await?;
        let pipeline_id: Uuid = pipeline["pipeline"]["id"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        let stage_ids: Vec<Uuid> = pipeline["pipeline"]["stages"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|s| s["id"].as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        tianguis_bench::on_enterprise_plan(tenant).await?;
        let now = Utc::now();
        let company_ids: Vec<Uuid> = (0..COMPANIES_PER_TENANT).map(|_| Uuid::now_v7()).collect();
        for chunk in company_ids.chunks(BATCH) {
            companies::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| {
                companies::ActiveModel {
                    id: Set(*id),
                    tenant_id: Set(tenant),
                    name: Set(format!("Empresa {n}-{i}")),
                    legal_name: Set(None),
                    rfc: Set(Some(format!("BEN{:06}A{:02}", 900101 + i % 28, i % 100))),
                    tax_regime: Set(Some("601".into())),
                    postal_code: Set(Some("06600".into())),
                    email: Set(None),
                    phone: Set(None),
                    website: Set(None),
                    city: Set(Some("CDMX".into())),
                    owner_id: Set(Some(owner)),
                    tags: Set(json!([])),
                    custom_fields: Set(json!({})),
                    is_customer: Set(false),
                    customer_since: Set(None),
                    search_text: Set(format!("empresa {n}-{i}")),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            }))
            .exec(&db)
            .await?;
        }
        for batch in 0..LEADS_PER_TENANT / BATCH {
            let rows: Vec<(Uuid, Uuid, Uuid)> = (0..BATCH)
                .map(|i| {
                    (
                        Uuid::now_v7(),
                        Uuid::now_v7(),
                        company_ids[(batch * BATCH + i) % COMPANIES_PER_TENANT],
                    )
                })
                .collect();
            contacts::Entity::insert_many(rows.iter().enumerate().map(
                |(i, (contact, _, company))| contacts::ActiveModel {
                    id: Set(*contact),
                    tenant_id: Set(tenant),
                    first_name: Set(format!("Persona {}", batch * BATCH + i)),
                    last_name: Set("Bench".into()),
                    email: Set(Some(format!("p{}-{n}@example.mx", batch * BATCH + i))),
                    phone: Set(Some(format!("+5255{:08}", batch * BATCH + i))),
                    rfc: Set(None),
                    job_title: Set(None),
                    city: Set(None),
                    company_id: Set(Some(*company)),
                    owner_id: Set(Some(owner)),
                    tags: Set(json!([])),
                    custom_fields: Set(json!({})),
                    is_customer: Set(false),
                    customer_since: Set(None),
                    search_text: Set(format!("persona {} bench", batch * BATCH + i)),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            ))
            .exec(&db)
            .await?;
            leads::Entity::insert_many(rows.iter().enumerate().map(
                |(i, (contact, lead, company))| leads::ActiveModel {
                    id: Set(*lead),
                    tenant_id: Set(tenant),
                    title: Set(format!("Oportunidad {}", batch * BATCH + i)),
                    contact_id: Set(Some(*contact)),
                    company_id: Set(Some(*company)),
                    source: Set("web".into()),
                    owner_id: Set(Some(owner)),
                    value_minor: Set(((batch * BATCH + i) as i64 % 500 + 1) * 10_000),
                    currency: Set("MXN".into()),
                    expected_close_on: Set(None),
                    pipeline_id: Set(pipeline_id),
                    stage_id: Set(stage_ids[i % 5]),
                    status: Set("open".into()),
                    lost_reason: Set(None),
                    next_follow_up_at: Set(None),
                    tags: Set(json!([])),
                    custom_fields: Set(json!({})),
                    score: Set(30),
                    score_reasons: Set(json!([])),
                    last_activity_at: Set(Some(now)),
                    closed_at: Set(None),
                    utm_source: Set(None),
                    utm_medium: Set(None),
                    utm_campaign: Set(None),
                    referrer: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            ))
            .exec(&db)
            .await?;
            let activity_rows = rows.iter().flat_map(|(contact, lead, company)| {
                (0..ACTIVITIES_PER_LEAD).map(move |k| activities::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant),
                    kind: Set(["call", "email", "meeting", "whatsapp"][k].into()),
                    subject: Set(format!("Seguimiento {k}")),
                    body: Set(String::new()),
                    contact_id: Set(Some(*contact)),
                    company_id: Set(Some(*company)),
                    lead_id: Set(Some(*lead)),
                    author_id: Set(Some(owner)),
                    assignee_id: Set(None),
                    due_at: Set(None),
                    done_at: Set(None),
                    occurred_at: Set(now - TimeDelta::hours(k as i64)),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
            });
            let activity_rows: Vec<activities::ActiveModel> = activity_rows.collect();
            for chunk in activity_rows.chunks(BATCH) {
                activities::Entity::insert_many(chunk.to_vec())
                    .exec(&db)
                    .await?;
            }
        }
        println!(
            "tenant {n} seeded ({:.0} s so far)",
            started.elapsed().as_secs_f64()
        );
    }
    // Index-only counts need the visibility map that VACUUM sets, as autovacuum would.
    db.execute_unprepared("VACUUM ANALYZE").await?;
    println!(
        "seeded {} leads in {:.0} s",
        TENANTS * LEADS_PER_TENANT,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn one(client: &reqwest::Client, token: &str) -> anyhow::Result<()> {
    let data = gql(client, Some(token), QUERY, json!({})).await?;
    let edges = data["leads"]["edges"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(edges == 50, "expected 50 leads, got {edges}");
    Ok(())
}

async fn run(client: &reqwest::Client) -> anyhow::Result<()> {
    let owners = (0..TENANTS).map(owner_email);
    let load = tianguis_bench::load_test_as(client, owners, |client, token| async move {
        one(&client, &token).await
    })
    .await?;
    println!("leads page: {load}");
    Ok(())
}

/// The owners' access tokens, one per line, for `wrk -s bench/wrk/leads.lua`.
async fn tokens(client: &reqwest::Client) -> anyhow::Result<()> {
    for n in 0..TENANTS {
        println!("{}", tianguis_bench::log_in(client, &owner_email(n)).await?);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = tianguis_bench::client()?;
    match std::env::args().nth(1).as_deref() {
        Some("seed") => seed(&client).await,
        Some("run") => run(&client).await,
        Some("tokens") => tokens(&client).await,
        _ => anyhow::bail!("usage: leads seed | leads run | leads tokens"),
    }
}
