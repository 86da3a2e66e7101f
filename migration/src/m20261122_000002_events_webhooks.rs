//! The outbox of domain events, and outgoing webhook endpoints with their deliveries.

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
                    .table("outbox_events")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("event_type"))
                    .col(string("source"))
                    .col(string_null("subject"))
                    .col(timestamp_with_time_zone("time"))
                    .col(json_binary("data"))
                    .col(timestamp_with_time_zone_null("dispatched_at"))
                    .foreign_key(&mut foreign_key("outbox_events", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_events",
                "ix_outbox_events_tenant",
                &["tenant_id", "id"],
                false,
            ))
            .await?;
        // The dispatcher looks for undispatched events across tenants.
        manager
            .create_index(index(
                "outbox_events",
                "ix_outbox_events_pending",
                &["dispatched_at", "tenant_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_endpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("url"))
                    .col(string("description"))
                    .col(json_binary("event_types"))
                    .col(string("secret"))
                    .col(boolean("enabled"))
                    .col(string_null("disabled_reason"))
                    .col(timestamp_with_time_zone_null("failing_since"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key(
                        "webhook_endpoints",
                        "tenant_id",
                        "tenants",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "webhook_endpoints",
                "ix_webhook_endpoints_tenant",
                &["tenant_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("endpoint_id"))
                    .col(uuid("event_id"))
                    .col(string("event_type"))
                    .col(text("body"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(integer_null("last_status_code"))
                    .col(big_integer_null("last_latency_ms"))
                    .col(text_null("last_response_excerpt"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key(
                        "webhook_deliveries",
                        "tenant_id",
                        "tenants",
                    ))
                    .foreign_key(&mut foreign_key(
                        "webhook_deliveries",
                        "endpoint_id",
                        "webhook_endpoints",
                    ))
                    .to_owned(),
            )
            .await?;
        // A consumer seeing the same event twice adds no second delivery.
        manager
            .create_index(index(
                "webhook_deliveries",
                "ux_webhook_deliveries_event",
                &["tenant_id", "endpoint_id", "event_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "webhook_deliveries",
                "ix_webhook_deliveries_status",
                &["tenant_id", "status", "next_attempt_at"],
                false,
            ))
            .await?;

        for table in ["outbox_events", "webhook_endpoints", "webhook_deliveries"] {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["webhook_deliveries", "webhook_endpoints", "outbox_events"],
        )
        .await?;
        Ok(())
    }
}
