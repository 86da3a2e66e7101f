//! Automation: outgoing webhooks now; workflows later.

pub mod webhooks;
