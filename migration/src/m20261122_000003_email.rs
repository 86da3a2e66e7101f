//! Transactional email: the emails table, single-use user tokens, user locale and
//! verification, tenant branding.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let add = |table: &str, column: ColumnDef| {
            Table::alter()
                .table(Alias::new(table))
                .add_column(column)
                .to_owned()
        };
        manager
            .alter_table(add("users", string("locale").default("es-MX").to_owned()))
            .await?;
        manager
            .alter_table(add(
                "users",
                timestamp_with_time_zone_null("email_verified_at"),
            ))
            .await?;
        manager
            .alter_table(add("tenants", string_null("logo_url")))
            .await?;
        manager
            .alter_table(add(
                "tenants",
                string("brand_color").default("#0F766E").to_owned(),
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(string("purpose"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("user_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "user_tokens",
                "ix_user_tokens_user",
                &["user_id", "purpose"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("emails")
                    .col(pk_uuid("id"))
                    .col(uuid_null("tenant_id"))
                    .col(string("kind"))
                    .col(string("to_address"))
                    .col(string("locale"))
                    .col(string("subject"))
                    .col(text("html"))
                    .col(text("text"))
                    .col(string_uniq("message_id"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "emails",
                "ix_emails_status",
                &["status", "created_at"],
                false,
            ))
            .await?;
        // Read and written by the job and by use cases before and after a tenant is known.
        for table in ["user_tokens", "emails"] {
            protect_table(manager, table, None).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["emails", "user_tokens"]).await?;
        let drop = |table: &str, column: &str| {
            Table::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new(column))
                .to_owned()
        };
        manager.alter_table(drop("tenants", "brand_color")).await?;
        manager.alter_table(drop("tenants", "logo_url")).await?;
        manager
            .alter_table(drop("users", "email_verified_at"))
            .await?;
        manager.alter_table(drop("users", "locale")).await?;
        Ok(())
    }
}
