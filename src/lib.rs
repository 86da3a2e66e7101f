//! Tianguis: wiring. [`Application::build`] assembles what `tianguis serve` runs, and the
//! end-to-end tests build the very same thing.

pub mod config;
pub mod db;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use tianguis_api::AppState;
use tianguis_api::metrics::Metrics;
use tianguis_domain::Deps;
use tianguis_domain::ports::{Clock, PubSub, RateLimiter, SystemClock};
use tianguis_domain::tenancy::auth::AuthSettings;
use tianguis_integrations::pubsub::{InProcessPubSub, RedisPubSub};
use tianguis_integrations::rate_limit::{InMemoryRateLimiter, RedisRateLimiter};
use tokio::net::TcpListener;

pub use config::Config;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds; serving starts with [`Application::run_until`].
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with a clock that tests can move.
    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let sql_statements = Arc::new(AtomicU64::new(0));
        let db = db::connect(config, sql_statements.clone()).await?;
        db::migrate_up(config).await?;

        let (pubsub, rate_limiter): (Arc<dyn PubSub>, Arc<dyn RateLimiter>) =
            match &config.redis_url {
                Some(url) => {
                    let client = redis::Client::open(url.as_str()).context("REDIS_URL")?;
                    let conn = client
                        .get_connection_manager()
                        .await
                        .context("connecting to Redis")?;
                    (
                        Arc::new(RedisPubSub::connect(&client).await?),
                        Arc::new(RedisRateLimiter::new(conn)),
                    )
                }
                None => (
                    Arc::new(InProcessPubSub::default()),
                    Arc::new(InMemoryRateLimiter::default()),
                ),
            };
        let jwt_secret = db::jwt_secret(config)?;
        let deps = Deps {
            db,
            pubsub,
            clock,
            auth: Arc::new(AuthSettings::new(
                jwt_secret.expose().as_bytes(),
                config.access_token_ttl,
                config.refresh_token_ttl,
            )),
        };
        let schema = tianguis_api::graphql::build_schema(&config.edge, Some(deps.clone()));
        let state = AppState {
            deps,
            schema,
            rate_limiter,
            settings: Arc::new(config.edge.clone()),
            metrics: Arc::new(Metrics::new(sql_statements)),
        };
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding TIANGUIS_ADDR {}", config.addr))?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The assembled state: its database, ports and metrics.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting and drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = tianguis_api::router(self.state);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
}
