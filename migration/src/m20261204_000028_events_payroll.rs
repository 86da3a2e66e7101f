//! Events booked for a client (staff by role, equipment by quantity, payments, a checklist)
//! and staff pay: rules per person, payroll periods and their lines. On PostgreSQL an
//! exclusion constraint keeps a person out of two overlapping events (travel included),
//! and a unique key keeps a piece of work on one payroll line across all periods.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "payroll_lines",
    "payroll_periods",
    "pay_rules",
    "event_tasks",
    "event_payments",
    "event_equipment",
    "event_staff",
    "events",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("events")
                    .col(string("title"))
                    // boda, xv_anos, corporativo… as the business names them.
                    .col(string("kind"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("company_id"))
                    .col(uuid_null("proposal_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(integer("travel_minutes"))
                    .col(string_null("venue"))
                    .col(text_null("address"))
                    .col(string_null("package"))
                    .col(big_integer("price_minor"))
                    .col(string("currency"))
                    .col(big_integer("deposit_minor"))
                    .col(date_null("deposit_due_on"))
                    .col(date_null("balance_due_on"))
                    .col(big_integer("paid_minor"))
                    // tentative, confirmed, done, closed or cancelled.
                    .col(string("status"))
                    .col(text_null("notes"))
                    .col(string_null("checkout_id"))
                    .col(text_null("checkout_url"))
                    .col(big_integer_null("checkout_amount_minor"))
                    .col(timestamp_with_time_zone_null("deposit_reminded_at"))
                    .col(timestamp_with_time_zone_null("balance_reminded_at"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut optional_reference("events", "contact_id", "contacts"))
                    .foreign_key(&mut optional_reference("events", "company_id", "companies"))
                    .foreign_key(&mut optional_reference(
                        "events",
                        "proposal_id",
                        "proposals",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("ix_events_starts", &["tenant_id", "starts_at"][..], false),
            (
                "ux_events_proposal",
                &["tenant_id", "proposal_id"][..],
                true,
            ),
            ("ix_events_due", &["status", "deposit_due_on"][..], false),
        ] {
            manager
                .create_index(index("events", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("event_staff")
                    .col(uuid("event_id"))
                    .col(uuid("resource_id"))
                    // dj, technician, host…
                    .col(string("role"))
                    // The event's hours widened by its travel time either side.
                    .col(timestamp_with_time_zone("block_starts_at"))
                    .col(timestamp_with_time_zone("block_ends_at"))
                    // False once the event is cancelled: the person is free again.
                    .col(boolean("active"))
                    .foreign_key(&mut foreign_key("event_staff", "event_id", "events"))
                    .foreign_key(&mut foreign_key("event_staff", "resource_id", "resources"))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_event_staff_person",
                &["tenant_id", "event_id", "resource_id"][..],
                true,
            ),
            (
                "ix_event_staff_time",
                &["tenant_id", "resource_id", "block_starts_at"][..],
                false,
            ),
        ] {
            manager
                .create_index(index("event_staff", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("event_equipment")
                    .col(uuid("event_id"))
                    .col(uuid("resource_id"))
                    .col(integer("quantity"))
                    .col(timestamp_with_time_zone("block_starts_at"))
                    .col(timestamp_with_time_zone("block_ends_at"))
                    .col(boolean("active"))
                    .foreign_key(&mut foreign_key("event_equipment", "event_id", "events"))
                    .foreign_key(&mut foreign_key(
                        "event_equipment",
                        "resource_id",
                        "resources",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_event_equipment_item",
                &["tenant_id", "event_id", "resource_id"][..],
                true,
            ),
            (
                "ix_event_equipment_time",
                &["tenant_id", "resource_id", "block_starts_at"][..],
                false,
            ),
        ] {
            manager
                .create_index(index("event_equipment", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("event_payments")
                    .col(uuid("event_id"))
                    // deposit, balance or other.
                    .col(string("kind"))
                    .col(big_integer("amount_minor"))
                    .col(string("currency"))
                    // cash, transfer, card or stripe.
                    .col(string("method"))
                    .col(string_null("reference"))
                    .col(timestamp_with_time_zone("paid_at"))
                    .col(uuid_null("recorded_by"))
                    .foreign_key(&mut foreign_key("event_payments", "event_id", "events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "event_payments",
                "ux_event_payments_reference",
                &["tenant_id", "event_id", "method", "reference"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("event_tasks")
                    .col(uuid("event_id"))
                    .col(integer("position"))
                    .col(string("title"))
                    .col(timestamp_with_time_zone_null("due_at"))
                    .col(timestamp_with_time_zone_null("done_at"))
                    .col(uuid_null("done_by"))
                    .foreign_key(&mut foreign_key("event_tasks", "event_id", "events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "event_tasks",
                "ix_event_tasks_event",
                &["tenant_id", "event_id", "position"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("pay_rules")
                    .col(uuid("resource_id"))
                    // events or appointments.
                    .col(string("applies_to"))
                    // The event role it pays; any role when null.
                    .col(string_null("role"))
                    // fixed, hourly or percent.
                    .col(string("basis"))
                    .col(big_integer("amount_minor"))
                    .col(integer("percent_bp"))
                    .col(boolean("active"))
                    .foreign_key(&mut foreign_key("pay_rules", "resource_id", "resources"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "pay_rules",
                "ix_pay_rules_resource",
                &["tenant_id", "resource_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("payroll_periods")
                    // weekly or fortnightly.
                    .col(string("frequency"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    // draft, approved or paid.
                    .col(string("status"))
                    .col(string("currency"))
                    .col(big_integer("total_minor"))
                    .col(timestamp_with_time_zone_null("approved_at"))
                    .col(uuid_null("approved_by"))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .col(string_null("payment_reference"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "payroll_periods",
                "ux_payroll_periods_start",
                &["tenant_id", "starts_on"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("payroll_lines")
                    .col(uuid("period_id"))
                    .col(uuid("resource_id"))
                    // event, appointment, bonus or deduction.
                    .col(string("kind"))
                    // What was worked, `event_staff:<id>` or `appointment:<id>`: unique, so a
                    // piece of work is paid in one period only.
                    .col(string_null("work_key"))
                    .col(uuid_null("event_id"))
                    .col(uuid_null("appointment_id"))
                    .col(date("worked_on"))
                    .col(string("description"))
                    .col(integer_null("minutes"))
                    .col(big_integer("amount_minor"))
                    .col(uuid_null("rule_id"))
                    .col(text_null("reason"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut foreign_key(
                        "payroll_lines",
                        "period_id",
                        "payroll_periods",
                    ))
                    .foreign_key(&mut foreign_key(
                        "payroll_lines",
                        "resource_id",
                        "resources",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_payroll_lines_work",
                &["tenant_id", "work_key"][..],
                true,
            ),
            (
                "ix_payroll_lines_period",
                &["tenant_id", "period_id", "resource_id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index("payroll_lines", name, columns, unique))
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE event_staff ADD CONSTRAINT ex_event_staff_overlap
                       EXCLUDE USING gist (
                         tenant_id WITH =,
                         resource_id WITH =,
                         tstzrange(block_starts_at, block_ends_at) WITH &&
                       ) WHERE (active);",
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
