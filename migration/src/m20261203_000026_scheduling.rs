//! Scheduling: services, resources (staff, rooms, equipment) with weekly hours and time
//! off, and appointments. On PostgreSQL an exclusion constraint keeps two active
//! appointments of one resource from overlapping, whatever the concurrency.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "appointments",
    "time_off",
    "working_hours",
    "service_resources",
    "resources",
    "services",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("services")
                    .col(string("name"))
                    .col(text_null("description"))
                    .col(integer("duration_minutes"))
                    .col(integer("buffer_before_minutes"))
                    .col(integer("buffer_after_minutes"))
                    .col(integer("interval_minutes"))
                    .col(big_integer("price_minor"))
                    .col(string("currency"))
                    .col(integer("min_notice_minutes"))
                    .col(integer("max_advance_days"))
                    .col(boolean("active"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "services",
                "ux_services_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("resources")
                    .col(string("kind"))
                    .col(string("name"))
                    .col(uuid_null("user_id"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(integer("quantity"))
                    .col(boolean("active"))
                    .foreign_key(&mut optional_reference("resources", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "resources",
                "ux_resources_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("service_resources")
                    .col(uuid("service_id"))
                    .col(uuid("resource_id"))
                    .foreign_key(&mut foreign_key(
                        "service_resources",
                        "service_id",
                        "services",
                    ))
                    .foreign_key(&mut foreign_key(
                        "service_resources",
                        "resource_id",
                        "resources",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "service_resources",
                "ux_service_resources_pair",
                &["tenant_id", "service_id", "resource_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("working_hours")
                    .col(uuid("resource_id"))
                    .col(integer("weekday"))
                    .col(integer("opens_minute"))
                    .col(integer("closes_minute"))
                    .foreign_key(&mut foreign_key(
                        "working_hours",
                        "resource_id",
                        "resources",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "working_hours",
                "ix_working_hours_resource",
                &["tenant_id", "resource_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("time_off")
                    .col(uuid("resource_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_null("reason"))
                    .foreign_key(&mut foreign_key("time_off", "resource_id", "resources"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "time_off",
                "ix_time_off_resource",
                &["tenant_id", "resource_id", "starts_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("appointments")
                    .col(uuid("service_id"))
                    .col(uuid("resource_id"))
                    .col(uuid_null("contact_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(timestamp_with_time_zone("block_starts_at"))
                    .col(timestamp_with_time_zone("block_ends_at"))
                    .col(string("status"))
                    .col(string("booked_by"))
                    .col(text_null("notes"))
                    .col(big_integer("price_minor"))
                    .col(string("currency"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(text_null("cancel_reason"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut foreign_key("appointments", "service_id", "services"))
                    .foreign_key(&mut foreign_key("appointments", "resource_id", "resources"))
                    .foreign_key(&mut optional_reference(
                        "appointments",
                        "contact_id",
                        "contacts",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "appointments",
                "ix_appointments_resource_time",
                &["tenant_id", "resource_id", "block_starts_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "appointments",
                "ix_appointments_contact",
                &["tenant_id", "contact_id", "id"],
                false,
            ))
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // btree_gist lets the constraint compare the tenant and resource by equality next
            // to the time ranges; it is a trusted extension, which a database owner may add.
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE EXTENSION IF NOT EXISTS btree_gist;
                     ALTER TABLE appointments ADD CONSTRAINT ex_appointments_overlap
                       EXCLUDE USING gist (
                         tenant_id WITH =,
                         resource_id WITH =,
                         tstzrange(block_starts_at, block_ends_at) WITH &&
                       ) WHERE (status NOT IN ('cancelled', 'no_show'));",
                )
                .await?;
        }
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await
    }
}
