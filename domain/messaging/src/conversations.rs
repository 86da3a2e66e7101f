//! Conversations: one thread per contact and channel, with status, assignee, labels and
//! unread count, and the times a team is measured by (first response, resolution).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use tianguis_entity::crm::contacts;
use tianguis_entity::messaging::{channels, conversations};
use uuid::Uuid;

use super::{InboxChange, publish};
use crate::audit;
use crate::db::TenantTx;
use crate::db::Touched;
use crate::page::{Page, PageRequest, SortDirection, paginate_by};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{rules, search};

pub use conversations::Model as Conversation;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Open = "open",
        /// Waiting on the contact.
        Pending = "pending",
        Snoozed = "snoozed",
        Closed = "closed",
    }
}

#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    pub statuses: Vec<Status>,
    pub channel_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub unassigned: bool,
    pub label: Option<String>,
    pub unread_only: bool,
}

/// The inbox: most recent activity first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: ConversationFilter,
    page: &PageRequest,
) -> Result<Page<Conversation>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<conversations::Entity>();
    if !filter.statuses.is_empty() {
        select = select
            .filter(conversations::Column::Status.is_in(filter.statuses.iter().map(|s| s.key())));
    }
    if let Some(channel) = filter.channel_id {
        select = select.filter(conversations::Column::ChannelId.eq(channel));
    }
    if let Some(contact) = filter.contact_id {
        select = select.filter(conversations::Column::ContactId.eq(contact));
    }
    if let Some(assignee) = filter.assignee_id {
        select = select.filter(conversations::Column::AssigneeId.eq(assignee));
    }
    if filter.unassigned {
        select = select.filter(conversations::Column::AssigneeId.is_null());
    }
    if let Some(label) = filter.label.as_deref().filter(|l| !l.trim().is_empty()) {
        select = select.filter(search::json_array_contains(
            tx.get_database_backend(),
            "conversations.labels",
            label.trim(),
        ));
    }
    if filter.unread_only {
        select = select.filter(conversations::Column::UnreadCount.gt(0));
    }
    let page = paginate_by(
        &*tx,
        select,
        Some(conversations::Column::LastMessageAt),
        conversations::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Conversation> {
    TenantTx::read_one::<conversations::Entity>(
        deps,
        ctx,
        Permission::MessagingRead,
        id,
        "conversation",
    )
    .await
}

pub async fn by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Conversation>> {
    TenantTx::read_many::<conversations::Entity>(deps, ctx, Permission::MessagingRead, ids).await
}

/// The contact's conversation on the channel, created open when there is none.
pub(crate) async fn find_or_open(
    tx: &TenantTx,
    channel_id: Uuid,
    contact_id: Uuid,
) -> Result<(Conversation, bool)> {
    if let Some(found) = tx
        .select::<conversations::Entity>()
        .filter(conversations::Column::ChannelId.eq(channel_id))
        .filter(conversations::Column::ContactId.eq(contact_id))
        .one(&**tx)
        .await?
    {
        return Ok((found, false));
    }
    let now = tx.now();
    let created = tx
        .insert(conversations::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            channel_id: Set(channel_id),
            contact_id: Set(contact_id),
            status: Set(Status::Open.key().to_owned()),
            assignee_id: Set(None),
            labels: Set(serde_json::json!([])),
            unread_count: Set(0),
            last_message_preview: Set(None),
            last_message_at: Set(now),
            last_inbound_at: Set(None),
            opened_at: Set(now),
            first_response_at: Set(None),
            resolved_at: Set(None),
            snoozed_until: Set(None),
            ..Default::default()
        })
        .await?;
    Ok((created, true))
}

