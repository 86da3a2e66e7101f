//! Telemetry: devices authenticate with their token, points are stored with the latest
//! value of each key, live subscribers hear of them after commit, and history is read in
//! time buckets.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::iot::{devices, telemetry_latest as latest, telemetry_points as points};
use uuid::Uuid;

use super::payload::{Point, Reading};
use crate::db::stamped;
use crate::db::{TenantTx, begin_system, raw};
use crate::secrets::sha256_hex;
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub use latest::Model as LatestValue;

/// A device, once its token has been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub tenant_id: Uuid,
    pub device_id: Uuid,
    /// The profile whose keys its payloads are checked against.
    pub profile_id: Option<Uuid>,
}

/// Finds the device a token belongs to. A revoked or unknown token is UNAUTHENTICATED.
pub async fn authenticate(deps: &Deps, token: &str) -> Result<DeviceIdentity> {
    // One indexed read, before a tenant is known: no transaction needed around it.
    let device = devices::Entity::find()
        .filter(devices::Column::TokenHash.eq(sha256_hex(token.trim())))
        .one(&deps.db)
        .await?;
    device
        .map(|d| DeviceIdentity {
            tenant_id: d.tenant_id,
            device_id: d.id,
            profile_id: d.profile_id,
        })
        .ok_or_else(|| {
            Error::unauthenticated("INVALID_DEVICE_TOKEN", "the device token is not valid")
        })
}

/// What live subscribers receive for each stored batch.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LiveTelemetry {
    pub device_id: Uuid,
    pub points: Vec<LivePoint>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LivePoint {
    pub key: String,
    pub ts: DateTime<Utc>,
    pub number: Option<f64>,
    pub text: Option<String>,
}

/// A device going online or offline, as live subscribers receive it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StatusChange {
    pub device_id: Uuid,
    pub online: bool,
    pub at: DateTime<Utc>,
}

/// The pub/sub topic of a business's device status changes.
pub fn status_topic(tenant_id: Uuid) -> String {
    format!("tenant.{tenant_id}.devices.status")
}

/// Marks offline, in every business, the online devices silent for longer than their
/// profile's timeout, and tells live subscribers. Each change is announced once: the update
/// only applies while the device is still online and unseen since it was read. Run by the
/// once-a-minute sweep.
pub async fn mark_silent_devices_offline(deps: &Deps) -> Result<usize> {
    use tianguis_entity::iot::device_profiles as profiles;
    let now = deps.clock.now();
    let tx = begin_system(&deps.db).await?;
    let online = devices::Entity::find()
        .filter(devices::Column::Online.eq(true))
        .all(&tx)
        .await?;
    let profile_ids: Vec<Uuid> = online.iter().filter_map(|d| d.profile_id).collect();
    let timeouts: HashMap<Uuid, i32> = profiles::Entity::find()
        .filter(profiles::Column::Id.is_in(profile_ids))
        .all(&tx)
        .await?
        .into_iter()
        .map(|p| (p.id, p.offline_timeout_secs))
        .collect();
    let mut changes = Vec::new();
    for device in online {
        let timeout = device
            .profile_id
            .and_then(|p| timeouts.get(&p).copied())
            .unwrap_or(super::devices::DEFAULT_OFFLINE_SECS);
        if super::devices::is_online(&device, timeout, now) {
            continue;
        }
        let mut update = devices::Entity::update_many()
            .col_expr(devices::Column::Online, Expr::value(false))
            .filter(devices::Column::Id.eq(device.id))
            .filter(devices::Column::Online.eq(true));
        update = match device.last_seen_at {
            Some(seen) => update.filter(devices::Column::LastSeenAt.eq(seen)),
            None => update.filter(devices::Column::LastSeenAt.is_null()),
        };
        if update.exec(&tx).await?.rows_affected == 1 {
            changes.push((
                device.tenant_id,
                StatusChange {
                    device_id: device.id,
                    online: false,
                    at: now,
                },
            ));
        }
    }
    tx.commit().await?;
    for (tenant_id, change) in &changes {
        let payload = serde_json::to_vec(change).map_err(anyhow::Error::from)?;
        if let Err(err) = deps
            .pubsub
            .publish(&status_topic(*tenant_id), payload)
            .await
        {
            tracing::warn!(error = %err, "publishing a device status change failed");
        }
    }
    Ok(changes.len())
}

