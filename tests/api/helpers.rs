//! The `TestApp` harness: spawns the application on a random port, talks GraphQL to it.

use crate::mail_sink::SmtpSink;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tianguis::{Application, Config};
use tianguis_api::AppState;
use tianguis_domain::ports::Clock;
use tokio::sync::oneshot;

/// A clock tests can move forward.
#[derive(Default)]
pub struct TestClock {
    offset: Mutex<TimeDelta>,
}

impl TestClock {
    pub fn advance(&self, by: TimeDelta) {
        *self.offset.lock().expect("clock") += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().expect("clock")
    }
}

pub struct TestApp {
    pub base: String,
    /// Where devices connect over MQTT.
    pub mqtt: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Arc<TestClock>,
    pub config: Config,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A signed-in user of a fresh business.
#[derive(Clone, Debug)]
pub struct Session {
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    pub tenant_id: String,
    pub user_id: String,
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub const PASSWORD: &str = "tortilla-de-maiz-7";
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-0123456789-abc";
pub const TEST_ENCRYPTION_KEY: &str =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with settings adjusted after the test defaults are applied.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_in(tempfile::tempdir().expect("temp dir"), adjust).await
    }

    /// A second replica sharing live events through Redis; none in the embedded mode, where
    /// there is one process, so cross-replica tests have nothing to check.
    pub async fn second_replica(&self) -> Option<Self> {
        if self.config.redis_url.is_none() {
            eprintln!("without TEST_REDIS_URL there is no second replica to reach");
            return None;
        }
        Some(self.another_instance(|_| {}).await)
    }

