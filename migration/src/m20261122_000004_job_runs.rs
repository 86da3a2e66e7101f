//! The job ledger: every background job's state, attempts and last error.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, index};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("job_runs")
                    .col(pk_uuid("id"))
                    .col(uuid_null("tenant_id"))
                    .col(string("kind"))
                    .col(json_binary("payload"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "job_runs",
                "ix_job_runs_tenant",
                &["tenant_id", "kind", "status", "id"],
                false,
            ))
            .await?;
        // Account-level jobs have no tenant; workers reach every row, admins only their own.
        protect_table(manager, "job_runs", Some("tenant_id")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["job_runs"]).await
    }
}
