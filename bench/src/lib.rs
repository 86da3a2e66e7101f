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
