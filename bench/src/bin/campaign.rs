//! Campaign email throughput: recipients per second from start to the last message
//! accepted by a local SMTP server.
//!
//!   DATABASE_URL=postgres://… TIANGUIS_SMTP_CONNECTIONS=128 BENCH_BATCHES=8 \
//!     ./target/release/campaign 20000
//!
//! The scenario builds the components `tianguis worker` runs (with REDIS_URL, Redis carries
//! the job queue), signs up a business, writes COUNT contacts straight to the database,
//! then creates the email channel, segment and campaign through the domain's use cases and
//! starts it with no worker running (the freeze of the recipients is timed apart). Then
//! the worker pool starts and the time until the sink has accepted COUNT messages is
//! measured; afterwards the campaign must be completed with COUNT sent and each address
//! must have arrived exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, Statement};
use serde_json::json;
use tianguis::{Components, Config};
use tianguis_domain::marketing::{campaigns, segments};
use tianguis_domain::messaging::{ChannelKind, channels};
use tianguis_domain::ports::SystemClock;
use tianguis_domain::tenancy::auth;
use tianguis_entity::crm::contacts;

/// Counts the messages each campaign recipient receives (the owner's own email aside).
#[derive(Clone, Default)]
struct Recipients(Arc<Mutex<HashMap<String, usize>>>);

impl Handler for Recipients {
    fn data_start(&mut self, _: &str, _: &str, _: bool, to: &[String]) -> Response {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for address in to.iter().filter(|a| !a.contains("owner-")) {
            *seen.entry(address.clone()).or_default() += 1;
        }
        response::OK
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).map_or(Ok(20_000), |n| n.parse())?;
    let batches: usize = std::env::var("BENCH_BATCHES").map_or(Ok(4), |n| n.parse())?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let smtp = format!("smtp://{}", listener.local_addr()?);
    let recipients = Recipients::default();
    let mut server = Server::new(recipients.clone());
    server
        .with_name("sink.bench")
        .with_ssl(SslConfig::None)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_num_threads(256)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let mut config = Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    config.job_namespace = format!("bench-{}", uuid::Uuid::new_v4().simple());
    config
        .workers
        .concurrency
        .insert("campaign".to_owned(), batches);
    config.smtp_url = Some(tianguis::config::Secret::new(smtp));
    let components = Components::build(&config, Arc::new(SystemClock)).await?;
    let deps = components.state.deps.clone();

    let run = uuid::Uuid::new_v4().simple().to_string();
    let tokens = auth::sign_up(
        &deps,
        &Default::default(),
        auth::SignUp {
            business_name: "Campaña Bench".into(),
            slug: None,
            email: format!("owner-{run}@example.mx"),
            password: tianguis_bench::PASSWORD.into(),
            display_name: "Dueña".into(),
            country: None,
            timezone: None,
            currency: None,
            locale: None,
        },
    )
    .await?;
    let tenant = tokens.tenant_id;
    deps.db
        .execute_raw(Statement::from_sql_and_values(
            deps.db.get_database_backend(),
            "UPDATE tenants SET plan = 'enterprise' WHERE id = $1",
            [tenant.into()],
        ))
        .await?;
    let ctx = auth::authenticate(&deps, &tokens.access_token, Default::default()).await?;
    let now = chrono::Utc::now();
    let city = format!("Ciudad {run}");
    for start in (0..count).step_by(1000) {
        contacts::Entity::insert_many((start..(start + 1000).min(count)).map(|i| {
            contacts::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                tenant_id: Set(tenant),
                first_name: Set(format!("Cliente{i}")),
                last_name: Set("Pérez".into()),
                email: Set(Some(format!("c{i}.{run}@example.mx"))),
                phone: Set(None),
                rfc: Set(None),
                job_title: Set(None),
                city: Set(Some(city.clone())),
                company_id: Set(None),
                owner_id: Set(None),
                tags: Set(json!([])),
                custom_fields: Set(json!({})),
                is_customer: Set(false),
                customer_since: Set(None),
                search_text: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
            }
        }))
        .exec_without_returning(&deps.db)
        .await?;
    }
    let channel = channels::create(
        &deps,
        &ctx,
        channels::NewChannel {
            kind: ChannelKind::Email,
            name: "Boletín".into(),
            address: format!("promos-{run}@tortilleria.mx"),
            account_id: None,
            display_name: Some("Tortillería".into()),
            token: None,
            send_rate_per_second: None,
        },
    )
    .await?;
    let segment = segments::create(
        &deps,
        &ctx,
        segments::SegmentInput {
            name: "Todos".into(),
            is_static: false,
            definition: segments::Definition {
                match_all: true,
                rules: vec![segments::Rule::City { values: vec![city] }],
            },
        },
    )
    .await?;
    let campaign = campaigns::create(
        &deps,
        &ctx,
        campaigns::CampaignInput {
            name: Some("Buen Fin".into()),
            channel_id: Some(channel.id),
            segment_id: Some(segment.id),
            subject: Some("{{first_name}}, llegó el Buen Fin".into()),
            body: Some("Hola {{first_name}}:\n\nTodo al 2x1. Vea https://tortilleria.mx/buen-fin\n\nGracias.".into()),
            ..Default::default()
        },
    )
    .await?;
    let freeze = Instant::now();
    let started = campaigns::start(&deps, &ctx, campaign.id).await?;
    let freeze_secs = freeze.elapsed().as_secs_f64();
    anyhow::ensure!(
        started.recipient_count as usize == count,
        "froze {}",
        started.recipient_count
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let send_start = Instant::now();
    let background = tokio::spawn(async move { components.run_background(stop_rx).await });
    loop {
        let received: usize = recipients
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum();
        if received >= count {
            break;
        }
        anyhow::ensure!(
            send_start.elapsed() < Duration::from_secs(600),
            "only {received} of {count} after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let send_secs = send_start.elapsed().as_secs_f64();
    let metrics = loop {
        let campaign = campaigns::get(&deps, &ctx, campaign.id).await?;
        if campaign.status == "completed" {
            break campaigns::metrics(&deps, &ctx, &[campaign.id])
                .await?
                .remove(&campaign.id)
                .unwrap_or_default();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop_tx.send(true);
    background.await??;
    let seen = recipients
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let twice = seen.values().filter(|n| **n > 1).count();
    anyhow::ensure!(
        seen.len() == count && twice == 0,
        "{} recipients, {twice} twice",
        seen.len()
    );
    anyhow::ensure!(metrics.sent as usize == count, "sent {}", metrics.sent);
    let store = tianguis_bench::job_store_name(&config);
    println!(
        "campaign: {count} recipients, store={store}, {batches} batches at once: freeze {:.0} recipients/s ({freeze_secs:.2} s), \
         send {:.0} recipients/s ({send_secs:.2} s), each exactly once",
        count as f64 / freeze_secs,
        count as f64 / send_secs,
    );
    Ok(())
}
