//! Settings, read once from the environment (and an optional `.env`), typed and checked.
//! A wrong value stops the start with a message naming the variable and what it expects.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tianguis_domain::tenancy::login_throttle::LoginThrottle;

use tianguis_api::EdgeSettings;
use tianguis_domain::automation::webhooks::WebhookSettings;
use tianguis_domain::email::MailSettings;
use tianguis_integrations::captcha::CaptchaProvider;
use tianguis_jobs::WorkerSettings;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// Where devices connect over MQTT; none when `TIANGUIS_MQTT_ADDR=off`.
    pub mqtt_addr: Option<SocketAddr>,
    pub database_url: String,
    pub db_max_connections: u32,
    pub redis_url: Option<String>,
    pub data_dir: PathBuf,
    /// Absent in the embedded mode, where one is generated and kept in `data_dir`.
    pub jwt_secret: Option<Secret>,
    /// 32-byte key (64 hex characters) encrypting stored secrets; generated like the JWT
    /// secret in the embedded mode.
    pub encryption_key: Option<Secret>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How failed log-ins slow down and lock.
    pub login_throttle: LoginThrottle,
    /// How long a replica trusts what it read about a session without a change notice.
    pub access_cache_ttl: Duration,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub shutdown_grace: Duration,
    pub edge: EdgeSettings,
    pub job_store: JobStoreKind,
    /// Prefix of the job queues, so deployments sharing a store keep their jobs apart.
    pub job_namespace: String,
    /// Whether `serve` also runs the worker pool and event dispatcher.
    pub in_process_workers: bool,
    pub workers: WorkerSettings,
    pub webhooks: WebhookSettings,
    /// SMTP server for outgoing email; without it, emails are written to `data_dir/mail`.
    pub smtp_url: Option<Secret>,
    /// SMTP connections each process keeps open.
    pub smtp_connections: u32,
    /// Where files' bytes go: `s3://bucket/prefix` (with the `AWS_*` credentials and
    /// endpoint) or `file:///dir`; without it, `data_dir/files`.
    pub object_store_url: Option<String>,
    pub mail: MailSettings,
    pub stripe: StripeConfig,
    /// The CAPTCHA service forms may ask for; none unless configured.
    pub captcha: Option<CaptchaConfig>,
    /// Finkok's SOAP services (the demo's by default), or a double's in tests.
    pub finkok_url: String,
    pub messaging: MessagingConfig,
}

/// WhatsApp Cloud API and Twilio: where they are, and what signs their webhooks.
#[derive(Clone, Debug)]
pub struct MessagingConfig {
    /// Meta's Graph API, or a double of it in tests.
    pub whatsapp_api_url: String,
    pub whatsapp_app_secret: Option<Secret>,
    pub whatsapp_verify_token: Option<Secret>,
    /// Twilio's API, or a double of it in tests.
    pub twilio_api_url: String,
    pub campaign_batch_size: u32,
    pub campaign_tenant_rate: u32,
    pub campaign_concurrency: usize,
}

/// hCaptcha or Turnstile for forms: `TIANGUIS_CAPTCHA=hcaptcha|turnstile` with its site key
/// and secret.
#[derive(Clone, Debug)]
pub struct CaptchaConfig {
    pub provider: CaptchaProvider,
    /// The service's `siteverify`, or a double of it in tests.
    pub verify_url: String,
    pub site_key: String,
    pub secret: Secret,
}

/// Card payments through Stripe; off without a secret key.
#[derive(Clone, Debug)]
pub struct StripeConfig {
    pub secret_key: Option<Secret>,
    /// Stripe's API, or a double of it in tests.
    pub api_url: String,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Option<Secret>,
    /// The Stripe prices (`price_…`) of the pro and enterprise plans.
    pub price_pro: Option<String>,
    pub price_enterprise: Option<String>,
}

/// Where background jobs are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStoreKind {
    /// The application's own database (SQLite or PostgreSQL).
    Database,
    Redis,
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: expected {expected}, got '{got}'")]
pub struct ConfigError {
    pub variable: String,
    pub expected: &'static str,
    pub got: String,
}

struct Env<F>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn raw(&self, variable: &str) -> Option<String> {
        (self.0)(variable).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        variable: &str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        match self.raw(variable) {
            None => Ok(default),
            Some(got) => got.trim().parse().map_err(|_| ConfigError {
                variable: variable.to_owned(),
                expected,
                got,
            }),
        }
    }

    fn flag(&self, variable: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(variable).map(|v| v.trim().to_lowercase()) {
            None => Ok(default),
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
            Some(got) => Err(ConfigError {
                variable: variable.to_owned(),
                expected: "true or false",
                got,
            }),
        }
    }
}

