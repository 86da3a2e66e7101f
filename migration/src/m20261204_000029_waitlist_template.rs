//! A freed slot is offered on WhatsApp with the business's own approved template, as
//! reminders are: outside the 24-hour window WhatsApp takes nothing else.

use crate::helpers::optional_reference;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table a column at a time.
        for column in [
            uuid_null("waitlist_template_id"),
            json("waitlist_template_variables").default("[]").to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("scheduling_settings")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // SQLite cannot add a constraint to a table; there a template that no longer
        // exists is skipped when the offer is sent.
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager
                .alter_table(
                    Table::alter()
                        .table("scheduling_settings")
                        .add_foreign_key(
                            optional_reference(
                                "scheduling_settings",
                                "waitlist_template_id",
                                "message_templates",
                            )
                            .get_foreign_key(),
                        )
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["waitlist_template_id", "waitlist_template_variables"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("scheduling_settings")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
