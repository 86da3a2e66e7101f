//! Gapless folio numbers per business and series (proposals, invoices, receipts).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::Result;
use crate::db::{TenantTx, raw};

/// The next number of `series` for the transaction's tenant. The upsert locks the sequence
/// row until commit, so concurrent proposals wait their turn and a rolled-back one gives
/// its number back: numbers have no gaps.
pub async fn next_number(tx: &TenantTx, series: &str, now: DateTime<Utc>) -> Result<i64> {
    #[derive(FromQueryResult)]
    struct Next {
        value: i64,
    }
    let next = Next::find_by_statement(raw(
        tx.get_database_backend(),
        "INSERT INTO number_sequences (id, tenant_id, series, next_value, created_at, updated_at)
         VALUES ($1, $2, $3, 2, $4, $4)
         ON CONFLICT (tenant_id, series) DO UPDATE
           SET next_value = number_sequences.next_value + 1, updated_at = excluded.updated_at
         RETURNING next_value - 1 AS value",
        [
            Uuid::now_v7().into(),
            tx.tenant_id().into(),
            series.into(),
            now.into(),
        ],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| anyhow::anyhow!("the number sequence returned nothing"))?;
    Ok(next.value)
}