/// The embedded default: a SQLite file under the data directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tianguis.db?mode=rwc";
const MIN_JWT_SECRET_LEN: usize = 32;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let database_url = env
            .raw("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(ConfigError {
                variable: "DATABASE_URL".into(),
                expected: "a sqlite: or postgres:// URL",
                got: database_url,
            });
        }
        let redis_url = env.raw("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError {
                variable: "REDIS_URL".into(),
                expected: "a redis:// or rediss:// URL",
                got: url.clone(),
            });
        }
        let jwt_secret = env.raw("TIANGUIS_JWT_SECRET").map(Secret::new);
        if let Some(secret) = &jwt_secret
            && secret.expose().len() < MIN_JWT_SECRET_LEN
        {
            return Err(ConfigError {
                variable: "TIANGUIS_JWT_SECRET".into(),
                expected: "at least 32 random characters",
                got: format!("{} characters", secret.expose().len()),
            });
        }
        if jwt_secret.is_none() && !database_url.starts_with("sqlite:") {
            return Err(ConfigError {
                variable: "TIANGUIS_JWT_SECRET".into(),
                expected: "a shared secret of at least 32 characters when DATABASE_URL is PostgreSQL (replicas must agree)",
                got: String::new(),
            });
        }
        let encryption_key = env.raw("TIANGUIS_ENCRYPTION_KEY").map(Secret::new);
        if let Some(key) = &encryption_key
            && decode_key(key.expose()).is_none()
        {
            return Err(ConfigError {
                variable: "TIANGUIS_ENCRYPTION_KEY".into(),
                expected: "64 hexadecimal characters (32 random bytes)",
                got: format!("{} characters", key.expose().len()),
            });
        }
        if encryption_key.is_none() && !database_url.starts_with("sqlite:") {
            return Err(ConfigError {
                variable: "TIANGUIS_ENCRYPTION_KEY".into(),
                expected: "a key of 64 hexadecimal characters when DATABASE_URL is PostgreSQL (every process must share it)",
                got: String::new(),
            });
        }
        let log_format = match env.raw("TIANGUIS_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(ConfigError {
                    variable: "TIANGUIS_LOG_FORMAT".into(),
                    expected: "json or pretty",
                    got: other.to_owned(),
                });
            }
        };
        let defaults = EdgeSettings::default();
        let job_store = match env.raw("TIANGUIS_JOB_STORE").as_deref().map(str::trim) {
            None if redis_url.is_some() => JobStoreKind::Redis,
            None | Some("database") => JobStoreKind::Database,
            Some("redis") if redis_url.is_some() => JobStoreKind::Redis,
            Some(other) => {
                return Err(ConfigError {
                    variable: "TIANGUIS_JOB_STORE".into(),
                    expected: "database, or redis when REDIS_URL is set",
                    got: other.to_owned(),
                });
            }
        };
        let webhook_defaults = WebhookSettings::default();
        Ok(Self {
            job_store,
            job_namespace: env
                .raw("TIANGUIS_JOB_NAMESPACE")
                .unwrap_or_else(|| "tianguis".to_owned()),
            in_process_workers: env.flag("TIANGUIS_IN_PROCESS_WORKERS", true)?,
            workers: WorkerSettings {
                // Every registered queue's TIANGUIS_CONCURRENCY_<QUEUE>, where it is set.
                concurrency: tianguis_domain::registry(|_| {})
                    .queues()
                    .iter()
                    .map(|queue| {
                        let concurrency = env.parse(
                            &queue.concurrency_variable(),
                            queue.concurrency,
                            "a whole number of concurrent jobs",
                        )?;
                        Ok((queue.name.to_owned(), concurrency))
                    })
                    .collect::<Result<_, ConfigError>>()?,
                heartbeat: Duration::from_secs(env.parse(
                    "TIANGUIS_JOB_HEARTBEAT_SECS",
                    WorkerSettings::default().heartbeat.as_secs(),
                    "a number of seconds",
                )?),
            },
            smtp_url: match env.raw("SMTP_URL") {
                Some(url) if !(url.starts_with("smtp://") || url.starts_with("smtps://")) => {
                    return Err(ConfigError {
                        variable: "SMTP_URL".into(),
                        expected: "an smtp:// or smtps:// URL",
                        got: "another scheme".to_owned(),
                    });
                }
                url => url.map(Secret::new),
            },
            smtp_connections: env.parse(
                "TIANGUIS_SMTP_CONNECTIONS",
                32,
                "a whole number of connections",
            )?,
            object_store_url: match env.raw("TIANGUIS_OBJECT_STORE_URL") {
                Some(url) if !(url.starts_with("s3://") || url.starts_with("file:///")) => {
                    return Err(ConfigError {
                        variable: "TIANGUIS_OBJECT_STORE_URL".into(),
                        expected: "an s3://bucket/prefix or file:///dir URL",
                        got: "another scheme".to_owned(),
                    });
                }
                url => url,
            },
            finkok_url: env.raw("FINKOK_URL").unwrap_or_else(|| {
                "https://demo-facturacion.finkok.com/servicios/soap/".to_owned()
            }),
            messaging: {
                let defaults = tianguis_domain::messaging::MessagingSettings::default();
                MessagingConfig {
                    whatsapp_api_url: env
                        .raw("WHATSAPP_API_URL")
                        .unwrap_or_else(|| "https://graph.facebook.com".to_owned()),
                    whatsapp_app_secret: env.raw("WHATSAPP_APP_SECRET").map(Secret::new),
                    whatsapp_verify_token: env.raw("WHATSAPP_VERIFY_TOKEN").map(Secret::new),
                    twilio_api_url: env
                        .raw("TWILIO_API_URL")
                        .unwrap_or_else(|| "https://api.twilio.com".to_owned()),
                    campaign_batch_size: env.parse(
                        "TIANGUIS_CAMPAIGN_BATCH_SIZE",
                        defaults.campaign_batch_size,
                        "a whole number of recipients",
                    )?,
                    campaign_tenant_rate: env.parse(
                        "TIANGUIS_CAMPAIGN_TENANT_RATE",
                        defaults.tenant_send_rate,
                        "a whole number of messages per second",
                    )?,
                    campaign_concurrency: env.parse(
                        "TIANGUIS_CAMPAIGN_CONCURRENCY",
                        defaults.campaign_concurrency,
                        "a whole number of messages in flight",
                    )?,
                }
            },
            captcha: match env.raw("TIANGUIS_CAPTCHA") {
                None => None,
                Some(name) => {
                    let provider = CaptchaProvider::parse(&name).ok_or_else(|| ConfigError {
                        variable: "TIANGUIS_CAPTCHA".into(),
                        expected: "hcaptcha or turnstile",
                        got: name.clone(),
                    })?;
                    let required = |variable: &'static str| {
                        env.raw(variable).ok_or_else(|| ConfigError {
                            variable: variable.into(),
                            expected: "set when TIANGUIS_CAPTCHA is",
                            got: String::new(),
                        })
                    };
                    Some(CaptchaConfig {
                        provider,
                        verify_url: env
                            .raw("TIANGUIS_CAPTCHA_VERIFY_URL")
                            .unwrap_or_else(|| provider.default_verify_url().to_owned()),
                        site_key: required("TIANGUIS_CAPTCHA_SITE_KEY")?,
                        secret: Secret::new(required("TIANGUIS_CAPTCHA_SECRET")?),
                    })
                }
            },
            stripe: StripeConfig {
                secret_key: env.raw("STRIPE_SECRET_KEY").map(Secret::new),
                api_url: env
                    .raw("STRIPE_API_URL")
                    .unwrap_or_else(|| "https://api.stripe.com/".to_owned()),
                webhook_secret: env.raw("STRIPE_WEBHOOK_SECRET").map(Secret::new),
                price_pro: env.raw("STRIPE_PRICE_PRO"),
                price_enterprise: env.raw("STRIPE_PRICE_ENTERPRISE"),
            },
            mail: MailSettings {
                from: env
                    .raw("TIANGUIS_MAIL_FROM")
                    .unwrap_or_else(|| "Tianguis <no-reply@tianguis.local>".to_owned()),
                app_url: env
                    .raw("TIANGUIS_APP_URL")
                    .unwrap_or_else(|| "http://localhost:3000".to_owned()),
                public_url: env
                    .raw("TIANGUIS_PUBLIC_URL")
                    .unwrap_or_else(|| "http://localhost:8080".to_owned()),
            },
            webhooks: WebhookSettings {
                allow_private_targets: env.flag("TIANGUIS_WEBHOOKS_ALLOW_PRIVATE", false)?,
                retry_base: Duration::from_secs(env.parse(
                    "TIANGUIS_WEBHOOK_RETRY_BASE_SECS",
                    webhook_defaults.retry_base.as_secs(),
                    "a number of seconds",
                )?),
                ..webhook_defaults
            },
            addr: env.parse(
                "TIANGUIS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "a socket address such as 127.0.0.1:8080",
            )?,
            mqtt_addr: match env.raw("TIANGUIS_MQTT_ADDR").as_deref().map(str::trim) {
                Some("off") => None,
                _ => Some(env.parse(
                    "TIANGUIS_MQTT_ADDR",
                    // 1883 is MQTT's port, often taken by a system broker on a workstation.
                    SocketAddr::from(([127, 0, 0, 1], 1884)),
                    "a socket address such as 0.0.0.0:1883, or off",
                )?),
            },
            database_url,
            db_max_connections: env.parse(
                "TIANGUIS_DB_MAX_CONNECTIONS",
                10,
                "a whole number of connections",
            )?,
            redis_url,
            data_dir: env.parse(
                "TIANGUIS_DATA_DIR",
                PathBuf::from("data"),
                "a directory path",
            )?,
            jwt_secret,
            encryption_key,
            access_token_ttl: Duration::from_secs(env.parse(
                "TIANGUIS_ACCESS_TOKEN_TTL_SECS",
                900,
                "a number of seconds",
            )?),
            refresh_token_ttl: Duration::from_secs(
                env.parse::<u64>("TIANGUIS_REFRESH_TOKEN_TTL_DAYS", 30, "a number of days")?
                    * 86_400,
            ),
            login_throttle: LoginThrottle::default(),
            access_cache_ttl: Duration::from_secs(env.parse(
                "TIANGUIS_ACCESS_CACHE_SECS",
                30,
                "a number of seconds",
            )?),
            log_filter: env
                .raw("TIANGUIS_LOG")
                .unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn".to_owned()),
            log_format,
            shutdown_grace: Duration::from_secs(env.parse(
                "TIANGUIS_SHUTDOWN_GRACE_SECS",
                30,
                "a number of seconds",
            )?),
            edge: EdgeSettings {
                max_body_bytes: env.parse(
                    "TIANGUIS_MAX_BODY_BYTES",
                    defaults.max_body_bytes,
                    "a number of bytes",
                )?,
                credential_per_minute: env.parse(
                    "TIANGUIS_RATE_LIMIT_PER_CREDENTIAL",
                    defaults.credential_per_minute,
                    "requests per minute, a whole number",
                )?,
                anonymous_per_minute: env.parse(
                    "TIANGUIS_RATE_LIMIT_ANONYMOUS",
                    defaults.anonymous_per_minute,
                    "requests per minute, a whole number",
                )?,
                max_depth: env.parse(
                    "TIANGUIS_GRAPHQL_MAX_DEPTH",
                    defaults.max_depth,
                    "a whole number",
                )?,
                max_complexity: env.parse(
                    "TIANGUIS_GRAPHQL_MAX_COMPLEXITY",
                    defaults.max_complexity,
                    "a whole number",
                )?,
                introspection: env
                    .flag("TIANGUIS_GRAPHQL_INTROSPECTION", defaults.introspection)?,
            },
        })
    }

    pub fn is_postgres(&self) -> bool {
        !self.database_url.starts_with("sqlite:")
    }
}