    /// Another instance on the same database, as a second replica or a restart would be.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Config)) -> Self {
        let database_url = self.config.database_url.clone();
        let namespace = self.config.job_namespace.clone();
        let dir = tempfile::tempdir().expect("temp dir");
        Self::spawn_in(dir, move |c| {
            c.database_url = database_url;
            c.job_namespace = namespace;
            adjust(c);
        })
        .await
    }

    async fn spawn_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> Self {
        // TEST_LOG=debug (an EnvFilter) shows the application's logs for a failing test.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let mut vars: HashMap<&str, String> = HashMap::new();
        let sqlite = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) => fresh_postgres_database(&server).await,
            Err(_) => sqlite,
        };
        vars.insert("DATABASE_URL", database_url);
        if let Ok(redis) = std::env::var("TEST_REDIS_URL") {
            vars.insert("REDIS_URL", redis);
        }
        // An S3-compatible server when given (with the AWS_* variables of its endpoint);
        // each instance family files under its own prefix.
        if let Ok(store) = std::env::var("TEST_OBJECT_STORE_URL") {
            vars.insert(
                "TIANGUIS_OBJECT_STORE_URL",
                format!("{}/{}", store.trim_end_matches('/'), unique("t")),
            );
        }
        vars.insert("TIANGUIS_ADDR", "127.0.0.1:0".into());
        vars.insert("TIANGUIS_MQTT_ADDR", "127.0.0.1:0".into());
        vars.insert("TIANGUIS_DATA_DIR", dir.path().display().to_string());
        vars.insert("TIANGUIS_JWT_SECRET", TEST_JWT_SECRET.into());
        vars.insert("TIANGUIS_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY.into());
        // Many tests share one client address; the rate-limit test lowers this.
        vars.insert("TIANGUIS_RATE_LIMIT_ANONYMOUS", "100000".into());
        vars.insert("TIANGUIS_DB_MAX_CONNECTIONS", "5".into());
        let mut config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
        // Tests share PostgreSQL and Redis: each instance family gets its own job queues.
        config.job_namespace = unique("test");
        // Webhook receivers in tests listen on loopback, and retries should not take minutes.
        config.webhooks.allow_private_targets = true;
        config.webhooks.retry_base = std::time::Duration::from_millis(50);
        // Likewise for failed log-ins per address; the throttle test gives itself an address.
        config.login_throttle.per_address = u32::MAX;
        adjust(&mut config);
        let clock = Arc::new(TestClock::default());
        let app = Application::build_with_clock(&config, clock.clone())
            .await
            .expect("application builds");
        let base = format!("http://{}", app.local_addr());
        let mqtt = app.mqtt_addr().expect("MQTT is on in tests");
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let stopped = tokio::spawn(app.run_until(async {
            rx.await.ok();
        }));
        Self {
            base,
            mqtt,
            client: reqwest::Client::new(),
            state,
            clock,
            config,
            _dir: dir,
            shutdown: Some(tx),
            stopped: Some(stopped),
        }
    }

    /// The Prometheus exposition of `/metrics`.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// Stops the instance as SIGTERM would: in-flight work finishes first.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            stopped.await.expect("joined").expect("clean shutdown");
        }
        // As the process would on exit: release the database, and with it any lock an
        // interrupted transaction still holds.
        self.state
            .deps
            .db
            .close_by_ref()
            .await
            .expect("database closed");
    }

    /// The `tianguis` command as a process beside this app: its database, secrets and job
    /// store, files under `dir`.
    pub fn command(&self, dir: &std::path::Path) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tianguis"));
        command
            .env_clear()
            .env("DATABASE_URL", &self.config.database_url)
            .env("TIANGUIS_JWT_SECRET", TEST_JWT_SECRET)
            .env("TIANGUIS_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
            .env("TIANGUIS_JOB_NAMESPACE", &self.config.job_namespace)
            .env(
                "TIANGUIS_JOB_STORE",
                match self.config.job_store {
                    tianguis::config::JobStoreKind::Redis => "redis",
                    tianguis::config::JobStoreKind::Database => "database",
                },
            )
            .env("TIANGUIS_ADDR", "127.0.0.1:0")
            .env("TIANGUIS_MQTT_ADDR", "127.0.0.1:0")
            .env("TIANGUIS_DATA_DIR", dir)
            .env("TIANGUIS_LOG", "warn")
            .env("TIANGUIS_LOG_FORMAT", "pretty")
            .kill_on_drop(true);
        if let Some(redis) = &self.config.redis_url {
            command.env("REDIS_URL", redis);
        }
        command
    }

    pub fn is_postgres(&self) -> bool {
        self.config.is_postgres()
    }

    pub fn sql_statements(&self) -> u64 {
        self.state.metrics.sql_statements.load(Ordering::SeqCst)
    }

    pub async fn post_raw(&self, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Runs a GraphQL operation and returns the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.post_raw(token, json!({ "query": query, "variables": variables }))
            .await
            .json()
            .await
            .expect("JSON response")
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// A new access token from the session's refresh token, after the test moved the clock.
    pub async fn refreshed(&self, session: &Session) -> Session {
        let refreshed = self
            .ok(
                None,
                "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken refreshToken } }",
                json!({ "t": session.refresh_token }),
            )
            .await;
        Session {
            access_token: text(&refreshed["refreshSession"]["accessToken"]),
            refresh_token: text(&refreshed["refreshSession"]["refreshToken"]),
            ..session.clone()
        }
    }

    /// Runs one statement on the database behind the API, for tests that need a row in a
    /// state the API cannot produce.
    pub async fn execute_sql(&self, sql: &str, values: Vec<sea_orm::Value>) {
        use sea_orm::ConnectionTrait;
        let db = &self.state.deps.db;
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
        .expect("statement runs");
    }

    /// Puts the business on `plan` directly, as a confirmed Stripe subscription would: for
    /// tests about something else that need more than the free plan's seats.
    pub async fn on_plan(&self, session: &Session, plan: &str) {
        let tenant = uuid::Uuid::parse_str(&session.tenant_id).expect("tenant id");
        self.execute_sql(
            "UPDATE tenants SET plan = $1 WHERE id = $2",
            vec![plan.into(), tenant.into()],
        )
        .await;
        tianguis_domain::tenancy::access_cache::access_changed(&self.state.deps).await;
    }

    pub async fn sign_up(&self) -> Session {
        self.sign_up_with(json!({})).await
    }

    /// Signs up a business whose sign-up input also has `extra` (its time zone, country…).
    pub async fn sign_up_with(&self, extra: Value) -> Session {
        let email = format!("{}@example.mx", unique("owner"));
        let mut input = json!({
            "businessName": unique("Tienda"),
            "email": email,
            "password": PASSWORD,
            "displayName": "Dueña",
        });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        let data = self
            .ok(
                None,
                "mutation($input: SignUpInput!) { signUp(input: $input) {
                    accessToken refreshToken tenantId userId } }",
                json!({ "input": input }),
            )
            .await;
        let auth = &data["signUp"];
        Session {
            email,
            access_token: text(&auth["accessToken"]),
            refresh_token: text(&auth["refreshToken"]),
            tenant_id: text(&auth["tenantId"]),
            user_id: text(&auth["userId"]),
        }
    }

    /// The id of one of the caller's roles by key.
    pub async fn role_id(&self, session: &Session, key: &str) -> String {
        let data = self
            .ok(
                Some(&session.access_token),
                "{ roles(first: 100) { edges { node { id key } } } }",
                json!({}),
            )
            .await;
        data["roles"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["key"] == key)
            .map(|e| text(&e["node"]["id"]))
            .unwrap_or_else(|| panic!("no role {key}"))
    }

    /// Invites a new person to `owner`'s business with `role_key` and signs them in.
    pub async fn join_as(&self, owner: &Session, role_key: &str) -> Session {
        let role_id = self.role_id(owner, role_key).await;
        let email = format!("{}@example.mx", unique(role_key));
        let invite = self
            .ok(
                Some(&owner.access_token),
                "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token } }",
                json!({ "input": { "email": email, "roleId": role_id } }),
            )
            .await;
        let token = text(&invite["createInvitation"]["token"]);
        let accepted = self
            .ok(
                None,
                "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
                    accessToken refreshToken tenantId userId } }",
                json!({ "input": { "token": token, "displayName": role_key, "password": PASSWORD } }),
            )
            .await;
        let auth = &accepted["acceptInvitation"];
        Session {
            email,
            access_token: text(&auth["accessToken"]),
            refresh_token: text(&auth["refreshToken"]),
            tenant_id: text(&auth["tenantId"]),
            user_id: text(&auth["userId"]),
        }
    }
}

