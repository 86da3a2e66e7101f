//! GraphQL of IoT: device profiles, devices and their tokens, latest values, history and
//! live telemetry; commands and alerts in their own modules.

mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub(crate) use inputs::*;
pub(crate) use mutation::*;
pub(crate) use query::*;
pub(crate) use subscription::*;
pub(crate) use types::*;
