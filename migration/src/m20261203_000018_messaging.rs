//! Messaging and marketing: channels, conversations with their messages, opt-outs, message
//! templates with their versions, segments, campaigns and their recipients.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "campaign_recipients",
    "campaigns",
    "segment_members",
    "segments",
    "message_template_versions",
    "message_templates",
    "messages",
    "conversations",
    "opt_outs",
    "channels",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("channels")
                    // whatsapp, sms or email.
                    .col(string("kind"))
                    .col(string("name"))
                    // WhatsApp: phone number id; SMS: the sending number; email: the address.
                    .col(string("address"))
                    // WhatsApp: business account id; SMS: Twilio account SID.
                    .col(string_null("account_id"))
                    .col(string_null("display_name"))
                    .col(text_null("credentials_sealed"))
                    .col(integer_null("send_rate_per_second"))
                    .col(boolean("active"))
                    .to_owned(),
            )
            .await?;
        // Provider callbacks name the number, not the business: one business per address.
        manager
            .create_index(index(
                "channels",
                "ux_channels_kind_address",
                &["kind", "address"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "channels",
                "ix_channels_tenant",
                &["tenant_id", "kind"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("opt_outs")
                    .col(uuid("contact_id"))
                    .col(string("channel_kind"))
                    .col(string("source"))
                    .foreign_key(&mut foreign_key("opt_outs", "contact_id", "contacts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "opt_outs",
                "ux_opt_outs_contact_kind",
                &["tenant_id", "contact_id", "channel_kind"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("conversations")
                    .col(uuid("channel_id"))
                    .col(uuid("contact_id"))
                    .col(string("status"))
                    .col(uuid_null("assignee_id"))
                    .col(json_binary("labels"))
                    .col(integer("unread_count"))
                    .col(text_null("last_message_preview"))
                    .col(timestamp_with_time_zone("last_message_at"))
                    .col(timestamp_with_time_zone_null("last_inbound_at"))
                    // The current cycle: opened by a first or reopening message.
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("first_response_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(timestamp_with_time_zone_null("snoozed_until"))
                    .foreign_key(&mut foreign_key("conversations", "channel_id", "channels"))
                    .foreign_key(&mut foreign_key("conversations", "contact_id", "contacts"))
                    .foreign_key(&mut optional_reference(
                        "conversations",
                        "assignee_id",
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "conversations",
                "ux_conversations_contact_channel",
                &["tenant_id", "contact_id", "channel_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "conversations",
                "ix_conversations_inbox",
                &["tenant_id", "status", "last_message_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("messages")
                    .col(uuid("conversation_id"))
                    .col(uuid("channel_id"))
                    .col(uuid("contact_id"))
                    // inbound, outbound or internal (a note only the team sees).
                    .col(string("direction"))
                    .col(string("kind"))
                    .col(text_null("body"))
                    // Media, location or template details, by kind.
                    .col(json_null("content"))
                    .col(string_null("provider_message_id"))
                    .col(string("status"))
                    .col(text_null("error"))
                    .col(uuid_null("author_id"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut foreign_key(
                        "messages",
                        "conversation_id",
                        "conversations",
                    ))
                    .to_owned(),
            )
            .await?;
        // A redelivered webhook adds nothing.
        manager
            .create_index(index(
                "messages",
                "ux_messages_provider_id",
                &["channel_id", "provider_message_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "messages",
                "ix_messages_conversation",
                &["tenant_id", "conversation_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "messages",
                "ix_messages_contact",
                &["tenant_id", "contact_id", "created_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("message_templates")
                    .col(uuid("channel_id"))
                    .col(string("name"))
                    .col(string("language"))
                    .col(string("category"))
                    // draft, pending, approved, rejected, paused or disabled.
                    .col(string("status"))
                    .col(integer("version"))
                    .col(json("content"))
                    .col(string_null("provider_template_id"))
                    .col(text_null("rejection_reason"))
                    .col(uuid_null("updated_by"))
                    .foreign_key(&mut foreign_key(
                        "message_templates",
                        "channel_id",
                        "channels",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "message_templates",
                "ux_message_templates_name",
                &["tenant_id", "channel_id", "name", "language"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("message_template_versions")
                    .col(uuid("template_id"))
                    .col(integer("version"))
                    .col(json("content"))
                    .col(uuid_null("changed_by"))
                    .col(text("change"))
                    .foreign_key(&mut foreign_key(
                        "message_template_versions",
                        "template_id",
                        "message_templates",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "message_template_versions",
                "ux_message_template_versions",
                &["tenant_id", "template_id", "version"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("segments")
                    .col(string("name"))
                    // dynamic (evaluated when used) or static (members frozen).
                    .col(string("kind"))
                    .col(json("rules"))
                    .col(timestamp_with_time_zone_null("frozen_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                tenant_table("segment_members")
                    .col(uuid("segment_id"))
                    .col(uuid("contact_id"))
                    .foreign_key(&mut foreign_key(
                        "segment_members",
                        "segment_id",
                        "segments",
                    ))
                    .foreign_key(&mut foreign_key(
                        "segment_members",
                        "contact_id",
                        "contacts",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "segment_members",
                "ux_segment_members",
                &["tenant_id", "segment_id", "contact_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("campaigns")
                    .col(string("name"))
                    .col(uuid("channel_id"))
                    .col(uuid("segment_id"))
                    .col(string("status"))
                    .col(string_null("subject"))
                    .col(text_null("body"))
                    .col(uuid_null("template_id"))
                    .col(json("template_variables"))
                    .col(integer("batch_size"))
                    .col(timestamp_with_time_zone_null("scheduled_at"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(integer("recipient_count"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut foreign_key("campaigns", "channel_id", "channels"))
                    .foreign_key(&mut foreign_key("campaigns", "segment_id", "segments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "campaigns",
                "ix_campaigns_due",
                &["status", "scheduled_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("campaign_recipients")
                    .col(uuid("campaign_id"))
                    .col(uuid("contact_id"))
                    .col(integer("batch"))
                    .col(string("address"))
                    // pending, sending, sent, delivered, read, failed or bounced.
                    .col(string("status"))
                    .col(text_null("error"))
                    .col(string_null("provider_message_id"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .col(timestamp_with_time_zone_null("clicked_at"))
                    .col(timestamp_with_time_zone_null("unsubscribed_at"))
                    .foreign_key(&mut foreign_key(
                        "campaign_recipients",
                        "campaign_id",
                        "campaigns",
                    ))
                    .to_owned(),
            )
            .await?;
        // One row per campaign and contact: the recipient is sent at most once.
        manager
            .create_index(index(
                "campaign_recipients",
                "ux_campaign_recipients",
                &["tenant_id", "campaign_id", "contact_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "campaign_recipients",
                "ix_campaign_recipients_batch",
                &["campaign_id", "batch", "status"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "campaign_recipients",
                "ix_campaign_recipients_provider",
                &["provider_message_id"],
                false,
            ))
            .await?;

        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await
    }
}
