//! Scheduling: services, the resources that perform them, their hours and absences, and
//! appointments.

pub mod appointments;
pub mod resources;
pub mod service_resources;
pub mod services;
pub mod time_off;
pub mod working_hours;

crate::tenant_owned!(
    appointments,
    resources,
    service_resources,
    services,
    time_off,
    working_hours
);
