//! Booking beyond the calendar: a business's scheduling settings (reminders, its public
//! booking page, its calendar feed), reminders per appointment, the waitlist, and the
//! phone codes the booking page verifies.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "phone_verifications",
    "waitlist_entries",
    "appointment_reminders",
    "scheduling_settings",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("scheduling_settings")
                    // Minutes before an appointment each reminder goes out, as a JSON array.
                    .col(json("reminder_offsets"))
                    .col(uuid_null("reminder_template_id"))
                    .col(json("reminder_template_variables"))
                    .col(uuid_null("verification_template_id"))
                    .col(boolean("booking_page_enabled"))
                    .col(boolean("verify_phone"))
                    .col(string("feed_token"))
                    .col(integer("waitlist_hold_minutes"))
                    .foreign_key(&mut optional_reference(
                        "scheduling_settings",
                        "reminder_template_id",
                        "message_templates",
                    ))
                    .foreign_key(&mut optional_reference(
                        "scheduling_settings",
                        "verification_template_id",
                        "message_templates",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ux_scheduling_settings_tenant", &["tenant_id"][..]),
            ("ux_scheduling_settings_feed", &["feed_token"][..]),
        ] {
            manager
                .create_index(index("scheduling_settings", name, columns, true))
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("resources")
                    .add_column(string_null("feed_token"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "resources",
                "ux_resources_feed",
                &["feed_token"],
                true,
            ))
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in ["remind_via", "manage_token"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("appointments")
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index(
                "appointments",
                "ux_appointments_manage_token",
                &["manage_token"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("appointment_reminders")
                    .col(uuid("appointment_id"))
                    .col(integer("offset_minutes"))
                    // The start it reminds of: a moved appointment's old reminders skip.
                    .col(timestamp_with_time_zone("for_starts_at"))
                    .col(timestamp_with_time_zone("due_at"))
                    // pending, sent or skipped.
                    .col(string("status"))
                    .col(string_null("channel"))
                    .col(uuid_null("message_id"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(text_null("note"))
                    .foreign_key(&mut foreign_key(
                        "appointment_reminders",
                        "appointment_id",
                        "appointments",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "appointment_reminders",
                "ix_appointment_reminders_due",
                &["status", "due_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "appointment_reminders",
                "ux_appointment_reminders_once",
                &[
                    "tenant_id",
                    "appointment_id",
                    "for_starts_at",
                    "offset_minutes",
                ],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("waitlist_entries")
                    .col(uuid("service_id"))
                    .col(uuid_null("resource_id"))
                    .col(uuid("contact_id"))
                    .col(date("day"))
                    // waiting, offered, booked or removed.
                    .col(string("status"))
                    .col(timestamp_with_time_zone_null("offered_starts_at"))
                    .col(uuid_null("offered_resource_id"))
                    .col(timestamp_with_time_zone_null("offer_expires_at"))
                    .col(string_null("offer_token"))
                    .col(uuid_null("appointment_id"))
                    .col(text_null("notes"))
                    .foreign_key(&mut foreign_key(
                        "waitlist_entries",
                        "service_id",
                        "services",
                    ))
                    .foreign_key(&mut foreign_key(
                        "waitlist_entries",
                        "contact_id",
                        "contacts",
                    ))
                    .foreign_key(&mut optional_reference(
                        "waitlist_entries",
                        "resource_id",
                        "resources",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "waitlist_entries",
                "ix_waitlist_entries_day",
                &["tenant_id", "service_id", "day", "status"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "waitlist_entries",
                "ux_waitlist_entries_offer",
                &["offer_token"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "waitlist_entries",
                "ix_waitlist_entries_offers_due",
                &["status", "offer_expires_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("phone_verifications")
                    .col(string("phone"))
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone_null("verified_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "phone_verifications",
                "ix_phone_verifications_phone",
                &["tenant_id", "phone", "id"],
                false,
            ))
            .await?;
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_appointments_manage_token")
                    .table("appointments")
                    .to_owned(),
            )
            .await?;
        for column in ["remind_via", "manage_token"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("appointments")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ux_resources_feed")
                    .table("resources")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("resources")
                    .drop_column("feed_token")
                    .to_owned(),
            )
            .await
    }
}
