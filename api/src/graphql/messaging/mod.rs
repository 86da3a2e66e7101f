//! GraphQL of messaging: channels, the inbox (conversations and their messages), message
//! templates, opt-outs, and a live inbox subscription.

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
