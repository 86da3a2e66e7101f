//! Storing a telemetry batch on PostgreSQL: the points by binary `COPY` straight into their
//! table, the rest as one array-bound statement each, in one transaction.
//!
//! `COPY` has no `ON CONFLICT`: a batch holding a point already stored (a device resending
//! after a lost acknowledgement) fails as a whole, and is stored again the slower way, with
//! the points inserted from arrays and repeats skipped. Both paths leave the same rows.

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::payload::{Point, Reading};
use super::telemetry::DeviceIdentity;
use crate::Result;

const UNIQUE_VIOLATION: &str = "23505";

/// Batches smaller than this go in as one array-bound INSERT. The driver writes `COPY`'s
/// data and its end as two packets on a socket without TCP_NODELAY, so the end waits for
/// the server's delayed acknowledgement (about 40 ms): nothing next to a large batch, most
/// of a lone reading's way to live subscribers.
const COPY_FROM_ROWS: usize = 1_000;

/// Stores the batch; returns the devices (id, business) that came online with it.
pub(crate) async fn store(
    pool: &PgPool,
    rows: &[(&DeviceIdentity, &Point)],
    newest: &[(&DeviceIdentity, &Point)],
    device_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Uuid)>> {
    let mut tx = pool.begin().await.map_err(db)?;
    if rows.len() < COPY_FROM_ROWS {
        insert_points_skipping_repeats(&mut tx, rows).await?;
    } else {
        match copy_points(&mut tx, rows).await {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => {
                tx.rollback().await.map_err(db)?;
                tx = pool.begin().await.map_err(db)?;
                insert_points_skipping_repeats(&mut tx, rows).await?;
            }
            Err(err) => return Err(db(err)),
        }
    }
    upsert_latest(&mut tx, newest).await?;
    // Devices that were offline come online in one conditional statement, so racing
    // batches announce each once; the rest only move their last-seen time.
    let came_online: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE devices SET online = true, last_seen_at = $1
         WHERE id = ANY($2) AND online = false RETURNING id, tenant_id",
    )
    .bind(now)
    .bind(device_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = ANY($2) AND online = true")
        .bind(now)
        .bind(device_ids)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(came_online)
}

async fn copy_points(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[(&DeviceIdentity, &Point)],
) -> std::result::Result<(), sqlx::Error> {
    let mut copy = tx
        .copy_in_raw(
            "COPY telemetry_points (tenant_id, device_id, key, ts, value_number, value_text)
             FROM STDIN (FORMAT binary)",
        )
        .await?;
    copy.send(binary_copy(rows)).await?;
    copy.finish().await?;
    Ok(())
}

async fn insert_points_skipping_repeats(
    tx: &mut Transaction<'static, Postgres>,
    rows: &[(&DeviceIdentity, &Point)],
) -> Result<()> {
    insert_from_arrays(
        tx,
        "INSERT INTO telemetry_points (tenant_id, device_id, key, ts, value_number, value_text)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                              $5::float8[], $6::text[])
         ON CONFLICT (device_id, key, ts) DO NOTHING",
        rows,
    )
    .await
}

/// The newest value per device and key; a late point never replaces a newer one. Rows are
/// in one order for every writer, so concurrent batches lock them without deadlocking.
async fn upsert_latest(
    tx: &mut Transaction<'static, Postgres>,
    newest: &[(&DeviceIdentity, &Point)],
) -> Result<()> {
    insert_from_arrays(
        tx,
        "INSERT INTO telemetry_latest (tenant_id, device_id, key, ts, value_number, value_text)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                              $5::float8[], $6::text[])
         ON CONFLICT (device_id, key) DO UPDATE
           SET ts = excluded.ts, value_number = excluded.value_number,
               value_text = excluded.value_text
           WHERE telemetry_latest.ts <= excluded.ts",
        newest,
    )
    .await
}

/// Runs `statement` with the rows' six columns bound as arrays `$1`–`$6`.
async fn insert_from_arrays(
    tx: &mut Transaction<'static, Postgres>,
    statement: &'static str,
    rows: &[(&DeviceIdentity, &Point)],
) -> Result<()> {
    let columns = Columns::of(rows);
    sqlx::query(statement)
        .bind(columns.tenants)
        .bind(columns.devices)
        .bind(columns.keys)
        .bind(columns.times)
        .bind(columns.numbers)
        .bind(columns.texts)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// Points as column arrays, for `UNNEST`: six parameters whatever the batch's size.
struct Columns {
    tenants: Vec<Uuid>,
    devices: Vec<Uuid>,
    keys: Vec<String>,
    times: Vec<DateTime<Utc>>,
    numbers: Vec<Option<f64>>,
    texts: Vec<Option<String>>,
}

impl Columns {
    fn of(rows: &[(&DeviceIdentity, &Point)]) -> Self {
        let mut columns = Self {
            tenants: Vec::with_capacity(rows.len()),
            devices: Vec::with_capacity(rows.len()),
            keys: Vec::with_capacity(rows.len()),
            times: Vec::with_capacity(rows.len()),
            numbers: Vec::with_capacity(rows.len()),
            texts: Vec::with_capacity(rows.len()),
        };
        for (device, point) in rows {
            columns.tenants.push(device.tenant_id);
            columns.devices.push(device.device_id);
            columns.keys.push(point.key.clone());
            columns.times.push(point.ts);
            let (number, text) = match &point.value {
                Reading::Number(n) => (Some(*n), None),
                Reading::Text(t) => (None, Some(t.clone())),
            };
            columns.numbers.push(number);
            columns.texts.push(text);
        }
        columns
    }
}

/// PostgreSQL's binary `COPY` format: a signature, then each row as its field count and
/// each field as its length and bytes (-1 for NULL), then -1.
fn binary_copy(rows: &[(&DeviceIdentity, &Point)]) -> Vec<u8> {
    const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
    // Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01.
    const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
    let mut out = Vec::with_capacity(19 + rows.len() * 96);
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&0_i32.to_be_bytes()); // flags
    out.extend_from_slice(&0_i32.to_be_bytes()); // header extension
    fn field(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            Some(bytes) => {
                out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                out.extend_from_slice(bytes);
            }
            None => out.extend_from_slice(&(-1_i32).to_be_bytes()),
        }
    }
    for (device, point) in rows {
        out.extend_from_slice(&6_i16.to_be_bytes());
        field(&mut out, Some(device.tenant_id.as_bytes()));
        field(&mut out, Some(device.device_id.as_bytes()));
        field(&mut out, Some(point.key.as_bytes()));
        let micros = point.ts.timestamp_micros() - POSTGRES_EPOCH_MICROS;
        field(&mut out, Some(&micros.to_be_bytes()));
        match &point.value {
            Reading::Number(n) => {
                field(&mut out, Some(&n.to_be_bytes()));
                field(&mut out, None);
            }
            Reading::Text(t) => {
                field(&mut out, None);
                field(&mut out, Some(t.as_bytes()));
            }
        }
    }
    out.extend_from_slice(&(-1_i16).to_be_bytes());
    out
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == UNIQUE_VIOLATION)
}

fn db(err: sqlx::Error) -> crate::Error {
    crate::Error::Unexpected(anyhow::Error::new(err).context("storing telemetry"))
}
