//! Job kinds: stable names used as queue names, in metrics and in the admin view.

pub const DELIVER_WEBHOOK: &str = "deliver_webhook";
pub const SEND_EMAIL: &str = "send_email";

pub const ALL: &[&str] = &[DELIVER_WEBHOOK, SEND_EMAIL];