/// The pub/sub topic of a device's telemetry.
pub fn topic(tenant_id: Uuid, device_id: Uuid) -> String {
    format!("tenant.{tenant_id}.device.{device_id}.telemetry")
}

const INSERT_CHUNK: usize = 1_000;

fn split(value: &Reading) -> (Option<f64>, Option<String>) {
    match value {
        Reading::Number(n) => (Some(*n), None),
        Reading::Text(t) => (None, Some(t.clone())),
    }
}

/// One device's points, as a request or message brought them.
pub struct Submission {
    pub device: DeviceIdentity,
    pub points: Vec<Point>,
}

/// Stores the points of many devices in one transaction: the points (a repeated key and
/// instant is kept once), the newest value per device and key, and when each device was last
/// seen. Live subscribers hear of the points and of devices coming online after commit.
/// Batches are written by [`super::writer::TelemetryWriter`], never per request.
pub async fn store_batch(deps: &Deps, batch: &[Submission]) -> Result<()> {
    // Points go in as they came, mostly in time order, so the time index grows at its end.
    let rows: Vec<(&DeviceIdentity, &Point)> = batch
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (&s.device, p)))
        .collect();
    let mut by_key: HashMap<(Uuid, &str), (&DeviceIdentity, &Point)> = HashMap::new();
    for &(device, point) in &rows {
        let entry = by_key
            .entry((device.device_id, point.key.as_str()))
            .or_insert((device, point));
        if point.ts >= entry.1.ts {
            *entry = (device, point);
        }
    }
    // Latest values are updated in one order by every writer, so concurrent batches lock
    // their rows without deadlocking.
    let mut newest: Vec<(&DeviceIdentity, &Point)> = by_key.into_values().collect();
    newest.sort_by(|a, b| (a.0.device_id, &a.1.key).cmp(&(b.0.device_id, &b.1.key)));
    let now = deps.clock.now();
    let mut device_ids: Vec<Uuid> = batch.iter().map(|s| s.device.device_id).collect();
    device_ids.sort_unstable();
    device_ids.dedup();
    let came_online = if deps.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        super::telemetry_pg::store(
            deps.db.get_postgres_connection_pool(),
            &rows,
            &newest,
            &device_ids,
            now,
        )
        .await?
    } else {
        store_with_inserts(deps, &rows, &newest, &device_ids, now).await?
    };

    let mut announcements = Vec::with_capacity(batch.len() + came_online.len());
    for (device_id, tenant_id) in came_online {
        let change = StatusChange {
            device_id,
            online: true,
            at: now,
        };
        announcements.push((status_topic(tenant_id), serde_json::to_vec(&change)));
    }
    for submission in batch {
        let live = LiveTelemetry {
            device_id: submission.device.device_id,
            points: submission
                .points
                .iter()
                .map(|p| {
                    let (number, text) = split(&p.value);
                    LivePoint {
                        key: p.key.clone(),
                        ts: p.ts,
                        number,
                        text,
                    }
                })
                .collect(),
        };
        let device = submission.device;
        announcements.push((
            topic(device.tenant_id, device.device_id),
            serde_json::to_vec(&live),
        ));
    }
    for (topic, payload) in announcements {
        let payload = payload.map_err(anyhow::Error::from)?;
        if let Err(err) = deps.pubsub.publish(&topic, payload).await {
            tracing::warn!(error = %err, "publishing telemetry to live subscribers failed");
        }
    }
    Ok(())
}

