//! The inbox under load: 50 open conversations, most recent first, with contact, channel,
//! assignee and the total count, against a running server.
//!
//!   ./target/release/inbox seed    # 10 businesses × 2,000 conversations × 5 messages
//!   ./target/release/inbox run     # throughput, then latency at half that rate
//!
//! BENCH_URL is the server; `seed` also needs the server's DATABASE_URL, to bulk-load.

use std::time::Instant;

use chrono::{TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use serde_json::json;
use tianguis_bench::{PASSWORD, gql};
use tianguis_entity::crm::contacts;
use tianguis_entity::messaging::{channels, conversations, messages};
use uuid::Uuid;

const TENANTS: usize = 10;
const CONVERSATIONS_PER_TENANT: usize = 2_000;
const MESSAGES_PER_CONVERSATION: usize = 5;
const BATCH: usize = 1_000;

const QUERY: &str =
    "{ conversations(first: 50, filter: { statuses: [OPEN, PENDING] }) { totalCount edges { node {
    id status unreadCount lastMessagePreview lastMessageAt labels
    contact { name phone } channel { name kind } assignee { displayName } } } } }";

fn owner_email(n: usize) -> String {
    format!("bench-inbox-{n}@example.mx")
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
            "mutation($input: SignUpInput!) { signUp(input: $input) { tenantId userId } }",
            json!({ "input": { "businessName": format!("Inbox {n}"), "email": owner_email(n), "password": PASSWORD, "displayName": format!("Agente {n}") } }),
        )
        .await?;
        let tenant: Uuid = data["signUp"]["tenantId"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        let owner: Uuid = data["signUp"]["userId"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        tianguis_bench::on_enterprise_plan(tenant).await?;
        let now = Utc::now();
        let channel = Uuid::now_v7();
        channels::Entity::insert(channels::ActiveModel {
            id: Set(channel),
            tenant_id: Set(tenant),
            kind: Set("whatsapp".into()),
            name: Set("Ventas".into()),
            address: Set(format!("{}{n:02}", 1_000_000_000 + n)),
            account_id: Set(Some(format!("{}", 2_000_000_000 + n))),
            display_name: Set(None),
            credentials_sealed: Set(None),
            send_rate_per_second: Set(None),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&db)
        .await?;
        let contact_ids: Vec<Uuid> = (0..CONVERSATIONS_PER_TENANT)
            .map(|_| Uuid::now_v7())
            .collect();
        for (c, chunk) in contact_ids.chunks(BATCH).enumerate() {
            contacts::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| {
                let k = c * BATCH + i;
                contacts::ActiveModel {
                    id: Set(*id),
                    tenant_id: Set(tenant),
                    first_name: Set(format!("Cliente {k}")),
                    last_name: Set("López".into()),
                    email: Set(None),
                    phone: Set(Some(format!("+5215{n:02}{k:06}"))),
                    rfc: Set(None),
                    job_title: Set(None),
                    city: Set(Some("Guadalajara".into())),
                    company_id: Set(None),
                    owner_id: Set(Some(owner)),
                    tags: Set(json!([])),
                    custom_fields: Set(json!({})),
                    is_customer: Set(false),
                    customer_since: Set(None),
                    search_text: Set(format!("cliente {k}")),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            }))
            .exec_without_returning(&db)
            .await?;
        }
        let conversation_ids: Vec<Uuid> = contact_ids.iter().map(|_| Uuid::now_v7()).collect();
        for (c, chunk) in conversation_ids.chunks(BATCH).enumerate() {
            conversations::Entity::insert_many(chunk.iter().enumerate().map(|(i, id)| {
                let k = c * BATCH + i;
                let last = now - TimeDelta::minutes(k as i64);
                conversations::ActiveModel {
                    id: Set(*id),
                    tenant_id: Set(tenant),
                    channel_id: Set(channel),
                    contact_id: Set(contact_ids[k]),
                    status: Set(["open", "pending", "closed", "open"][k % 4].into()),
                    assignee_id: Set(k.is_multiple_of(2).then_some(owner)),
                    labels: Set(json!(["mayoreo"])),
                    unread_count: Set((k % 3) as i32),
                    last_message_preview: Set(Some(format!("¿Tienen disponible el producto {k}?"))),
                    last_message_at: Set(last),
                    last_inbound_at: Set(Some(last)),
                    opened_at: Set(last - TimeDelta::hours(1)),
                    first_response_at: Set(None),
                    resolved_at: Set(None),
                    snoozed_until: Set(None),
                    created_at: Set(last),
                    updated_at: Set(last),
                }
            }))
            .exec_without_returning(&db)
            .await?;
        }
        let rows: Vec<messages::ActiveModel> = conversation_ids
            .iter()
            .enumerate()
            .flat_map(|(k, conversation)| {
                (0..MESSAGES_PER_CONVERSATION).map(move |m| (k, *conversation, m))
            })
            .map(|(k, conversation, m)| messages::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant),
                conversation_id: Set(conversation),
                channel_id: Set(channel),
                contact_id: Set(contact_ids[k]),
                direction: Set(if m.is_multiple_of(2) {
                    "inbound"
                } else {
                    "outbound"
                }
                .into()),
                kind: Set("text".into()),
                body: Set(Some(format!("mensaje {m}"))),
                content: Set(None),
                provider_message_id: Set(Some(format!("wamid.{n}.{k}.{m}"))),
                status: Set(if m.is_multiple_of(2) {
                    "received"
                } else {
                    "read"
                }
                .into()),
                error: Set(None),
                author_id: Set(None),
                sent_at: Set(Some(now)),
                delivered_at: Set(None),
                read_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        for chunk in rows.chunks(BATCH) {
            messages::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&db)
                .await?;
        }
    }
    db.execute_unprepared("VACUUM ANALYZE").await?;
    println!(
        "seeded {} conversations and {} messages in {:.0} s",
        TENANTS * CONVERSATIONS_PER_TENANT,
        TENANTS * CONVERSATIONS_PER_TENANT * MESSAGES_PER_CONVERSATION,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn one(client: &reqwest::Client, token: &str) -> anyhow::Result<()> {
    let data = gql(client, Some(token), QUERY, json!({})).await?;
    let edges = data["conversations"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(edges == 50, "expected 50 conversations, got {edges}");
    Ok(())
}

async fn run(client: &reqwest::Client) -> anyhow::Result<()> {
    let owners = (0..TENANTS).map(owner_email);
    let load = tianguis_bench::load_test_as(client, owners, |client, token| async move {
        one(&client, &token).await
    })
    .await?;
    println!("inbox: {load}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = tianguis_bench::client()?;
    match std::env::args().nth(1).as_deref() {
        Some("seed") => seed(&client).await,
        Some("run") => run(&client).await,
        _ => anyhow::bail!("usage: inbox seed | inbox run"),
    }
}
