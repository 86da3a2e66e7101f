//! Shared pieces of the benchmark scenarios.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// An SMTP server on a random local port that counts the messages it accepts.
#[derive(Clone)]
struct Counter(Arc<AtomicUsize>);

impl Handler for Counter {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

pub struct SmtpSink {
    pub url: String,
    pub received: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub fn start(threads: u32) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!("smtp://{}", listener.local_addr()?);
        let received = Arc::new(AtomicUsize::new(0));
        let mut server = Server::new(Counter(received.clone()));
        server
            .with_name("sink.bench")
            .with_ssl(SslConfig::None)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_num_threads(threads)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Ok(Self { url, received })
    }
}

/// The server under test: BENCH_URL, by default a release server on 127.0.0.1:8088.
pub fn base_url() -> String {
    std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:8088".into())
}

/// One GraphQL request to the server; errors in the answer are errors here.
pub async fn gql(
    client: &reqwest::Client,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut request = client
        .post(format!("{}/graphql", base_url()))
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: serde_json::Value = request.send().await?.json().await?;
    anyhow::ensure!(body.get("errors").is_none(), "GraphQL errors: {body}");
    Ok(body["data"].clone())
}

/// Moves a business to the enterprise plan, whose limits a load needs: straight in the
/// database the server uses (DATABASE_URL), as a confirmed subscription would.
pub async fn on_enterprise_plan(tenant: uuid::Uuid) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("DATABASE_URL: the server's database, to lift plan limits"))?;
    let db = Database::connect(url).await?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE tenants SET plan = 'enterprise' WHERE id = $1",
        [tenant.into()],
    ))
    .await?;
    Ok(())
}

/// The server's count of SQL statements so far, from `/metrics`.
pub async fn statements_so_far(client: &reqwest::Client) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{}/metrics", base_url()))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find(|l| l.starts_with("tianguis_sql_statements_total"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
        .ok_or_else(|| anyhow::anyhow!("no SQL statement counter in /metrics"))
}

fn percentile(sorted: &[std::time::Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

/// What a request scenario measured.
pub struct Load {
    pub concurrency: usize,
    pub throughput: f64,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub statements: u64,
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} requests/s with {} clients; at {:.0} requests/s p50 {:.1} ms, p99 {:.1} ms; {} SQL statements per request",
            self.throughput, self.concurrency, self.rate, self.p50_ms, self.p99_ms, self.statements
        )
    }
}

/// An HTTP client that keeps a connection per concurrent client.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?)
}

/// [`load_test`] as the owners with these emails, logged in first.
pub async fn load_test_as<F, Fut>(
    client: &reqwest::Client,
    owners: impl Iterator<Item = String>,
    one: F,
) -> anyhow::Result<Load>
where
    F: Fn(reqwest::Client, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut tokens = Vec::new();
    for email in owners {
        tokens.push(log_in(client, &email).await?);
    }
    load_test(client, tokens, one).await
}

/// Measures one request (`one`, for a caller's token) against the running server:
/// statements per request with nothing else running; throughput with BENCH_CONCURRENCY
/// clients in a closed loop for BENCH_SECONDS; then latency in an open loop at half that
/// rate, each request timed from when it was due, so queueing counts.
pub async fn load_test<F, Fut>(
    client: &reqwest::Client,
    tokens: Vec<String>,
    one: F,
) -> anyhow::Result<Load>
where
    F: Fn(reqwest::Client, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    use std::time::{Duration, Instant};
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").map_or(Ok(16), |n| n.parse())?;
    let seconds: u64 = std::env::var("BENCH_SECONDS").map_or(Ok(20), |n| n.parse())?;
    anyhow::ensure!(!tokens.is_empty(), "no caller to measure with");
    let tokens = Arc::new(tokens);
    for token in tokens.iter() {
        one(client.clone(), token.clone()).await?;
    }
    let before = statements_so_far(client).await?;
    one(client.clone(), tokens[0].clone()).await?;
    let statements = statements_so_far(client).await? - before;

    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for c in 0..concurrency {
        let (client, tokens, done, one) =
            (client.clone(), tokens.clone(), done.clone(), one.clone());
        clients.push(tokio::spawn(async move {
            let mut i = c;
            while Instant::now() < deadline {
                one(client.clone(), tokens[i % tokens.len()].clone()).await?;
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            anyhow::Ok(())
        }));
    }
    for c in clients {
        c.await??;
    }
    let throughput = done.load(Ordering::Relaxed) as f64 / seconds as f64;

    let rate = (throughput / 2.0).max(1.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * seconds as f64) as usize;
    let start = Instant::now();
    let mut pending = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let (client, tokens, one) = (client.clone(), tokens.clone(), one.clone());
        pending.push(tokio::spawn(async move {
            one(client, tokens[i % tokens.len()].clone()).await?;
            anyhow::Ok(due.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for p in pending {
        latencies.push(p.await??);
    }
    latencies.sort();
    Ok(Load {
        concurrency,
        throughput,
        rate,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        statements,
    })
}

/// The password of every business owner the scenarios sign up.
pub const PASSWORD: &str = "tortilla-de-maiz-7";

/// An owner's access token.
pub async fn log_in(client: &reqwest::Client, email: &str) -> anyhow::Result<String> {
    let data = gql(
        client,
        None,
        "mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) { accessToken } }",
        serde_json::json!({ "e": email, "p": PASSWORD }),
    )
    .await?;
    Ok(data["logIn"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Where the configured jobs are kept, for the result line.
pub fn job_store_name(config: &tianguis::Config) -> &'static str {
    if config.redis_url.is_some() && config.job_store == tianguis::config::JobStoreKind::Redis {
        "redis"
    } else if config.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}
