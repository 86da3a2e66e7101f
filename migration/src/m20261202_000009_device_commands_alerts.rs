//! Commands sent to devices with their outcome, alert rules, what each rule remembers per
//! device between evaluations, and the alerts they raise.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("device_commands")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("device_id"))
                    .col(string("method"))
                    .col(json_binary("params"))
                    .col(string("status"))
                    .col(json_binary_null("response"))
                    .col(text_null("error"))
                    .col(uuid_null("requested_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut foreign_key("device_commands", "tenant_id", "tenants"))
                    .foreign_key(&mut foreign_key("device_commands", "device_id", "devices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "device_commands",
                "ix_device_commands_device",
                &["tenant_id", "device_id", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "device_commands",
                "ix_device_commands_open",
                &["status", "expires_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("alert_rules")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("name"))
                    // Exactly one of the two: the rule watches one device or a profile's.
                    .col(uuid_null("device_id"))
                    .col(uuid_null("profile_id"))
                    .col(string("severity"))
                    .col(json_binary("condition"))
                    .col(json_binary("notify_emails"))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("alert_rules", "tenant_id", "tenants"))
                    .foreign_key(&mut foreign_key("alert_rules", "device_id", "devices"))
                    .foreign_key(&mut foreign_key(
                        "alert_rules",
                        "profile_id",
                        "device_profiles",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_alert_rules_device", "device_id"),
            ("ix_alert_rules_profile", "profile_id"),
        ] {
            manager
                .create_index(index("alert_rules", name, &["tenant_id", column], false))
                .await?;
        }

        // Since when each timed part of a rule's condition has held for a device.
        manager
            .create_table(
                Table::create()
                    .table("alert_rule_states")
                    .col(uuid("tenant_id"))
                    .col(uuid("rule_id"))
                    .col(uuid("device_id"))
                    .col(json_binary("holding_since"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("rule_id"))
                            .col(Alias::new("device_id")),
                    )
                    .foreign_key(&mut foreign_key(
                        "alert_rule_states",
                        "rule_id",
                        "alert_rules",
                    ))
                    .foreign_key(&mut foreign_key(
                        "alert_rule_states",
                        "device_id",
                        "devices",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("alerts")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("rule_id"))
                    .col(uuid("device_id"))
                    .col(string("severity"))
                    .col(string("status"))
                    .col(json_binary("details"))
                    .col(integer("trigger_count"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("last_triggered_at"))
                    .col(timestamp_with_time_zone_null("acknowledged_at"))
                    .col(uuid_null("acknowledged_by"))
                    .col(timestamp_with_time_zone_null("cleared_at"))
                    .col(uuid_null("cleared_by"))
                    .foreign_key(&mut foreign_key("alerts", "tenant_id", "tenants"))
                    .foreign_key(&mut foreign_key("alerts", "rule_id", "alert_rules"))
                    .foreign_key(&mut foreign_key("alerts", "device_id", "devices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "alerts",
                "ix_alerts_tenant_started",
                &["tenant_id", "started_at"],
                false,
            ))
            .await?;
        // One open alert per rule and device: repeats update it, even when two replicas
        // evaluate the same device at once.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_alerts_open ON alerts (rule_id, device_id) \
                 WHERE cleared_at IS NULL",
            )
            .await?;

        for table in [
            "device_commands",
            "alert_rules",
            "alert_rule_states",
            "alerts",
        ] {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "alerts",
                "alert_rule_states",
                "alert_rules",
                "device_commands",
            ],
        )
        .await
    }
}
