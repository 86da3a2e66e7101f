//! The factura global: an invoice to the general public names the period its tickets
//! cover (SAT's InformacionGlobal node). Invoice items name the catalog's product they sell.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[&str] = &["global_periodicity", "global_months", "global_year"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("global_periodicity"),
            string_null("global_months"),
            integer_null("global_year"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("invoices")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("invoice_items")
                    .add_column(uuid_null("product_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("invoice_items")
                    .drop_column("product_id")
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("invoices")
                        .drop_column(*column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