/// A new, empty database on the test PostgreSQL server. Each application gets its own, as a
/// deployment would: background dispatchers of concurrently running tests would otherwise
/// pick up each other's events. `.ci/run` drops them before a run.
async fn fresh_postgres_database(server_url: &str) -> String {
    use sea_orm::ConnectionTrait;
    let name = format!("tianguis_t_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(server_url)
        .await
        .expect("test PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("URL with a database name");
    format!("{base}/{name}")
}

pub fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
        .to_owned()
}

pub fn error_ext(body: &Value, key: &str) -> String {
    body["errors"][0]["extensions"][key]
        .as_str()
        .unwrap_or_else(|| panic!("expected extensions.{key}, got {body}"))
        .to_owned()
}

/// Polls a query until `done` holds; the state changes in a background job.
pub async fn eventually(
    app: &TestApp,
    session: &Session,
    query: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    // Up to 20 s: background work on a loaded two-core machine (the whole suite at once)
    // can take seconds; a state that is right returns at once.
    for _ in 0..800 {
        let state = app.ok(Some(&session.access_token), query, json!({})).await;
        if done(&state) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the state never settled");
}

/// A test app whose email goes to a real SMTP server of the test's own.
pub async fn app_with_smtp() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url.clone();
    let app =
        TestApp::spawn_with(move |c| c.smtp_url = Some(tianguis::config::Secret::new(url))).await;
    (app, sink)
}

/// Runs `tianguis seed --demo <kind>` against the app's database and logs in as the demo
/// business's owner (`<slug>@tianguis.mx`): their access token and what the command printed.
pub async fn seeded_demo(app: &TestApp, kind: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = app
        .command(dir.path())
        .args(["seed", "--demo", kind])
        .output()
        .await
        .expect("seed runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let password = printed
        .split_whitespace()
        .skip_while(|w| *w != "password")
        .nth(1)
        .unwrap_or_else(|| panic!("no password in {printed}"))
        .to_owned();
    let slug = if kind == "ventas" { "demo" } else { kind };
    let session = app
        .ok(
            None,
            "mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) { accessToken } }",
            json!({ "e": format!("{slug}@tianguis.mx"), "p": password }),
        )
        .await;
    (text(&session["logIn"]["accessToken"]), printed)
}
