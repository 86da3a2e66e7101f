//! CRM: custom fields, companies, contacts, pipelines and stages, leads with their stage
//! history, activities and tasks, proposals with their items, gapless number sequences and
//! the schedule of recurring maintenance jobs.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: &[&str] = &[
    "crm_settings",
    "custom_field_definitions",
    "companies",
    "contacts",
    "pipelines",
    "pipeline_stages",
    "leads",
    "lead_stage_changes",
    "activities",
    "proposals",
    "proposal_items",
    "number_sequences",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("crm_settings")
                    .col(pk_uuid("tenant_id"))
                    .col(json_binary("scoring"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("crm_settings", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                tenant_table("custom_field_definitions")
                    .col(string("entity"))
                    .col(string("key"))
                    .col(string("label"))
                    .col(string("kind"))
                    .col(json_binary("options"))
                    .col(boolean("required"))
                    .col(integer("position"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "custom_field_definitions",
                "ux_custom_fields_key",
                &["tenant_id", "entity", "key"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("companies")
                    .col(string("name"))
                    .col(string_null("legal_name"))
                    .col(string_null("rfc"))
                    .col(string_null("tax_regime"))
                    .col(string_null("postal_code"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(string_null("website"))
                    .col(string_null("city"))
                    .col(uuid_null("owner_id"))
                    .col(json_binary("tags"))
                    .col(json_binary("custom_fields"))
                    .col(boolean("is_customer"))
                    .col(timestamp_with_time_zone_null("customer_since"))
                    .col(string("search_text"))
                    .foreign_key(&mut optional_reference("companies", "owner_id", "users"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_companies_rfc", &["tenant_id", "rfc"][..]),
            ("ix_companies_email", &["tenant_id", "email"]),
            ("ix_companies_phone", &["tenant_id", "phone"]),
        ] {
            manager
                .create_index(index("companies", name, columns, false))
                .await?;
        }

        manager
            .create_table(
                tenant_table("contacts")
                    .col(string("first_name"))
                    .col(string("last_name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(string_null("rfc"))
                    .col(string_null("job_title"))
                    .col(string_null("city"))
                    .col(uuid_null("company_id"))
                    .col(uuid_null("owner_id"))
                    .col(json_binary("tags"))
                    .col(json_binary("custom_fields"))
                    .col(boolean("is_customer"))
                    .col(timestamp_with_time_zone_null("customer_since"))
                    .col(string("search_text"))
                    .foreign_key(&mut optional_reference(
                        "contacts",
                        "company_id",
                        "companies",
                    ))
                    .foreign_key(&mut optional_reference("contacts", "owner_id", "users"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_contacts_email", &["tenant_id", "email"][..]),
            ("ix_contacts_phone", &["tenant_id", "phone"]),
            ("ix_contacts_rfc", &["tenant_id", "rfc"]),
            ("ix_contacts_company", &["tenant_id", "company_id"]),
        ] {
            manager
                .create_index(index("contacts", name, columns, false))
                .await?;
        }

        manager
            .create_table(
                tenant_table("pipelines")
                    .col(string("name"))
                    .col(boolean("is_default"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "pipelines",
                "ux_pipelines_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("pipeline_stages")
                    .col(uuid("pipeline_id"))
                    .col(string("name"))
                    .col(integer("position"))
                    .col(integer("probability"))
                    .col(string("outcome"))
                    .foreign_key(&mut foreign_key(
                        "pipeline_stages",
                        "pipeline_id",
                        "pipelines",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "pipeline_stages",
                "ix_pipeline_stages_pipeline",
                &["tenant_id", "pipeline_id", "position"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("leads")
                    .col(string("title"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("company_id"))
                    .col(string("source"))
                    .col(uuid_null("owner_id"))
                    .col(big_integer("value_minor"))
                    .col(string("currency"))
                    .col(date_null("expected_close_on"))
                    .col(uuid("pipeline_id"))
                    .col(uuid("stage_id"))
                    .col(string("status"))
                    .col(string_null("lost_reason"))
                    .col(timestamp_with_time_zone_null("next_follow_up_at"))
                    .col(json_binary("tags"))
                    .col(json_binary("custom_fields"))
                    .col(integer("score"))
                    .col(json_binary("score_reasons"))
                    .col(timestamp_with_time_zone_null("last_activity_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut optional_reference("leads", "contact_id", "contacts"))
                    .foreign_key(&mut optional_reference("leads", "company_id", "companies"))
                    .foreign_key(&mut optional_reference("leads", "owner_id", "users"))
                    .foreign_key(&mut foreign_key("leads", "pipeline_id", "pipelines"))
                    .foreign_key(&mut foreign_key("leads", "stage_id", "pipeline_stages"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_leads_tenant", &["tenant_id", "id"][..]),
            ("ix_leads_stage", &["tenant_id", "stage_id", "id"]),
            ("ix_leads_owner", &["tenant_id", "owner_id", "id"]),
            ("ix_leads_score", &["tenant_id", "score"]),
            ("ix_leads_contact", &["tenant_id", "contact_id"]),
            ("ix_leads_company", &["tenant_id", "company_id"]),
            ("ix_leads_close", &["tenant_id", "expected_close_on"]),
        ] {
            manager
                .create_index(index("leads", name, columns, false))
                .await?;
        }

        manager
            .create_table(
                tenant_table("lead_stage_changes")
                    .col(uuid("lead_id"))
                    .col(uuid_null("from_stage_id"))
                    .col(uuid("to_stage_id"))
                    .col(string("actor_type"))
                    .col(uuid_null("actor_id"))
                    .foreign_key(&mut foreign_key("lead_stage_changes", "lead_id", "leads"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "lead_stage_changes",
                "ix_lead_stage_changes_lead",
                &["tenant_id", "lead_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("activities")
                    .col(string("kind"))
                    .col(string("subject"))
                    .col(text("body"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("company_id"))
                    .col(uuid_null("lead_id"))
                    .col(uuid_null("author_id"))
                    .col(uuid_null("assignee_id"))
                    .col(timestamp_with_time_zone_null("due_at"))
                    .col(timestamp_with_time_zone_null("done_at"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .foreign_key(&mut foreign_key("activities", "contact_id", "contacts"))
                    .foreign_key(&mut foreign_key("activities", "company_id", "companies"))
                    .foreign_key(&mut foreign_key("activities", "lead_id", "leads"))
                    .foreign_key(&mut optional_reference("activities", "author_id", "users"))
                    .foreign_key(&mut optional_reference(
                        "activities",
                        "assignee_id",
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "ix_activities_lead",
                &["tenant_id", "lead_id", "occurred_at"][..],
            ),
            (
                "ix_activities_contact",
                &["tenant_id", "contact_id", "occurred_at"],
            ),
            (
                "ix_activities_company",
                &["tenant_id", "company_id", "occurred_at"],
            ),
            (
                "ix_activities_tasks",
                &["tenant_id", "kind", "done_at", "due_at"],
            ),
        ] {
            manager
                .create_index(index("activities", name, columns, false))
                .await?;
        }

        manager
            .create_table(
                tenant_table("proposals")
                    .col(string("number"))
                    .col(string("series"))
                    .col(string("title"))
                    .col(uuid_null("lead_id"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("company_id"))
                    .col(string("currency"))
                    .col(string("status"))
                    .col(date("valid_until"))
                    .col(text("notes"))
                    .col(big_integer("subtotal_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("withheld_minor"))
                    .col(big_integer("total_minor"))
                    .col(string_null("public_token_hash"))
                    .col(string_null("recipient_email"))
                    .col(integer("view_count"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("first_viewed_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(string_null("accepted_by"))
                    .col(string_null("rejection_reason"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut optional_reference("proposals", "lead_id", "leads"))
                    .foreign_key(&mut optional_reference(
                        "proposals",
                        "contact_id",
                        "contacts",
                    ))
                    .foreign_key(&mut optional_reference(
                        "proposals",
                        "company_id",
                        "companies",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "proposals",
                "ux_proposals_number",
                &["tenant_id", "number"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "proposals",
                "ux_proposals_public_token",
                &["public_token_hash"],
                true,
            ))
            .await?;
        for (name, columns) in [
            (
                "ix_proposals_status",
                &["tenant_id", "status", "valid_until"][..],
            ),
            ("ix_proposals_lead", &["tenant_id", "lead_id"]),
            ("ix_proposals_contact", &["tenant_id", "contact_id"]),
            ("ix_proposals_company", &["tenant_id", "company_id"]),
        ] {
            manager
                .create_index(index("proposals", name, columns, false))
                .await?;
        }
        manager
            .create_table(
                tenant_table("proposal_items")
                    .col(uuid("proposal_id"))
                    .col(integer("position"))
                    .col(uuid_null("product_id"))
                    .col(string("description"))
                    .col(string("quantity"))
                    .col(string("unit_price"))
                    .col(big_integer("discount_minor"))
                    .col(string("tax"))
                    .col(json_binary("withholdings"))
                    .col(big_integer("amount_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("withheld_minor"))
                    .foreign_key(&mut foreign_key(
                        "proposal_items",
                        "proposal_id",
                        "proposals",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "proposal_items",
                "ix_proposal_items_proposal",
                &["tenant_id", "proposal_id", "position"],
                false,
            ))
            .await?;

        // One row per tenant and series; its row lock makes numbering gapless.
        manager
            .create_table(
                tenant_table("number_sequences")
                    .col(string("series"))
                    .col(big_integer("next_value"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "number_sequences",
                "ux_number_sequences_series",
                &["tenant_id", "series"],
                true,
            ))
            .await?;

        // Recurring maintenance across tenants, claimed by one process at a time.
        manager
            .create_table(
                Table::create()
                    .table("schedules")
                    .col(string("name").primary_key())
                    .col(timestamp_with_time_zone("next_run_at"))
                    .to_owned(),
            )
            .await?;

        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        protect_table(manager, "schedules", None).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "schedules",
                "number_sequences",
                "proposal_items",
                "proposals",
                "activities",
                "lead_stage_changes",
                "leads",
                "pipeline_stages",
                "pipelines",
                "contacts",
                "companies",
                "custom_field_definitions",
                "crm_settings",
            ],
        )
        .await
    }
}
