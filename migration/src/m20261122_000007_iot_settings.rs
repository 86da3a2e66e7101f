//! Per-business IoT settings: how long telemetry is kept.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("iot_settings")
                    .col(pk_uuid("tenant_id"))
                    .col(integer("retention_days"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("iot_settings", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        protect_table(manager, "iot_settings", Some("tenant_id")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["iot_settings"]).await
    }
}
