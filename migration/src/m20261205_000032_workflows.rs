//! Workflows a business configures ("when X happens, do Y"), their versions, their runs
//! and each run's step log; and, on every event, the workflow run whose step caused it, so
//! a workflow that triggers itself can be stopped.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "workflow_run_steps",
    "workflow_runs",
    "workflow_versions",
    "workflows",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("workflows")
                    .col(string("name"))
                    .col(boolean("enabled"))
                    .col(integer("version"))
                    .col(string("trigger_kind"))
                    .col(string_null("event_type"))
                    .col(string_null("cron"))
                    .col(timestamp_with_time_zone_null("next_run_at"))
                    .col(string_null("webhook_token_hash"))
                    .col(json("definition"))
                    .col(json("rotation"))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ix_workflows_event",
                &["tenant_id", "event_type", "enabled"][..],
                false,
            ),
            ("ix_workflows_next_run", &["next_run_at"][..], false),
        ] {
            manager
                .create_index(index("workflows", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("workflow_versions")
                    .col(uuid("workflow_id"))
                    .col(integer("version"))
                    .col(json("definition"))
                    .foreign_key(&mut foreign_key(
                        "workflow_versions",
                        "workflow_id",
                        "workflows",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "workflow_versions",
                "ux_workflow_versions",
                &["tenant_id", "workflow_id", "version"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("workflow_runs")
                    .col(uuid("workflow_id"))
                    .col(integer("version"))
                    .col(string("trigger_key"))
                    .col(json("trigger"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("lead_id"))
                    .col(string("status"))
                    .col(integer("depth"))
                    .col(integer("position"))
                    .col(timestamp_with_time_zone_null("wake_at"))
                    .col(string_null("error"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .foreign_key(&mut foreign_key(
                        "workflow_runs",
                        "workflow_id",
                        "workflows",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_workflow_runs_trigger",
                &["tenant_id", "workflow_id", "trigger_key"][..],
                true,
            ),
            (
                "ix_workflow_runs_status",
                &["tenant_id", "status", "created_at"][..],
                false,
            ),
            ("ix_workflow_runs_wake", &["status", "wake_at"][..], false),
        ] {
            manager
                .create_index(index("workflow_runs", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("workflow_run_steps")
                    .col(uuid("run_id"))
                    .col(integer("position"))
                    .col(string("path"))
                    .col(string("kind"))
                    .col(string("status"))
                    .col(json("input"))
                    .col(json("output"))
                    .col(string_null("error"))
                    .col(big_integer("duration_ms"))
                    .foreign_key(&mut foreign_key(
                        "workflow_run_steps",
                        "run_id",
                        "workflow_runs",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "workflow_run_steps",
                "ix_workflow_run_steps_run",
                &["tenant_id", "run_id", "id"],
                false,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("outbox_events"))
                    .add_column(uuid_null("caused_by_run_id"))
                    .to_owned(),
            )
            .await?;
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("outbox_events"))
                    .drop_column(Alias::new("caused_by_run_id"))
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, TENANT_TABLES).await
    }
}
