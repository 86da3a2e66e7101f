//! Direct uploads asked for and not yet confirmed: what the client declared, so the bytes
//! can be checked on confirmation, and removed if they never are.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: &[&str] = &["pending_uploads"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("pending_uploads")
                    .col(string("folder_kind"))
                    .col(uuid("folder_id"))
                    .col(string("name"))
                    .col(string("content_type"))
                    .col(big_integer("size_bytes"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(json("tags"))
                    .col(uuid_null("uploaded_by"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "pending_uploads",
                "ix_pending_uploads_expires",
                &["expires_at"],
                false,
            ))
            .await?;
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await
    }
}
