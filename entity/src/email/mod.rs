//! Transactional email: what was queued, rendered and sent.

pub mod emails;
