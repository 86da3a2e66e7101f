//! Public forms a business publishes (hosted page, embed, JSON endpoint), their
//! submissions with consent and attribution, and where each lead came from.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &["form_submissions", "forms"];

const ATTRIBUTION: [&str; 4] = ["utm_source", "utm_medium", "utm_campaign", "referrer"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("forms")
                    .col(string("name"))
                    .col(json("fields"))
                    .col(string_null("consent_text"))
                    .col(json("allowed_origins"))
                    .col(boolean("captcha"))
                    .col(boolean("create_lead"))
                    .col(json("tags"))
                    .col(string_null("success_message"))
                    .col(string_null("redirect_url"))
                    .col(boolean("active"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                tenant_table("form_submissions")
                    .col(uuid("form_id"))
                    .col(uuid("contact_id"))
                    .col(uuid_null("lead_id"))
                    .col(boolean("contact_created"))
                    .col(json("values"))
                    .col(string_null("consent_text"))
                    .col(timestamp_with_time_zone_null("consented_at"))
                    .col(string_null("ip"))
                    .col(string_null("user_agent"))
                    .col(string_null("utm_source"))
                    .col(string_null("utm_medium"))
                    .col(string_null("utm_campaign"))
                    .col(string_null("referrer"))
                    .foreign_key(&mut foreign_key("form_submissions", "form_id", "forms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "form_submissions",
                "ix_form_submissions_form",
                &["tenant_id", "form_id", "created_at"],
                false,
            ))
            .await?;
        for column in ATTRIBUTION {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("leads"))
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ATTRIBUTION {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("leads"))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        drop_tables(manager, TENANT_TABLES).await
    }
}
