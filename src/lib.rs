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
use tianguis_api::mqtt::MqttEndpoint;
use tianguis_domain::Deps;
use tianguis_domain::automation::forms::FormSettings;
use tianguis_domain::billing::stripe::StripeSettings;
use tianguis_domain::crypto::SecretBox;
use tianguis_domain::events::Dispatcher;
use tianguis_domain::iot::alerts::Evaluator;
use tianguis_domain::iot::writer::TelemetryWriter;
use tianguis_domain::messaging::MessagingSettings;
use tianguis_domain::plans::Plan;
use tianguis_domain::ports::{Clock, PubSub, RateLimiter, SystemClock};
use tianguis_domain::tenancy::access_cache::{self, AccessCache};
use tianguis_domain::tenancy::auth::AuthSettings;
use tianguis_integrations::captcha::SiteVerify;
use tianguis_integrations::files::ObjectFileStore;
use tianguis_integrations::http::ReqwestTransport;
use tianguis_integrations::mail::{FolderMailer, SmtpMailer};
use tianguis_integrations::messaging::{MessengerRouter, Twilio, WhatsAppCloud};
use tianguis_integrations::pac::{FinkokPac, PacRouter, SandboxPac};
use tianguis_integrations::pubsub::{InProcessPubSub, RedisPubSub};
use tianguis_integrations::rate_limit::{InMemoryRateLimiter, RedisRateLimiter};
use tianguis_integrations::stripe::StripeGateway;
use tianguis_jobs::{ApalisQueue, JobContext, JobMetrics, JobStore, StoreBackend};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub use config::Config;
use config::JobStoreKind;

/// Everything but the listener: what both `serve` and `worker` run on.
pub struct Components {
    pub state: AppState,
    job_store: JobStore,
    job_metrics: JobMetrics,
    config: Config,
}

impl Components {
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Two providers are compiled in (through different TLS clients); ring serves all.
        // Installing it twice (a second application in one process) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sql_statements = Arc::new(AtomicU64::new(0));
        let db = db::connect(config, sql_statements.clone()).await?;
        db::migrate_up(config).await?;

        let redis = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).context("REDIS_URL")?;
                let conn = client
                    .get_connection_manager()
                    .await
                    .context("connecting to Redis")?;
                Some((client, conn))
            }
            None => None,
        };
        let (pubsub, rate_limiter): (Arc<dyn PubSub>, Arc<dyn RateLimiter>) = match &redis {
            Some((client, conn)) => (
                Arc::new(RedisPubSub::connect(client).await?),
                Arc::new(RedisRateLimiter::new(conn.clone())),
            ),
            None => (
                Arc::new(InProcessPubSub::default()),
                Arc::new(InMemoryRateLimiter::default()),
            ),
        };
        let backend = match (config.job_store, &redis) {
            (JobStoreKind::Redis, Some((_, conn))) => StoreBackend::Redis(conn.clone()),
            _ if config.is_postgres() => {
                StoreBackend::Postgres(db.get_postgres_connection_pool().clone())
            }
            _ => StoreBackend::Sqlite(db.get_sqlite_connection_pool().clone()),
        };
        let job_store = JobStore::new(backend, config.job_namespace.clone());
        job_store
            .setup()
            .await
            .context("setting up the job store")?;

        let jwt_secret = db::jwt_secret(config)?;
        let forms = FormSettings {
            captcha: match &config.captcha {
                Some(c) => Some(Arc::new(SiteVerify::new(
                    c.provider,
                    &c.verify_url,
                    &c.site_key,
                    c.secret.expose(),
                )?)),
                None => None,
            },
        };
        let registry = tianguis_domain::registry(|r| {
            r.provide(AuthSettings::new(
                jwt_secret.expose().as_bytes(),
                config.access_token_ttl,
                config.refresh_token_ttl,
                config.login_throttle.clone(),
            ));
            r.provide(AccessCache::new(config.access_cache_ttl));
            r.provide(config.webhooks.clone());
            r.provide(forms.clone());
            r.provide(MessagingSettings {
                whatsapp_app_secret: config
                    .messaging
                    .whatsapp_app_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                whatsapp_verify_token: config
                    .messaging
                    .whatsapp_verify_token
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                campaign_batch_size: config.messaging.campaign_batch_size,
                tenant_send_rate: config.messaging.campaign_tenant_rate,
                campaign_concurrency: config.messaging.campaign_concurrency,
            });
            r.provide(StripeSettings {
                webhook_secret: config
                    .stripe
                    .webhook_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                prices: [
                    (Plan::Pro, &config.stripe.price_pro),
                    (Plan::Enterprise, &config.stripe.price_enterprise),
                ]
                .into_iter()
                .filter_map(|(plan, price)| price.clone().map(|p| (plan, p)))
                .collect(),
                ..StripeSettings::default()
            });
        });
        let deps = Deps {
            db: db.clone(),
            pubsub,
            clock: clock.clone(),
            jobs: Arc::new(ApalisQueue::new(
                job_store.clone(),
                db.clone(),
                clock.clone(),
            )),
            events_wake: Arc::new(Notify::new()),
            webhook_transport: Arc::new(ReqwestTransport::new()?),
            mailer: match &config.smtp_url {
                Some(url) => Arc::new(
                    SmtpMailer::from_url(url.expose(), config.smtp_connections)
                        .context("SMTP_URL")?,
                ),
                None => Arc::new(FolderMailer::new(config.data_dir.join("mail"))?),
            },
            mail: Arc::new(config.mail.clone()),
            secrets: Arc::new(SecretBox::new(&db::encryption_key(config)?)),
            pac: Arc::new(PacRouter::new(
                SandboxPac::new(clock.clone())?,
                FinkokPac::new(&config.finkok_url)?,
            )),
            payment_gateway: match &config.stripe.secret_key {
                Some(key) => Some(Arc::new(StripeGateway::new(
                    key.expose(),
                    &config.stripe.api_url,
                )?)),
                None => None,
            },
            messenger: Arc::new(MessengerRouter::new(
                WhatsAppCloud::new(&config.messaging.whatsapp_api_url)?,
                Twilio::new(&config.messaging.twilio_api_url)?,
            )),
            files: Arc::new(match &config.object_store_url {
                Some(url) => ObjectFileStore::from_url(url).context("TIANGUIS_OBJECT_STORE_URL")?,
                None => ObjectFileStore::local(&config.data_dir.join("files"))?,
            }),
            rate_limiter: rate_limiter.clone(),
            registry: Arc::new(registry),
        };
        access_cache::follow_access_changes(&deps)
            .await
            .context("following access changes")?;
        let schema = tianguis_api::graphql::build_schema(&config.edge, Some(deps.clone()));
        let job_metrics = JobMetrics::default();
        // Rules are evaluated after each stored batch, in the background.
        let evaluator = Evaluator::start(deps.clone());
        let telemetry = TelemetryWriter::start(
            deps.clone(),
            Arc::new(move |devices: &[_]| evaluator.mark(devices)),
        );
        let state = AppState {
            telemetry,
            profile_keys: Default::default(),
            deps,
            schema,
            rate_limiter,
            settings: Arc::new(config.edge.clone()),
            metrics: Arc::new(Metrics::new(sql_statements, |registry| {
                job_metrics.register(registry)
            })),
        };
        Ok(Self {
            state,
            job_store,
            job_metrics,
            config: config.clone(),
        })
    }

    /// Runs the event dispatcher and the worker pool until `stop` turns true.
    pub async fn run_background(&self, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let deps = self.state.deps.clone();
        let dispatcher = Dispatcher::new(deps.clone());
        tracing::info!(
            store = self.job_store.name(),
            "running workers and the event dispatcher"
        );
        let (_, workers) = tokio::join!(
            dispatcher.run(deps.events_wake.clone(), stopped(stop.clone())),
            tianguis_jobs::run(
                self.job_store.clone(),
                JobContext {
                    deps,
                    metrics: self.job_metrics.clone(),
                },
                self.config.workers.clone(),
                stopped(stop),
            ),
        );
        workers
    }
}

