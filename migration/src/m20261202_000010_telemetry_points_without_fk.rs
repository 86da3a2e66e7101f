//! Telemetry points drop their foreign key to devices on PostgreSQL: its per-row check cost
//! a third of every insert, the hottest write there is. Deleting a device deletes its points
//! itself, and a point racing that deletion is removed by retention. SQLite cannot drop a
//! constraint without rebuilding the table, and its embedded use does not need the speed.

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
                "ALTER TABLE telemetry_points DROP CONSTRAINT IF EXISTS telemetry_points_device_id_fkey",
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
                "DELETE FROM telemetry_points p WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = p.device_id);
                 ALTER TABLE telemetry_points ADD CONSTRAINT telemetry_points_device_id_fkey
                   FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE",
            )
            .await?;
        Ok(())
    }
}
