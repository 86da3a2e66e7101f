//! Scheduling: services, the resources that perform them, their hours and absences, and
//! appointments.

pub mod appointment_reminders;
pub mod appointments;
pub mod event_equipment;
pub mod event_payments;
pub mod event_staff;
pub mod event_tasks;
pub mod events;
pub mod pay_rules;
pub mod payroll_lines;
pub mod payroll_periods;
pub mod phone_verifications;
pub mod resources;
pub mod service_resources;
pub mod services;
pub mod settings;
pub mod time_off;
pub mod waitlist_entries;
pub mod working_hours;

crate::tenant_owned!(
    appointment_reminders,
    appointments,
    event_equipment,
    event_payments,
    event_staff,
    event_tasks,
    events,
    pay_rules,
    payroll_lines,
    payroll_periods,
    phone_verifications,
    settings,
    waitlist_entries,
    resources,
    service_resources,
    services,
    time_off,
    working_hours
);