/// Stores a batch with multi-row inserts (SQLite); returns the devices (id, business) that
/// came online with it.
async fn store_with_inserts(
    deps: &Deps,
    rows: &[(&DeviceIdentity, &Point)],
    newest: &[(&DeviceIdentity, &Point)],
    device_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Uuid)>> {
    let tx = begin_system(&deps.db).await?;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let models = chunk.iter().map(|(d, p)| {
            let (number, text) = split(&p.value);
            points::ActiveModel {
                tenant_id: Set(d.tenant_id),
                device_id: Set(d.device_id),
                key: Set(p.key.clone()),
                ts: Set(p.ts),
                value_number: Set(number),
                value_text: Set(text),
            }
        });
        points::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    points::Column::DeviceId,
                    points::Column::Key,
                    points::Column::Ts,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&tx)
            .await?;
    }
    for chunk in newest.chunks(INSERT_CHUNK) {
        let models = chunk.iter().map(|(d, p)| {
            let (number, text) = split(&p.value);
            latest::ActiveModel {
                tenant_id: Set(d.tenant_id),
                device_id: Set(d.device_id),
                key: Set(p.key.clone()),
                ts: Set(p.ts),
                value_number: Set(number),
                value_text: Set(text),
            }
        });
        // A late point never replaces a newer latest value.
        latest::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([latest::Column::DeviceId, latest::Column::Key])
                    .update_columns([
                        latest::Column::Ts,
                        latest::Column::ValueNumber,
                        latest::Column::ValueText,
                    ])
                    .action_and_where(Expr::col((latest::Entity, latest::Column::Ts)).lte(
                        Expr::col((
                            sea_orm::sea_query::Alias::new("excluded"),
                            latest::Column::Ts,
                        )),
                    ))
                    .to_owned(),
            )
            .exec_without_returning(&tx)
            .await?;
    }
    // Devices that were offline come online in one conditional statement, so racing
    // batches announce each once; the rest only move their last-seen time.
    let came_online = devices::Entity::update_many()
        .col_expr(devices::Column::Online, Expr::value(true))
        .col_expr(devices::Column::LastSeenAt, Expr::value(now))
        .filter(devices::Column::Id.is_in(device_ids.iter().copied()))
        .filter(devices::Column::Online.eq(false))
        .exec_with_returning(&tx)
        .await?;
    devices::Entity::update_many()
        .col_expr(devices::Column::LastSeenAt, Expr::value(now))
        .filter(devices::Column::Id.is_in(device_ids.iter().copied()))
        .filter(devices::Column::Online.eq(true))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(came_online
        .into_iter()
        .map(|device| (device.id, device.tenant_id))
        .collect())
}

