//! Schema migrations. Every migration runs on SQLite and PostgreSQL; PostgreSQL-only parts
//! (row-level security) are guarded by the backend check in [`postgres`].

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261122_000001_tenancy;
mod m20261122_000002_events_webhooks;
mod m20261122_000003_email;
mod m20261122_000004_job_runs;
mod m20261122_000005_crm;
mod m20261122_000006_iot;
mod m20261122_000007_iot_settings;
mod m20261122_000008_device_status;
mod m20261202_000009_device_commands_alerts;
mod m20261202_000010_telemetry_points_without_fk;
mod m20261202_000011_billing;
mod m20261202_000012_email_attachments;
mod m20261202_000013_payments;
mod m20261202_000014_stripe;
mod m20261202_000015_installments;
mod m20261202_000016_tenant_subscriptions;
mod m20261202_000017_proposal_payments;
mod m20261203_000018_messaging;
mod m20261203_000019_telemetry_points_brin;
mod m20261203_000020_commerce;
mod m20261203_000021_prepaid_cards;
mod m20261203_000022_purchasing;
mod m20261203_000023_stock_counts;
mod m20261203_000024_sales_orders;
mod m20261203_000025_global_invoices;
mod m20261203_000026_scheduling;
mod m20261203_000027_booking;
mod m20261204_000028_events_payroll;
mod m20261204_000029_waitlist_template;
mod m20261204_000030_files;
mod m20261204_000031_pending_uploads;
mod m20261205_000032_workflows;
mod m20261205_000033_forms;
pub mod postgres;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_tenancy::Migration),
            Box::new(m20261122_000002_events_webhooks::Migration),
            Box::new(m20261122_000003_email::Migration),
            Box::new(m20261122_000004_job_runs::Migration),
            Box::new(m20261122_000005_crm::Migration),
            Box::new(m20261122_000006_iot::Migration),
            Box::new(m20261122_000007_iot_settings::Migration),
            Box::new(m20261122_000008_device_status::Migration),
            Box::new(m20261202_000009_device_commands_alerts::Migration),
            Box::new(m20261202_000010_telemetry_points_without_fk::Migration),
            Box::new(m20261202_000011_billing::Migration),
            Box::new(m20261202_000012_email_attachments::Migration),
            Box::new(m20261202_000013_payments::Migration),
            Box::new(m20261202_000014_stripe::Migration),
            Box::new(m20261202_000015_installments::Migration),
            Box::new(m20261202_000016_tenant_subscriptions::Migration),
            Box::new(m20261202_000017_proposal_payments::Migration),
            Box::new(m20261203_000018_messaging::Migration),
            Box::new(m20261203_000019_telemetry_points_brin::Migration),
            Box::new(m20261203_000020_commerce::Migration),
            Box::new(m20261203_000021_prepaid_cards::Migration),
            Box::new(m20261203_000022_purchasing::Migration),
            Box::new(m20261203_000023_stock_counts::Migration),
            Box::new(m20261203_000024_sales_orders::Migration),
            Box::new(m20261203_000025_global_invoices::Migration),
            Box::new(m20261203_000026_scheduling::Migration),
            Box::new(m20261203_000027_booking::Migration),
            Box::new(m20261204_000028_events_payroll::Migration),
            Box::new(m20261204_000029_waitlist_template::Migration),
            Box::new(m20261204_000030_files::Migration),
            Box::new(m20261204_000031_pending_uploads::Migration),
            Box::new(m20261205_000032_workflows::Migration),
            Box::new(m20261205_000033_forms::Migration),
        ]
    }
}
