//! Scheduling: services, the resources that perform them (staff, rooms, equipment), their
//! weekly hours and time off, free slots in the business's time zone, appointments, events
//! booked for clients with their staff and equipment, and staff pay.

pub mod appointments;
pub mod emails;
pub mod events;
pub mod feeds;
pub mod ical;
pub mod payroll;
pub mod public;
pub mod reminders;
pub mod settings;
pub mod setup;
pub mod slots;
pub mod waitlist;

// The kernel, reachable as `crate::…` in the modules.
use tianguis_kernel::{Deps, Error, Permission, Result, TenantCtx, audit, db, error, page};

/// Scheduling's sweeps (due reminders, lapsed waitlist offers) and its answers to reminders.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.sweep("scheduling.reminders", |deps| async move {
        reminders::send_due(&deps).await
    });
    registry.sweep("scheduling.waitlist_offers", |deps| async move {
        waitlist::expire_offers(&deps).await
    });
    registry.sweep("scheduling.event_payments", |deps| async move {
        events::remind_due(&deps).await
    });
    registry
        .provide::<Box<dyn tianguis_messaging::ReplyHandler>>(Box::new(reminders::ReminderReplies));
}
