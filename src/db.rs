//! Connecting to the database, migrating it, and the embedded mode's signing secret.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use tianguis_migration::{Migrator, MigratorTrait};

use crate::config::{Config, Secret, decode_key};

/// Opens the pool; every statement it runs increments `statements`.
pub async fn connect(
    config: &Config,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    ensure_sqlite_dir(config)?;
    let mut options = ConnectOptions::new(config.database_url.clone());
    // SQLite allows one writer: a single connection queues work instead of failing it with
    // "database is locked" when the job pool and requests write at the same time.
    let max_connections = if config.is_postgres() {
        config.db_max_connections
    } else {
        1
    };
    options.map_sqlx_sqlite_opts(|sqlite| {
        // WAL lets readers run beside the writer; NORMAL syncs at checkpoints rather than
        // every commit, which keeps the database consistent after a crash and may lose only
        // the last moments of work on a power cut: the right trade for the embedded mode.
        sqlite
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
    });
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let mut db = Database::connect(options)
        .await
        .context("connecting to DATABASE_URL")?;
    db.set_metric_callback(move |_| {
        statements.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

fn ensure_sqlite_dir(config: &Config) -> anyhow::Result<()> {
    let Some(path) = config.database_url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = path.split('?').next().unwrap_or_default();
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// An arbitrary constant identifying the migration lock among advisory locks.
const MIGRATION_LOCK: i64 = 0x7469_616e_6775_6973;

/// Applies pending migrations. On PostgreSQL an advisory lock lets many replicas start at
/// once: one migrates, the others wait and find nothing left to do.
pub async fn migrate_up(config: &Config) -> anyhow::Result<()> {
    with_migration_lock(config, |db| async move {
        Migrator::up(&db, None).await.context("applying migrations")
    })
    .await
}

pub async fn migrate_down(config: &Config, steps: u32) -> anyhow::Result<()> {
    with_migration_lock(config, move |db| async move {
        Migrator::down(&db, Some(steps))
            .await
            .context("reverting migrations")
    })
    .await
}

pub async fn migration_status(config: &Config) -> anyhow::Result<Vec<(String, bool)>> {
    let db = single_connection(config).await?;
    let migrations = Migrator::get_migration_with_status(&db).await?;
    Ok(migrations
        .into_iter()
        .map(|m| {
            let applied = matches!(m.status(), tianguis_migration::MigrationStatus::Applied);
            (m.name().to_owned(), applied)
        })
        .collect())
}

async fn single_connection(config: &Config) -> anyhow::Result<DatabaseConnection> {
    ensure_sqlite_dir(config)?;
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("connecting to DATABASE_URL")
}

async fn with_migration_lock<F, Fut>(config: &Config, run: F) -> anyhow::Result<()>
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // One connection, so the session-level lock covers the migration's own statements.
    let db = single_connection(config).await?;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .await?;
    }
    let result = run(db.clone()).await;
    if postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .await?;
    }
    db.close().await.ok();
    result
}

/// The access-token signing secret: configured, or in the embedded mode generated once and
/// kept in the data directory so tokens survive a restart.
pub fn jwt_secret(config: &Config) -> anyhow::Result<Secret> {
    match &config.jwt_secret {
        Some(secret) => Ok(secret.clone()),
        None => kept_in_data_dir(
            config,
            "jwt-secret",
            |s| s.len() >= 32,
            || tianguis_domain::secrets::random_token(64),
        ),
    }
}

/// The key encrypting stored secrets, found like [`jwt_secret`].
pub fn encryption_key(config: &Config) -> anyhow::Result<[u8; 32]> {
    let hex = match &config.encryption_key {
        Some(key) => key.clone(),
        None => kept_in_data_dir(
            config,
            "encryption-key",
            |s| decode_key(s).is_some(),
            || {
                let bytes: [u8; 32] = rand::random();
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            },
        )?,
    };
    decode_key(hex.expose()).context("TIANGUIS_ENCRYPTION_KEY")
}

/// A generated secret kept in a file of the data directory (embedded mode only).
fn kept_in_data_dir(
    config: &Config,
    name: &str,
    valid: impl Fn(&str) -> bool,
    generate: impl Fn() -> String,
) -> anyhow::Result<Secret> {
    let path = config.data_dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path)
        && valid(existing.trim())
    {
        return Ok(Secret::new(existing.trim()));
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let secret = generate();
    std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(Secret::new(secret))
}