/// Starts (or finds) the conversation with a contact on a channel, to write first.
pub async fn start(
    deps: &Deps,
    ctx: &TenantCtx,
    contact_id: Uuid,
    channel_id: Uuid,
) -> Result<Conversation> {
    ctx.require(Permission::MessagingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let contact = tx
        .get::<contacts::Entity>(contact_id, "contact")
        .await
        .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    let channel = tx
        .get::<channels::Entity>(channel_id, "channel")
        .await
        .map_err(|_| Error::invalid("channelId", "no such channel"))?;
    let address = match super::ChannelKind::from_stored(&channel.kind)? {
        super::ChannelKind::Email => contact.email.as_ref(),
        _ => contact.phone.as_ref(),
    };
    if address.is_none() {
        return Err(Error::invalid(
            "contactId",
            format!("the contact has no address for a {} channel", channel.kind),
        ));
    }
    let (conversation, created) = find_or_open(&tx, channel_id, contact_id).await?;
    if created {
        audit::record(
            &mut tx,
            ctx,
            "messaging.conversation.started",
            ("conversation", Some(conversation.id)),
            serde_json::json!({ "contactId": contact_id, "channelId": channel_id }),
        )
        .await?;
        publish(
            &mut tx,
            InboxChange::ConversationUpdated,
            conversation.id,
            None,
        );
    }
    tx.commit().await?;
    Ok(conversation)
}

/// Applies one change to a conversation of the caller's, recorded and published.
async fn change(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    action: &str,
    apply: impl FnOnce(
        &TenantTx,
        &mut conversations::ActiveModel,
        &Conversation,
    ) -> Result<serde_json::Value>,
) -> Result<Conversation> {
    ctx.require(Permission::MessagingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<conversations::Entity>(id, "conversation").await?;
    let mut model: conversations::ActiveModel = current.clone().into();
    let data = apply(&tx, &mut model, &current)?;
    let updated = tx.update(model).await?;
    audit::record(&mut tx, ctx, action, ("conversation", Some(id)), data).await?;
    publish(&mut tx, InboxChange::ConversationUpdated, id, None);
    tx.commit().await?;
    Ok(updated)
}

pub async fn assign(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    assignee_id: Option<Uuid>,
) -> Result<Conversation> {
    if let Some(user) = assignee_id {
        let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
        crate::crm::contacts::check_owner(&tx, user)
            .await
            .map_err(|_| {
                Error::invalid(
                    "assigneeId",
                    "the assignee must be a member of this business",
                )
            })?;
        tx.commit().await?;
    }
    change(
        deps,
        ctx,
        id,
        "messaging.conversation.assigned",
        |_, model, _| {
            model.assignee_id = Set(assignee_id);
            Ok(serde_json::json!({ "assigneeId": assignee_id }))
        },
    )
    .await
}

pub async fn set_status(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    status: Status,
    snoozed_until: Option<DateTime<Utc>>,
) -> Result<Conversation> {
    change(
        deps,
        ctx,
        id,
        "messaging.conversation.status_changed",
        |tx, model, current| {
            let now = tx.now();
            match (status, snoozed_until) {
                (Status::Snoozed, Some(until)) if until > now => {
                    model.snoozed_until = Set(Some(until))
                }
                (Status::Snoozed, _) => {
                    return Err(Error::invalid(
                        "snoozedUntil",
                        "snoozing needs a snoozedUntil in the future",
                    ));
                }
                _ => model.snoozed_until = Set(None),
            }
            let was = Status::from_stored(&current.status)?;
            if status == Status::Closed && was != Status::Closed {
                model.resolved_at = Set(Some(now));
            }
            if was == Status::Closed && status != Status::Closed {
                // Reopened by hand: a new cycle to measure.
                model.opened_at = Set(now);
                model.first_response_at = Set(None);
                model.resolved_at = Set(None);
            }
            model.status = Set(status.key().to_owned());
            Ok(serde_json::json!({ "from": current.status, "to": status.key() }))
        },
    )
    .await
}

pub async fn set_labels(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    labels: Vec<String>,
) -> Result<Conversation> {
    let labels = rules::tags(&labels, "labels")?;
    change(
        deps,
        ctx,
        id,
        "messaging.conversation.labelled",
        |_, model, _| {
            model.labels = Set(serde_json::json!(labels));
            Ok(serde_json::json!({ "labels": labels }))
        },
    )
    .await
}

/// The team has read the conversation: its unread count drops to zero.
pub async fn mark_read(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Conversation> {
    ctx.require(Permission::MessagingRead)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<conversations::Entity>(id, "conversation").await?;
    if current.unread_count == 0 {
        tx.commit().await?;
        return Ok(current);
    }
    let mut model: conversations::ActiveModel = current.into();
    model.unread_count = Set(0);
    let updated = model.update(&*tx).await?;
    publish(&mut tx, InboxChange::ConversationUpdated, id, None);
    tx.commit().await?;
    Ok(updated)
}

/// Snoozed conversations whose time has come are open again (the sweep, every minute).
pub async fn wake_snoozed(deps: &Deps) -> Result<u64> {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;
    let now = deps.clock.now();
    let woken = conversations::Entity::update_many()
        .col_expr(
            conversations::Column::Status,
            Expr::value(Status::Open.key()),
        )
        .col_expr(
            conversations::Column::SnoozedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .touched(now)
        .filter(conversations::Column::Status.eq(Status::Snoozed.key()))
        .filter(conversations::Column::SnoozedUntil.lte(now))
        .exec(&deps.db)
        .await?;
    Ok(woken.rows_affected)
}