/// The 32 bytes of a hex-encoded key.
pub fn decode_key(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_means_the_embedded_default() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert!(config.redis_url.is_none());
    }

    #[test]
    fn a_wrong_value_names_the_variable_and_what_it_expects() {
        let err = config(&[("TIANGUIS_ADDR", "not-an-address")]).expect_err("must fail");
        assert_eq!(err.variable, "TIANGUIS_ADDR");
        assert!(err.to_string().contains("socket address"), "{err}");
        let err = config(&[("TIANGUIS_GRAPHQL_INTROSPECTION", "maybe")]).expect_err("must fail");
        assert_eq!(err.variable, "TIANGUIS_GRAPHQL_INTROSPECTION");
    }

    #[test]
    fn postgres_needs_a_shared_jwt_secret() {
        let err = config(&[("DATABASE_URL", "postgres://localhost/x")]).expect_err("must fail");
        assert_eq!(err.variable, "TIANGUIS_JWT_SECRET");
        let err = config(&[
            ("DATABASE_URL", "postgres://localhost/x"),
            (
                "TIANGUIS_JWT_SECRET",
                "0123456789abcdef0123456789abcdef0123",
            ),
        ])
        .expect_err("must fail");
        assert_eq!(err.variable, "TIANGUIS_ENCRYPTION_KEY");
        let short = config(&[("TIANGUIS_JWT_SECRET", "short")]).expect_err("must fail");
        assert_eq!(short.variable, "TIANGUIS_JWT_SECRET");
        assert!(
            !short.to_string().contains("short'"),
            "the secret itself is never echoed"
        );
    }

    #[test]
    fn the_encryption_key_must_be_32_hex_bytes() {
        let short = config(&[("TIANGUIS_ENCRYPTION_KEY", "abcd")]).expect_err("must fail");
        assert_eq!(short.variable, "TIANGUIS_ENCRYPTION_KEY");
        assert_eq!(decode_key(&"0f".repeat(32)), Some([0x0f; 32]));
        assert_eq!(decode_key(&"zz".repeat(32)), None);
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
