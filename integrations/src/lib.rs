//! Real implementations of the domain's ports: in-process ones for the embedded mode and
//! Redis-backed ones shared by every replica.

pub mod captcha;
pub mod files;
pub mod http;
pub mod mail;
pub mod messaging;
pub mod pac;
pub mod pubsub;
pub mod rate_limit;
pub mod stripe;
