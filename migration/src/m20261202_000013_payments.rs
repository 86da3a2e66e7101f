//! Payments received against invoices, each with its payment receipt (CFDI type P) when the
//! invoice is paid in installments or later (PPD).

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
                tenant_table("payments")
                    .col(uuid("invoice_id"))
                    .col(big_integer("amount_minor"))
                    .col(string("currency"))
                    .col(string_null("exchange_rate"))
                    .col(timestamp_with_time_zone("paid_at"))
                    .col(string("payment_form"))
                    .col(string_null("reference"))
                    // manual, or the provider that reported it.
                    .col(string("source"))
                    .col(integer("installment"))
                    .col(big_integer("balance_before_minor"))
                    // None for PUE invoices, which get no receipt.
                    .col(string_null("receipt_status"))
                    .col(string_null("receipt_series"))
                    .col(big_integer_null("receipt_folio"))
                    .col(timestamp_with_time_zone_null("receipt_issued_at"))
                    .col(string_null("receipt_uuid"))
                    .col(text_null("receipt_xml"))
                    .col(string_null("pac_error_code"))
                    .col(text_null("pac_error_message"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut foreign_key("payments", "invoice_id", "invoices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "payments",
                "ix_payments_invoice",
                &["tenant_id", "invoice_id", "installment"],
                true,
            ))
            .await?;
        protect_table(manager, "payments", Some("tenant_id")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["payments"]).await
    }
}
