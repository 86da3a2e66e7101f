//! The transactional outbox of domain events.

pub mod outbox_events;

crate::tenant_owned!(outbox_events);
