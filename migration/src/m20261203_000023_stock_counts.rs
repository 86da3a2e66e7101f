//! Stocktakes: counts of a location and their lines.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &["stock_count_lines", "stock_counts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("stock_counts")
                    .col(uuid("location_id"))
                    .col(string("status"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone_null("posted_at"))
                    .col(uuid_null("actor_id"))
                    .foreign_key(&mut foreign_key(
                        "stock_counts",
                        "location_id",
                        "stock_locations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                tenant_table("stock_count_lines")
                    .col(uuid("count_id"))
                    .col(uuid("variant_id"))
                    .col(big_integer("counted_milli"))
                    .col(big_integer_null("expected_milli"))
                    .foreign_key(&mut foreign_key(
                        "stock_count_lines",
                        "count_id",
                        "stock_counts",
                    ))
                    .foreign_key(&mut foreign_key(
                        "stock_count_lines",
                        "variant_id",
                        "product_variants",
                    ))
                    .to_owned(),
            )
            .await?;
        // A variant is counted once per stocktake; a recount replaces the figure.
        manager
            .create_index(index(
                "stock_count_lines",
                "ux_stock_count_lines_variant",
                &["tenant_id", "count_id", "variant_id"],
                true,
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
