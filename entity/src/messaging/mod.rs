//! Messaging: channels, conversations and messages, opt-outs and message templates.

pub mod channels;
pub mod conversations;
pub mod message_template_versions;
pub mod message_templates;
pub mod messages;
pub mod opt_outs;

crate::tenant_owned!(
    channels,
    conversations,
    message_template_versions,
    message_templates,
    messages,
    opt_outs
);