impl Components {
    /// Serves health, readiness and metrics on `addr` until `stop`, for worker processes.
    pub async fn serve_ops(
        &self,
        addr: SocketAddr,
        stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding TIANGUIS_ADDR {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "serving /healthz, /readyz and /metrics");
        axum::serve(listener, tianguis_api::ops_router(self.state.clone()))
            .with_graceful_shutdown(stopped(stop))
            .await
            .context("serving HTTP")
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

pub struct Application {
    listener: TcpListener,
    mqtt_listener: Option<TcpListener>,
    components: Components,
}

impl Application {
    /// Connects, migrates and binds; serving starts with [`Application::run_until`].
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with a clock that tests can move.
    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let components = Components::build(config, clock).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding TIANGUIS_ADDR {}", config.addr))?;
        let mqtt_listener = match config.mqtt_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding TIANGUIS_MQTT_ADDR {addr}"))?,
            ),
            None => None,
        };
        Ok(Self {
            listener,
            mqtt_listener,
            components,
        })
    }

    /// Where devices connect over MQTT, unless MQTT is off.
    pub fn mqtt_addr(&self) -> Option<SocketAddr> {
        self.mqtt_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The assembled state: its database, ports and metrics.
    pub fn state(&self) -> &AppState {
        &self.components.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, drains in-flight requests and
    /// lets running jobs finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let components = self.components;
        let router = tianguis_api::router(components.state.clone());
        if let Some(listener) = self.mqtt_listener {
            let endpoint = MqttEndpoint::new(components.state.clone());
            let stop = stop_rx.clone();
            tokio::spawn(async move {
                if let Err(err) = endpoint.serve(listener, stop).await {
                    tracing::error!(error = ?err, "the MQTT endpoint stopped");
                }
            });
        }
        let background = components.config.in_process_workers.then(|| {
            let stop = stop_rx.clone();
            tokio::spawn(async move { components.run_background(stop).await })
        });
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopped(stop_rx))
        .await
        .context("serving HTTP")?;
        if let Some(background) = background {
            background.await.context("background tasks")??;
        }
        Ok(())
    }
}
