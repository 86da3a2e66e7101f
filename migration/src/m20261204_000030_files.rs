//! Files filed under records, with their bytes in object storage, and the log of who
//! downloaded each.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &["file_downloads", "files"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("files")
                    .col(string("folder_kind"))
                    .col(uuid("folder_id"))
                    .col(string("name"))
                    .col(string("content_type"))
                    .col(big_integer("size_bytes"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(json("tags"))
                    .col(uuid_null("uploaded_by"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "ix_files_folder",
                &["tenant_id", "folder_kind", "folder_id"][..],
            ),
            ("ix_files_deleted", &["deleted_at"][..]),
        ] {
            manager
                .create_index(index("files", name, columns, false))
                .await?;
        }
        manager
            .create_table(
                tenant_table("file_downloads")
                    .col(uuid("file_id"))
                    .col(uuid_null("user_id"))
                    .col(string_null("ip"))
                    .col(string_null("user_agent"))
                    .foreign_key(&mut foreign_key("file_downloads", "file_id", "files"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "file_downloads",
                "ix_file_downloads_file",
                &["tenant_id", "file_id", "created_at"],
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
