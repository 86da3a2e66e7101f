//! Interest-free installment plans: an invoice's balance in monthly installments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("installments")
                    .col(uuid("invoice_id"))
                    .col(integer("number"))
                    .col(integer("months"))
                    .col(date("due_date"))
                    .col(big_integer("amount_minor"))
                    // What the invoice had been paid when the plan began.
                    .col(big_integer("settled_before_minor"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("reminded_at"))
                    .foreign_key(&mut foreign_key("installments", "invoice_id", "invoices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "installments",
                "ux_installments_invoice",
                &["tenant_id", "invoice_id", "number"],
                true,
            ))
            .await?;
        // The daily job looks for pending installments past due, across businesses.
        manager
            .create_index(index(
                "installments",
                "ix_installments_due",
                &["status", "due_date"],
                false,
            ))
            .await?;
        protect_table(manager, "installments", Some("tenant_id")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["installments"]).await
    }
}
