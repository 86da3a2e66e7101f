//! Stripe: the Checkout link of an invoice, payments reported by Stripe (with refunds), and
//! the events already applied, so a redelivered one changes nothing.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_null("checkout_id"),
            text_null("checkout_url"),
            big_integer_null("checkout_amount_minor"),
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
        for column in [
            string_null("external_id"),
            big_integer("refunded_minor").default(0).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("payments")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index(
                "payments",
                "ux_payments_external",
                &["tenant_id", "external_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("stripe_events")
                    .col(string("event_id"))
                    .col(string("event_type"))
                    .col(timestamp_with_time_zone("event_created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "stripe_events",
                "ux_stripe_events_event",
                &["tenant_id", "event_id"],
                true,
            ))
            .await?;
        protect_table(manager, "stripe_events", Some("tenant_id")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["stripe_events"]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_payments_external")
                    .table("payments")
                    .to_owned(),
            )
            .await?;
        for column in ["external_id", "refunded_minor"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("payments")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in ["checkout_id", "checkout_url", "checkout_amount_minor"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("invoices")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
