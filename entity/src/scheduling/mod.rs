//! Scheduling: services, the resources that perform them, their hours and absences, and
//! appointments.

pub mod appointment_reminders;
pub mod appointments;
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
    phone_verifications,
    settings,
    waitlist_entries,
    resources,
    service_resources,
    services,
    time_off,
    working_hours
);
