//! IoT: device profiles, devices with their credentials, telemetry points and the latest
//! value of each key.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("device_profiles")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("name"))
                    .col(json_binary("telemetry_keys"))
                    .col(integer("offline_timeout_secs"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("device_profiles", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "device_profiles",
                "ux_device_profiles_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("devices")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("name"))
                    .col(string("device_type"))
                    .col(string_null("location"))
                    .col(json_binary("tags"))
                    .col(json_binary("metadata"))
                    .col(uuid_null("profile_id"))
                    // The credential: SHA-256 of the token, which is shown once.
                    .col(string_null("token_hash"))
                    .col(timestamp_with_time_zone_null("token_issued_at"))
                    .col(timestamp_with_time_zone_null("last_seen_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("devices", "tenant_id", "tenants"))
                    .foreign_key(&mut optional_reference(
                        "devices",
                        "profile_id",
                        "device_profiles",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "devices",
                "ix_devices_tenant",
                &["tenant_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_index(index("devices", "ux_devices_token", &["token_hash"], true))
            .await?;

        // One row per point; the key is part of the primary key so a repeated sample of
        // the same key at the same instant is stored once.
        manager
            .create_table(
                Table::create()
                    .table("telemetry_points")
                    .col(uuid("tenant_id"))
                    .col(uuid("device_id"))
                    .col(string("key"))
                    .col(timestamp_with_time_zone("ts"))
                    .col(double_null("value_number"))
                    .col(text_null("value_text"))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("device_id"))
                            .col(Alias::new("key"))
                            .col(Alias::new("ts")),
                    )
                    .foreign_key(&mut foreign_key("telemetry_points", "device_id", "devices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "telemetry_points",
                "ix_telemetry_tenant_ts",
                &["tenant_id", "ts"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("telemetry_latest")
                    .col(uuid("tenant_id"))
                    .col(uuid("device_id"))
                    .col(string("key"))
                    .col(timestamp_with_time_zone("ts"))
                    .col(double_null("value_number"))
                    .col(text_null("value_text"))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("device_id"))
                            .col(Alias::new("key")),
                    )
                    .foreign_key(&mut foreign_key("telemetry_latest", "device_id", "devices"))
                    .to_owned(),
            )
            .await?;

        for table in [
            "device_profiles",
            "devices",
            "telemetry_points",
            "telemetry_latest",
        ] {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "telemetry_latest",
                "telemetry_points",
                "devices",
                "device_profiles",
            ],
        )
        .await
    }
}
