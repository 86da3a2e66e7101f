//! messaging's GraphQL mutations.

use crate::graphql::common::optional_id;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::Object;
use tianguis_domain::messaging::channels;
use tianguis_domain::messaging::conversations;
use tianguis_domain::messaging::messages;
use tianguis_domain::messaging::templates;

use crate::graphql::messaging::*;

#[derive(Default)]
pub struct MessagingMutation;

#[Object]
impl MessagingMutation {
    async fn create_channel(
        &self,
        ctx: &Context<'_>,
        input: CreateChannelInput,
    ) -> async_graphql::Result<Channel> {
        let cmd = channels::NewChannel {
            kind: input.kind.into(),
            name: input.name,
            address: input.address,
            account_id: input.account_id,
            display_name: input.display_name,
            token: input.token,
            send_rate_per_second: input.send_rate_per_second,
        };
        Ok(Channel(
            channels::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_channel(
        &self,
        ctx: &Context<'_>,
        input: UpdateChannelInput,
    ) -> async_graphql::Result<Channel> {
        let id = parse_id(&input.id, "id")?;
        let changes = channels::ChannelChanges {
            name: input.name,
            display_name: input.display_name,
            token: input.token,
            send_rate_per_second: input.send_rate_per_second,
            active: input.active,
        };
        Ok(Channel(
            channels::update(deps(ctx)?, tenant(ctx)?, id, changes)
                .await
                .gql()?,
        ))
    }

    /// The conversation with a contact on a channel, to write first (found if it exists).
    async fn start_conversation(
        &self,
        ctx: &Context<'_>,
        input: StartConversationInput,
    ) -> async_graphql::Result<Conversation> {
        let contact = parse_id(&input.contact_id, "contactId")?;
        let channel = parse_id(&input.channel_id, "channelId")?;
        Ok(Conversation(
            conversations::start(deps(ctx)?, tenant(ctx)?, contact, channel)
                .await
                .gql()?,
        ))
    }

    /// Queues a reply; its status follows as the provider reports it.
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> async_graphql::Result<Message> {
        let conversation = parse_id(&input.conversation_id, "conversationId")?;
        let compose = match input.content {
            MessageContentInput::Text(text) => messages::Compose::Text(text),
            MessageContentInput::Media(m) => messages::Compose::Media {
                kind: m.kind.into(),
                url: m.url,
                caption: m.caption,
                filename: m.filename,
            },
            MessageContentInput::Location(l) => messages::Compose::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name,
                address: l.address,
            },
            MessageContentInput::Template(t) => messages::Compose::Template {
                template_id: parse_id(&t.template_id, "templateId")?,
                variables: t.variables,
            },
        };
        Ok(Message(
            messages::send(deps(ctx)?, tenant(ctx)?, conversation, compose)
                .await
                .gql()?,
        ))
    }

    /// A note on the conversation only the team sees.
    async fn add_conversation_note(
        &self,
        ctx: &Context<'_>,
        input: AddConversationNoteInput,
    ) -> async_graphql::Result<Message> {
        let conversation = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Message(
            messages::add_note(deps(ctx)?, tenant(ctx)?, conversation, &input.text)
                .await
                .gql()?,
        ))
    }

    async fn assign_conversation(
        &self,
        ctx: &Context<'_>,
        input: AssignConversationInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        let assignee = optional_id(input.assignee_id.as_ref(), "assigneeId")?;
        Ok(Conversation(
            conversations::assign(deps(ctx)?, tenant(ctx)?, id, assignee)
                .await
                .gql()?,
        ))
    }

    async fn set_conversation_status(
        &self,
        ctx: &Context<'_>,
        input: SetConversationStatusInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::set_status(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.status.into(),
                input.snoozed_until,
            )
            .await
            .gql()?,
        ))
    }

    async fn set_conversation_labels(
        &self,
        ctx: &Context<'_>,
        input: SetConversationLabelsInput,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::set_labels(deps(ctx)?, tenant(ctx)?, id, input.labels)
                .await
                .gql()?,
        ))
    }

    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        input: ConversationRef,
    ) -> async_graphql::Result<Conversation> {
        let id = parse_id(&input.conversation_id, "conversationId")?;
        Ok(Conversation(
            conversations::mark_read(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Opts a contact out of, or back into, messages on a kind of channel; returns the
    /// kinds the contact is opted out of.
    async fn set_contact_opt_out(
        &self,
        ctx: &Context<'_>,
        input: SetContactOptOutInput,
    ) -> async_graphql::Result<Vec<ChannelKind>> {
        let contact = parse_id(&input.contact_id, "contactId")?;
        Ok(channels::set_opt_out(
            deps(ctx)?,
            tenant(ctx)?,
            contact,
            input.channel_kind.into(),
            input.opted_out,
        )
        .await
        .gql()?
        .into_iter()
        .map(Into::into)
        .collect())
    }

    async fn create_message_template(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageTemplateInput,
    ) -> async_graphql::Result<MessageTemplate> {
        let cmd = templates::NewTemplate {
            channel_id: parse_id(&input.channel_id, "channelId")?,
            name: input.name,
            language: input.language,
            category: input.category.into(),
            content: input.content.into(),
        };
        Ok(MessageTemplate(
            templates::create(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    /// A new version; it goes back to draft, since Meta reviews every change.
    async fn update_message_template(
        &self,
        ctx: &Context<'_>,
        input: UpdateMessageTemplateInput,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::update(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.category.map(Into::into),
                input.content.into(),
            )
            .await
            .gql()?,
        ))
    }

    /// Submits the template to Meta for approval.
    async fn submit_message_template(
        &self,
        ctx: &Context<'_>,
        input: TemplateRef,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::submit(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Asks Meta where the template's review stands.
    async fn refresh_message_template(
        &self,
        ctx: &Context<'_>,
        input: TemplateRef,
    ) -> async_graphql::Result<MessageTemplate> {
        let id = parse_id(&input.id, "id")?;
        Ok(MessageTemplate(
            templates::refresh(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }
}
