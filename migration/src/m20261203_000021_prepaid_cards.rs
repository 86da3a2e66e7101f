//! Prepaid cards and the ledger of their balances.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &["prepaid_entries", "prepaid_cards"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("prepaid_cards")
                    .col(string("uid"))
                    .col(uuid_null("contact_id"))
                    .col(string_null("label"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(big_integer("balance_minor"))
                    .col(uuid_null("replaced_by"))
                    .foreign_key(&mut optional_reference(
                        "prepaid_cards",
                        "contact_id",
                        "contacts",
                    ))
                    .to_owned(),
            )
            .await?;
        // A reader names a card by its UID: one card per UID in a business.
        manager
            .create_index(index(
                "prepaid_cards",
                "ux_prepaid_cards_uid",
                &["tenant_id", "uid"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("prepaid_entries")
                    .col(uuid("card_id"))
                    .col(string("kind"))
                    .col(big_integer("amount_minor"))
                    .col(big_integer("balance_after_minor"))
                    .col(string("transaction_id"))
                    .col(string_null("method"))
                    .col(uuid_null("session_id"))
                    .col(uuid_null("ticket_id"))
                    .col(uuid_null("device_id"))
                    .col(uuid_null("actor_id"))
                    .col(string_null("reference"))
                    .foreign_key(&mut foreign_key(
                        "prepaid_entries",
                        "card_id",
                        "prepaid_cards",
                    ))
                    .to_owned(),
            )
            .await?;
        // A reader's retried charge (same transaction id) is applied once.
        manager
            .create_index(index(
                "prepaid_entries",
                "ux_prepaid_entries_transaction",
                &["tenant_id", "card_id", "transaction_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "prepaid_entries",
                "ix_prepaid_entries_session",
                &["tenant_id", "session_id"],
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
