//! A proposal paid by card: its Stripe Checkout page and the payment that settled it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[&str] = &["checkout_id", "checkout_url", "payment_intent", "paid_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("checkout_id"),
            text_null("checkout_url"),
            string_null("payment_intent"),
            timestamp_with_time_zone_null("paid_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("proposals")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("proposals")
                        .drop_column(*column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
