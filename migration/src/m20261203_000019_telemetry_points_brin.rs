//! Telemetry points are found by time through a BRIN index on PostgreSQL instead of a
//! (tenant, time) B-tree: points arrive in time order, so a block range summary (a few
//! pages for the whole table) answers retention's "older than" as well, and an insert no
//! longer updates a second B-tree. Lookups by device and key keep the primary key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_telemetry_ts_brin ON telemetry_points USING brin (ts);
                 DROP INDEX IF EXISTS ix_telemetry_tenant_ts",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_telemetry_tenant_ts ON telemetry_points (tenant_id, ts);
                 DROP INDEX IF EXISTS ix_telemetry_ts_brin",
            )
            .await?;
        Ok(())
    }
}