/// The latest value of every key of each device: one statement per batch.
pub async fn latest_of(
    deps: &Deps,
    ctx: &TenantCtx,
    device_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LatestValue>>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<latest::Entity>()
        .filter(latest::Column::DeviceId.is_in(device_ids.iter().copied()))
        .order_by_asc(latest::Column::Key)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(found, |v| Some(v.device_id)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Avg,
    Min,
    Max,
    Sum,
    Count,
}

impl Aggregate {
    fn sql(self) -> &'static str {
        match self {
            Aggregate::Avg => "AVG(value_number)",
            Aggregate::Min => "MIN(value_number)",
            Aggregate::Max => "MAX(value_number)",
            Aggregate::Sum => "SUM(value_number)",
            Aggregate::Count => "COUNT(*)",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub value: Option<f64>,
    pub count: i64,
}

/// Buckets a day can be cut into at the finest, and the most a query may return.
const MIN_INTERVAL_SECS: i64 = 1;
const MAX_BUCKETS: i64 = 10_000;

/// A key's history in [from, to) in buckets of `interval_secs`, aggregated numerically.
pub async fn history(
    deps: &Deps,
    ctx: &TenantCtx,
    device_id: Uuid,
    key: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    interval_secs: i64,
    aggregate: Aggregate,
) -> Result<Vec<Bucket>> {
    ctx.require(Permission::IotRead)?;
    if to <= from {
        return Err(Error::invalid("to", "to must be after from"));
    }
    if interval_secs < MIN_INTERVAL_SECS || (to - from).num_seconds() / interval_secs > MAX_BUCKETS
    {
        return Err(Error::invalid(
            "interval",
            format!("an interval of at least 1 second and at most {MAX_BUCKETS} buckets"),
        ));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<devices::Entity>(device_id, "device").await?;
    let backend = tx.get_database_backend();
    let epoch = match backend {
        sea_orm::DbBackend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM ts)) AS BIGINT)",
        _ => "CAST(strftime('%s', ts) AS INTEGER)",
    };
    #[derive(FromQueryResult)]
    struct Row {
        bucket: i64,
        value: Option<f64>,
        n: i64,
    }
    let sql = format!(
        "SELECT ({epoch} / $4) * $4 AS bucket, CAST({agg} AS DOUBLE PRECISION) AS value, COUNT(*) AS n
         FROM telemetry_points
         WHERE tenant_id = $1 AND device_id = $2 AND key = $3 AND ts >= $5 AND ts < $6
         GROUP BY 1 ORDER BY 1",
        agg = aggregate.sql(),
    );
    let sql = if backend == sea_orm::DbBackend::Sqlite {
        sql.replace("DOUBLE PRECISION", "REAL")
    } else {
        sql
    };
    let rows = Row::find_by_statement(raw(
        backend,
        &sql,
        [
            ctx.tenant_id.into(),
            device_id.into(),
            key.into(),
            interval_secs.into(),
            from.into(),
            to.into(),
        ],
    ))
    .all(&*tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Bucket {
                start: DateTime::from_timestamp(r.bucket, 0)?,
                value: r.value,
                count: r.n,
            })
        })
        .collect())
}

/// Days of telemetry a business keeps unless it says otherwise.
pub const DEFAULT_RETENTION_DAYS: i32 = 90;

pub async fn retention_days(deps: &Deps, ctx: &TenantCtx) -> Result<i32> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let days = stored_retention(&tx).await?;
    tx.commit().await?;
    Ok(days)
}

async fn stored_retention(tx: &TenantTx) -> Result<i32> {
    Ok(tx
        .select::<tianguis_entity::iot::iot_settings::Entity>()
        .one(&**tx)
        .await?
        .map_or(DEFAULT_RETENTION_DAYS, |s| s.retention_days))
}

/// Sets how many days of telemetry the business keeps (1 to 3,650).
pub async fn set_retention_days(deps: &Deps, ctx: &TenantCtx, days: i32) -> Result<i32> {
    use tianguis_entity::iot::iot_settings;
    ctx.require(Permission::IotWrite)?;
    if !(1..=3_650).contains(&days) {
        return Err(Error::invalid(
            "days",
            "keep telemetry between 1 and 3,650 days",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    iot_settings::Entity::insert(stamped(
        tx.now(),
        iot_settings::ActiveModel {
            tenant_id: Set(ctx.tenant_id),
            retention_days: Set(days),
            ..Default::default()
        },
    ))
    .on_conflict(
        OnConflict::column(iot_settings::Column::TenantId)
            .update_columns([
                iot_settings::Column::RetentionDays,
                iot_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*tx)
    .await?;
    crate::audit::record(
        &mut tx,
        ctx,
        "iot.retention.updated",
        ("iot_settings", None),
        serde_json::json!({ "days": days }),
    )
    .await?;
    tx.commit().await?;
    Ok(days)
}

/// Deletes the business's telemetry points older than its retention; run daily.
pub async fn enforce_retention(deps: &Deps, tenant_id: Uuid) -> Result<u64> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let days = stored_retention(&tx).await?;
    let cutoff = deps.clock.now() - chrono::TimeDelta::days(i64::from(days));
    let deleted = points::Entity::delete_many()
        .filter(points::Column::TenantId.eq(tenant_id))
        .filter(points::Column::Ts.lt(cutoff))
        .exec(&*tx)
        .await?
        .rows_affected;
    tx.commit().await?;
    Ok(deleted)
}
