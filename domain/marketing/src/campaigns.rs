//! Campaigns: one message to a segment on a channel, broadcast now or at a set time.
//! Draft → scheduled → sending → completed, with pause, resume and cancel on the way.
//!
//! Starting freezes the recipients (one row per campaign and contact) and enqueues one
//! SendCampaignBatch job per batch. A job claims recipients (pending → sending) in a
//! committed statement before it sends them, so each recipient is sent at most once: a
//! recipient found `sending` by a retry was claimed by a run that died mid-send, and
//! whether its message left is unknown, so it is marked failed, not sent again.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use tianguis_entity::crm::contacts;
use tianguis_entity::marketing::{campaign_recipients, campaigns, segments};
use tianguis_entity::messaging::{channels, message_templates};
use uuid::Uuid;

use super::tracking;
use crate::db::Touched;
use crate::db::stamped;
use crate::db::{TenantTx, raw};
use crate::email::templates::escape;
use crate::messaging::{ChannelKind, channels as channel_rules, templates};
use crate::messaging::{DeliveryRank, DeliveryReport, DeliveryStatusListener, MessagingSettings};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::plans;
use crate::ports::{Job, MailError, MessengerError, OutboundContent, OutgoingEmail, RateDecision};
use crate::registry::{BoxFuture, JobKind, Queue};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use campaign_recipients::Model as Recipient;
pub use campaigns::Model as Campaign;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Draft = "draft",
        Scheduled = "scheduled",
        Sending = "sending",
        Paused = "paused",
        Completed = "completed",
        Cancelled = "cancelled",
    }
}

impl RecipientStatus {
    pub fn delivery_rank(self) -> DeliveryRank {
        match self {
            RecipientStatus::Pending => Some(0),
            RecipientStatus::Sending => Some(1),
            RecipientStatus::Sent => Some(2),
            RecipientStatus::Delivered => Some(3),
            RecipientStatus::Read => Some(4),
            _ => None,
        }
    }
}

tianguis_kernel::stored_enum! {
    /// A recipient's place in the log: its delivery status, or clicked and unsubscribed,
    /// which the log shows over it.
    pub enum RecipientStatus {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Clicked = "clicked",
        Unsubscribed = "unsubscribed",
        Failed = "failed",
        Bounced = "bounced",
        Cancelled = "cancelled",
    }
}

#[derive(Clone, Debug, Default)]
pub struct CampaignInput {
    pub name: Option<String>,
    pub channel_id: Option<Uuid>,
    pub segment_id: Option<Uuid>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// `Some(None)` clears the template.
    pub template_id: Option<Option<Uuid>>,
    pub template_variables: Option<Vec<String>>,
    pub batch_size: Option<i32>,
}

pub const MAX_BATCH: i32 = 5_000;

async fn apply(
    tx: &TenantTx,
    model: &mut campaigns::ActiveModel,
    input: CampaignInput,
) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 120)?);
    }
    if let Some(channel) = input.channel_id {
        tx.get::<channels::Entity>(channel, "channel")
            .await
            .map_err(|_| Error::invalid("channelId", "no such channel"))?;
        model.channel_id = Set(channel);
    }
    if let Some(segment) = input.segment_id {
        tx.get::<segments::Entity>(segment, "segment")
            .await
            .map_err(|_| Error::invalid("segmentId", "no such segment"))?;
        model.segment_id = Set(segment);
    }
    if let Some(subject) = input.subject {
        model.subject = Set(crate::rules::optional_text(Some(&subject), "subject", 200)?);
    }
    if let Some(body) = input.body {
        model.body = Set(crate::rules::optional_text(Some(&body), "body", 20_000)?);
    }
    if let Some(template) = input.template_id {
        if let Some(id) = template {
            tx.get::<message_templates::Entity>(id, "template")
                .await
                .map_err(|_| Error::invalid("templateId", "no such template"))?;
        }
        model.template_id = Set(template);
    }
    if let Some(variables) = input.template_variables {
        model.template_variables = Set(json!(variables));
    }
    if let Some(size) = input.batch_size {
        if !(1..=MAX_BATCH).contains(&size) {
            return Err(Error::invalid(
                "batchSize",
                format!("batchSize is 1 to {MAX_BATCH}"),
            ));
        }
        model.batch_size = Set(size);
    }
    Ok(())
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: CampaignInput) -> Result<Campaign> {
    ctx.require(Permission::CampaignsWrite)?;
    let (Some(_), Some(channel_id), Some(segment_id)) =
        (&input.name, input.channel_id, input.segment_id)
    else {
        return Err(Error::invalid(
            "name",
            "a campaign needs a name, a channel and a segment",
        ));
    };
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model = campaigns::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        channel_id: Set(channel_id),
        segment_id: Set(segment_id),
        status: Set(Status::Draft.key().to_owned()),
        subject: Set(None),
        body: Set(None),
        template_id: Set(None),
        template_variables: Set(json!([])),
        batch_size: Set(deps
            .settings::<MessagingSettings>()?
            .campaign_batch_size
            .clamp(1, MAX_BATCH as u32) as i32),
        scheduled_at: Set(None),
        started_at: Set(None),
        completed_at: Set(None),
        recipient_count: Set(0),
        created_by: Set(ctx.actor_user()),
        ..Default::default()
    };
    apply(&tx, &mut model, input).await?;
    let campaign = tx.insert(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "marketing.campaign.created",
        ("campaign", Some(campaign.id)),
        json!({ "name": campaign.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(campaign)
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: CampaignInput,
) -> Result<Campaign> {
    ctx.require(Permission::CampaignsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<campaigns::Entity>(id, "campaign").await?;
    if !matches!(
        Status::from_stored(&current.status)?,
        Status::Draft | Status::Scheduled
    ) {
        return Err(Error::conflict(
            "id",
            format!(
                "the campaign is {}; only drafts and scheduled campaigns change",
                current.status
            ),
        ));
    }
    let mut model: campaigns::ActiveModel = current.into();
    apply(&tx, &mut model, input).await?;
    let campaign = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "marketing.campaign.updated",
        ("campaign", Some(id)),
        json!({ "name": campaign.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(campaign)
}

/// What is sent: checked before a campaign is scheduled or started.
async fn check_content(
    tx: &TenantTx,
    campaign: &Campaign,
) -> Result<(channels::Model, Option<message_templates::Model>)> {
    let channel = tx
        .get::<channels::Entity>(campaign.channel_id, "channel")
        .await?;
    if !channel.active {
        return Err(Error::conflict("channelId", "the channel is switched off"));
    }
    let kind = ChannelKind::from_stored(&channel.kind)?;
    let template = match campaign.template_id {
        Some(id) => Some(tx.get::<message_templates::Entity>(id, "template").await?),
        None => None,
    };
    match kind {
        ChannelKind::Email => {
            if campaign.subject.is_none() || campaign.body.is_none() {
                return Err(Error::invalid(
                    "body",
                    "an email campaign needs a subject and a body",
                ));
            }
        }
        ChannelKind::Whatsapp => {
            // Marketing on WhatsApp is template-only: the window is closed for most recipients.
            let Some(template) = &template else {
                return Err(Error::invalid(
                    "templateId",
                    "a WhatsApp campaign sends an approved template",
                ));
            };
            if template.status != templates::Status::Approved.key()
                || template.channel_id != channel.id
            {
                return Err(Error::invalid(
                    "templateId",
                    "the template must be approved and of the campaign's channel",
                ));
            }
            templates::render(template, &variables_of(campaign))?;
        }
        ChannelKind::Sms => {
            if campaign.body.is_none() {
                return Err(Error::invalid("body", "an SMS campaign needs a body"));
            }
        }
    }
    Ok((channel, template))
}

fn variables_of(campaign: &Campaign) -> Vec<String> {
    campaign
        .template_variables
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets a draft to start by itself at `at`.
pub async fn schedule(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Campaign> {
    ctx.require(Permission::CampaignsSend)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<campaigns::Entity>(id, "campaign").await?;
    if !matches!(
        Status::from_stored(&current.status)?,
        Status::Draft | Status::Scheduled
    ) {
        return Err(Error::conflict(
            "id",
            format!("the campaign is {}", current.status),
        ));
    }
    if at <= tx.now() {
        return Err(Error::invalid("at", "the time must be in the future"));
    }
    check_content(&tx, &current).await?;
    let mut model: campaigns::ActiveModel = current.into();
    model.status = Set(Status::Scheduled.key().to_owned());
    model.scheduled_at = Set(Some(at));
    let campaign = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "marketing.campaign.scheduled",
        ("campaign", Some(id)),
        json!({ "at": at }),
    )
    .await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Starts a draft or scheduled campaign now.
pub async fn start(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    ctx.require(Permission::CampaignsSend)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let campaign = launch(&mut tx, ctx, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Freezes the recipients and enqueues the batches, in the caller's transaction.
async fn launch(tx: &mut TenantTx, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    let current = tx.get::<campaigns::Entity>(id, "campaign").await?;
    if !matches!(
        Status::from_stored(&current.status)?,
        Status::Draft | Status::Scheduled
    ) {
        return Err(Error::conflict(
            "id",
            format!(
                "the campaign is {}; only drafts and scheduled campaigns start",
                current.status
            ),
        ));
    }
    let (channel, _) = check_content(tx, &current).await?;
    let segment = tx
        .get::<segments::Entity>(current.segment_id, "segment")
        .await?;
    let now = tx.now();
    let audience = super::segments::audience(
        &**tx,
        tx.tenant_id(),
        now,
        &segment,
        ChannelKind::from_stored(&channel.kind)?,
    )
    .await?;
    if audience.is_empty() {
        return Err(Error::conflict(
            "segmentId",
            "no contact of the segment can be reached on this channel",
        ));
    }
    plans::ensure_room_for(
        tx,
        &crate::messaging::MESSAGES_PER_MONTH,
        audience.len() as u64,
    )
    .await?;
    let batch_size = current.batch_size.max(1) as usize;
    for (chunk_index, chunk) in audience.chunks(1000).enumerate() {
        let rows = chunk.iter().enumerate().map(|(i, (contact_id, address))| {
            stamped(
                now,
                campaign_recipients::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    campaign_id: Set(id),
                    contact_id: Set(*contact_id),
                    batch: Set(((chunk_index * 1000 + i) / batch_size) as i32),
                    address: Set(address.clone()),
                    status: Set(RecipientStatus::Pending.key().into()),
                    error: Set(None),
                    provider_message_id: Set(None),
                    sent_at: Set(None),
                    delivered_at: Set(None),
                    read_at: Set(None),
                    clicked_at: Set(None),
                    unsubscribed_at: Set(None),
                    ..Default::default()
                },
            )
        });
        campaign_recipients::Entity::insert_many(rows)
            .exec_without_returning(&**tx)
            .await?;
    }
    let batches = audience.len().div_ceil(batch_size) as i32;
    let mut model: campaigns::ActiveModel = current.into();
    model.status = Set(Status::Sending.key().to_owned());
    model.started_at = Set(Some(now));
    model.recipient_count = Set(audience.len() as i32);
    let campaign = tx.update(model).await?;
    for batch in 0..batches {
        tx.enqueue_after_commit(Job::new(SendCampaignBatch {
            tenant_id: tx.tenant_id(),
            campaign_id: id,
            batch,
        }))
        .await?;
    }
    audit::record(
        tx,
        ctx,
        "marketing.campaign.started",
        ("campaign", Some(id)),
        json!({ "recipients": audience.len(), "batches": batches }),
    )
    .await?;
    Ok(campaign)
}

/// Starts the scheduled campaigns whose time has come (the sweep). One that cannot start
/// goes back to draft, with the reason in its audit trail.
pub async fn start_due(deps: &Deps) -> Result<usize> {
    let now = deps.clock.now();
    let due = campaigns::Entity::find()
        .filter(campaigns::Column::Status.eq(Status::Scheduled.key()))
        .filter(campaigns::Column::ScheduledAt.lte(now))
        .all(&deps.db)
        .await?;
    let mut started = 0;
    for campaign in due {
        let ctx = TenantCtx::system(campaign.tenant_id);
        let mut tx = TenantTx::begin(deps, campaign.tenant_id).await?;
        match launch(&mut tx, &ctx, campaign.id).await {
            Ok(_) => {
                tx.commit().await?;
                started += 1;
            }
            Err(Error::Unexpected(e)) => return Err(Error::Unexpected(e)),
            Err(refusal) => {
                drop(tx);
                let mut tx = TenantTx::begin(deps, campaign.tenant_id).await?;
                let mut model: campaigns::ActiveModel = tx
                    .get::<campaigns::Entity>(campaign.id, "campaign")
                    .await?
                    .into();
                model.status = Set(Status::Draft.key().to_owned());
                tx.update(model).await?;
                audit::record(
                    &mut tx,
                    &ctx,
                    "marketing.campaign.start_failed",
                    ("campaign", Some(campaign.id)),
                    json!({ "reason": refusal.to_string() }),
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(started)
}

async fn transition(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    from: &[Status],
    to: Status,
    action: &str,
) -> Result<(TenantTx, Campaign)> {
    ctx.require(Permission::CampaignsSend)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<campaigns::Entity>(id, "campaign").await?;
    if !from.contains(&Status::from_stored(&current.status)?) {
        return Err(Error::conflict(
            "id",
            format!("the campaign is {}; it cannot become {to}", current.status),
        ));
    }
    let now = tx.now();
    let mut model: campaigns::ActiveModel = current.into();
    model.status = Set(to.key().to_owned());
    if to == Status::Cancelled {
        model.completed_at = Set(Some(now));
    }
    let campaign = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        action,
        ("campaign", Some(id)),
        json!({ "status": to.key() }),
    )
    .await?;
    Ok((tx, campaign))
}

/// Stops sending after the messages in flight; `resume` goes on from there.
pub async fn pause(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    let (tx, campaign) = transition(
        deps,
        ctx,
        id,
        &[Status::Sending],
        Status::Paused,
        "marketing.campaign.paused",
    )
    .await?;
    tx.commit().await?;
    Ok(campaign)
}

pub async fn resume(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    let (mut tx, campaign) = transition(
        deps,
        ctx,
        id,
        &[Status::Paused],
        Status::Sending,
        "marketing.campaign.resumed",
    )
    .await?;
    let batches: Vec<i32> = tx
        .select::<campaign_recipients::Entity>()
        .filter(campaign_recipients::Column::CampaignId.eq(id))
        .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Pending.key()))
        .select_only()
        .column(campaign_recipients::Column::Batch)
        .distinct()
        .into_tuple()
        .all(&*tx)
        .await?;
    for batch in &batches {
        tx.enqueue_after_commit(Job::new(SendCampaignBatch {
            tenant_id: ctx.tenant_id,
            campaign_id: id,
            batch: *batch,
        }))
        .await?;
    }
    tx.commit().await?;
    if batches.is_empty() {
        complete_if_done(deps, ctx.tenant_id, id).await?;
    }
    Ok(campaign)
}

/// Cancels a campaign before or during its send; recipients not yet sent are skipped.
pub async fn cancel(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    let (tx, campaign) = transition(
        deps,
        ctx,
        id,
        &[
            Status::Draft,
            Status::Scheduled,
            Status::Sending,
            Status::Paused,
        ],
        Status::Cancelled,
        "marketing.campaign.cancelled",
    )
    .await?;
    campaign_recipients::Entity::update_many()
        .col_expr(
            campaign_recipients::Column::Status,
            Expr::value(RecipientStatus::Cancelled.key()),
        )
        .filter(campaign_recipients::Column::TenantId.eq(ctx.tenant_id))
        .filter(campaign_recipients::Column::CampaignId.eq(id))
        .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Pending.key()))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Marks a sending campaign completed once no recipient is left to send, in one statement
/// so that of the last batches finishing together exactly one completes it.
async fn complete_if_done(deps: &Deps, tenant_id: Uuid, id: Uuid) -> Result<()> {
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let now = tx.now();
    let backend = tx.get_database_backend();
    let done = tx
        .execute_raw(raw(
            backend,
            "UPDATE campaigns SET status = 'completed', completed_at = $1, updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND status = 'sending' AND NOT EXISTS \
             (SELECT 1 FROM campaign_recipients r WHERE r.tenant_id = $2 AND r.campaign_id = $3 AND r.status IN ('pending', 'sending'))",
            [now.into(), tenant_id.into(), id.into()],
        ))
        .await?;
    if done.rows_affected() == 1 {
        crate::events::append(
            &mut tx,
            "marketing.campaign.completed",
            Some(format!("campaign/{id}")),
            json!({}),
            now,
        )
        .await?;
    }
    tx.commit().await
}

struct Outgoing {
    recipient: Recipient,
    first_name: String,
    last_name: String,
}

enum Sent {
    /// Sent; the provider's id when it gave one (email ids are ours, from the recipient).
    Ok(Option<String>),
    Failed(String),
    Bounced(String),
}

fn personalize(text: &str, first: &str, last: &str) -> String {
    text.replace("{{first_name}}", first)
        .replace("{{last_name}}", last)
        .replace("{{name}}", format!("{first} {last}").trim())
}

/// Splits text into words and links, each link made a tracked one.
fn with_tracked_links(deps: &Deps, recipient: Uuid, text: &str, html: bool) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let trimmed = word.trim_end_matches(['.', ',', ';', ')', '!', '?']);
        if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
            let tail = &word[trimmed.len()..];
            let tracked = tracking::click_url(deps, recipient, trimmed);
            if html {
                out.push_str(&format!(
                    "<a href=\"{}\">{}</a>{}",
                    escape(&tracked),
                    escape(trimmed),
                    escape(tail)
                ));
            } else {
                out.push_str(&tracked);
                out.push_str(tail);
            }
        } else if html {
            out.push_str(&escape(word));
        } else {
            out.push_str(word);
        }
    }
    out
}

fn campaign_email(
    deps: &Deps,
    campaign: &Campaign,
    channel: &channels::Model,
    business: &str,
    item: &Outgoing,
) -> OutgoingEmail {
    let id = item.recipient.id;
    let body = personalize(
        campaign.body.as_deref().unwrap_or_default(),
        &item.first_name,
        &item.last_name,
    );
    let unsubscribe = tracking::unsubscribe_url(deps, id);
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.lines()
                    .map(|l| with_tracked_links(deps, id, l, true))
                    .collect::<Vec<_>>()
                    .join("<br>")
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;max-width:600px;margin:auto\">{}\
         <hr><p style=\"font-size:12px;color:#666\">{} · <a href=\"{}\">Darse de baja / Unsubscribe</a></p>\
         <img src=\"{}\" width=\"1\" height=\"1\" alt=\"\"></body></html>",
        paragraphs.join(""),
        escape(business),
        escape(&unsubscribe),
        escape(&tracking::open_url(deps, id)),
    );
    let text = format!(
        "{}\n\n--\n{business}\nDarse de baja / Unsubscribe: {unsubscribe}\n",
        body.lines()
            .map(|l| with_tracked_links(deps, id, l, false))
            .collect::<Vec<_>>()
            .join("\n")
    );
    OutgoingEmail {
        message_id: format!("{}@tianguis", id.simple()),
        from: channel_rules::email_sender(channel),
        to: item.recipient.address.clone(),
        subject: personalize(
            campaign.subject.as_deref().unwrap_or_default(),
            &item.first_name,
            &item.last_name,
        ),
        html,
        text,
        attachments: Vec::new(),
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
            // RFC 8058: mail clients may unsubscribe with one POST, no page in between.
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
            ("Precedence".into(), "bulk".into()),
        ],
    }
}

/// The send rates a campaign on `channel` is held to, per second, by limiter key: the
/// channel's own (80 on WhatsApp unless set, Meta's default for a Cloud API number) and the
/// business's across its channels.
fn send_rates(
    tenant_rate: u32,
    channel: &channels::Model,
    kind: ChannelKind,
    tenant_id: Uuid,
) -> Vec<(String, u32)> {
    let channel_rate = channel
        .send_rate_per_second
        .map(|r| r.max(1) as u32)
        .or(match kind {
            ChannelKind::Whatsapp => Some(80),
            _ => None,
        });
    [
        (format!("send:channel:{}", channel.id), channel_rate),
        (format!("send:tenant:{tenant_id}"), Some(tenant_rate.max(1))),
    ]
    .into_iter()
    .filter_map(|(key, rate)| rate.map(|r| (key, r)))
    .collect()
}

/// Waits until `count` more messages fit under every rate, across workers.
async fn pace(deps: &Deps, rates: &[(String, u32)], count: u32) -> Result<()> {
    for (key, rate) in rates {
        loop {
            match deps
                .rate_limiter
                .take(key, count, *rate, Duration::from_secs(1))
                .await?
            {
                RateDecision::Allowed { .. } => break,
                RateDecision::Limited { retry_after } => tokio::time::sleep(retry_after).await,
            }
        }
    }
    Ok(())
}

/// Sends one batch of a campaign's recipients, each at most once.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SendCampaignBatch {
    pub tenant_id: Uuid,
    pub campaign_id: Uuid,
    pub batch: i32,
}

impl JobKind for SendCampaignBatch {
    const NAME: &'static str = "SendCampaignBatch";
    /// Batches sent at once; each has its own messages in flight.
    const QUEUE: Queue = Queue::new("campaign", 4);
    fn tenant_id(&self) -> Option<Uuid> {
        Some(self.tenant_id)
    }
}

/// Delivery statuses that providers report by webhook, applied to campaign recipients.
pub(crate) struct RecipientDeliveries;

impl DeliveryStatusListener for RecipientDeliveries {
    fn apply<'a>(
        &'a self,
        tx: &'a TenantTx,
        provider_id: &'a str,
        report: DeliveryReport,
        error: Option<String>,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(apply_status(tx, provider_id, report, error))
    }
}

/// The SendCampaignBatch job: sends the batch's pending recipients, a round at a time,
/// stopping between rounds when the campaign is paused or cancelled.
pub async fn send_batch(deps: &Deps, tenant_id: Uuid, campaign_id: Uuid, batch: i32) -> Result<()> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let campaign = tx.get::<campaigns::Entity>(campaign_id, "campaign").await?;
    if campaign.status != Status::Sending.key() {
        return tx.commit().await;
    }
    let channel = tx
        .get::<channels::Entity>(campaign.channel_id, "channel")
        .await?;
    let template = match campaign.template_id {
        Some(id) => Some(tx.get::<message_templates::Entity>(id, "template").await?),
        None => None,
    };
    let business = tianguis_entity::tenancy::tenants::Entity::find_by_id(tenant_id)
        .one(&*tx)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    // Claimed by a run that died mid-send: delivery unknown, so never sent again.
    campaign_recipients::Entity::update_many()
        .col_expr(
            campaign_recipients::Column::Status,
            Expr::value(RecipientStatus::Failed.key()),
        )
        .col_expr(
            campaign_recipients::Column::Error,
            Expr::value("interrupted while sending; not sent again to avoid a duplicate"),
        )
        .filter(campaign_recipients::Column::TenantId.eq(tenant_id))
        .filter(campaign_recipients::Column::CampaignId.eq(campaign_id))
        .filter(campaign_recipients::Column::Batch.eq(batch))
        .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Sending.key()))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    let kind = ChannelKind::from_stored(&channel.kind)?;
    let account = match kind {
        ChannelKind::Email => None,
        _ => Some(channel_rules::account(deps, &channel)?),
    };
    let variables = variables_of(&campaign);
    // A round claims only what it has in flight at once, so a worker killed mid-round
    // leaves at most that many recipients with their delivery unknown.
    // A round never exceeds a second's worth of any rate, so it always fits in one window.
    let settings = deps.settings::<MessagingSettings>()?;
    let rates = send_rates(settings.tenant_send_rate, &channel, kind, tenant_id);
    let round = rates
        .iter()
        .map(|(_, rate)| *rate as usize)
        .fold(settings.campaign_concurrency.clamp(1, 1000), usize::min);
    loop {
        let tx = TenantTx::begin(deps, tenant_id).await?;
        let status: Option<String> = tx
            .select::<campaigns::Entity>()
            .filter(campaigns::Column::Id.eq(campaign_id))
            .select_only()
            .column(campaigns::Column::Status)
            .into_tuple()
            .one(&*tx)
            .await?;
        if status.as_deref() != Some(Status::Sending.key()) {
            return tx.commit().await;
        }
        let ids: Vec<Uuid> = tx
            .select::<campaign_recipients::Entity>()
            .filter(campaign_recipients::Column::CampaignId.eq(campaign_id))
            .filter(campaign_recipients::Column::Batch.eq(batch))
            .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Pending.key()))
            .order_by_asc(campaign_recipients::Column::Id)
            .limit(round as u64)
            .select_only()
            .column(campaign_recipients::Column::Id)
            .into_tuple()
            .all(&*tx)
            .await?;
        if ids.is_empty() {
            tx.commit().await?;
            break;
        }
        let claimed = campaign_recipients::Entity::update_many()
            .col_expr(
                campaign_recipients::Column::Status,
                Expr::value(RecipientStatus::Sending.key()),
            )
            .filter(campaign_recipients::Column::TenantId.eq(tenant_id))
            .filter(campaign_recipients::Column::Id.is_in(ids))
            .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Pending.key()))
            .exec_with_returning(&*tx)
            .await?;
        let names: HashMap<Uuid, (String, String)> = tx
            .select::<contacts::Entity>()
            .filter(contacts::Column::Id.is_in(claimed.iter().map(|r| r.contact_id)))
            .select_only()
            .column(contacts::Column::Id)
            .column(contacts::Column::FirstName)
            .column(contacts::Column::LastName)
            .into_tuple::<(Uuid, String, String)>()
            .all(&*tx)
            .await?
            .into_iter()
            .map(|(id, first, last)| (id, (first, last)))
            .collect();
        // The claim is committed before anything is sent.
        tx.commit().await?;
        pace(deps, &rates, claimed.len() as u32).await?;
        let items: Vec<Outgoing> = claimed
            .into_iter()
            .map(|recipient| {
                let (first_name, last_name) = names
                    .get(&recipient.contact_id)
                    .cloned()
                    .unwrap_or_default();
                Outgoing {
                    recipient,
                    first_name,
                    last_name,
                }
            })
            .collect();
        let results: Vec<(Uuid, Sent)> = futures_util::stream::iter(items)
            .map(|item| {
                let (campaign, channel, template, account, variables, business) = (
                    &campaign, &channel, &template, &account, &variables, &business,
                );
                async move {
                    let outcome = match &account {
                        None => match deps
                            .mailer
                            .send(&campaign_email(deps, campaign, channel, business, &item))
                            .await
                        {
                            Ok(()) => Sent::Ok(None),
                            Err(MailError::Permanent(reason)) => Sent::Bounced(reason),
                            Err(MailError::Transient(reason)) => Sent::Failed(reason),
                        },
                        Some(account) => {
                            let content = match template {
                                Some(template) => OutboundContent::Template {
                                    name: template.name.clone(),
                                    language: template.language.clone(),
                                    variables: variables
                                        .iter()
                                        .map(|v| personalize(v, &item.first_name, &item.last_name))
                                        .collect(),
                                },
                                None => OutboundContent::Text {
                                    body: personalize(
                                        campaign.body.as_deref().unwrap_or_default(),
                                        &item.first_name,
                                        &item.last_name,
                                    ),
                                },
                            };
                            match deps
                                .messenger
                                .send(account, &item.recipient.address, &content)
                                .await
                            {
                                Ok(id) => Sent::Ok(Some(id)),
                                Err(MessengerError::Rejected { code, message }) => {
                                    Sent::Failed(format!("{code}: {message}"))
                                }
                                Err(MessengerError::Unavailable(reason)) => Sent::Failed(reason),
                            }
                        }
                    };
                    (item.recipient.id, outcome)
                }
            })
            .buffer_unordered(round)
            .collect()
            .await;
        record(deps, tenant_id, results).await?;
    }
    complete_if_done(deps, tenant_id, campaign_id).await
}

/// Records a round's outcomes: one statement for the plain successes.
async fn record(deps: &Deps, tenant_id: Uuid, results: Vec<(Uuid, Sent)>) -> Result<()> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let now = tx.now();
    let mut plain = Vec::new();
    for (id, outcome) in results {
        let (status, error, provider) = match outcome {
            Sent::Ok(None) => {
                plain.push(id);
                continue;
            }
            Sent::Ok(Some(provider)) => (RecipientStatus::Sent, None, Some(provider)),
            Sent::Failed(reason) => (RecipientStatus::Failed, Some(reason), None),
            Sent::Bounced(reason) => (RecipientStatus::Bounced, Some(reason), None),
        };
        campaign_recipients::Entity::update_many()
            .col_expr(
                campaign_recipients::Column::Status,
                Expr::value(status.key()),
            )
            .col_expr(campaign_recipients::Column::Error, Expr::value(error))
            .col_expr(
                campaign_recipients::Column::ProviderMessageId,
                Expr::value(provider),
            )
            .col_expr(
                campaign_recipients::Column::SentAt,
                Expr::value((status == RecipientStatus::Sent).then_some(now)),
            )
            .touched(now)
            .filter(campaign_recipients::Column::TenantId.eq(tenant_id))
            .filter(campaign_recipients::Column::Id.eq(id))
            .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Sending.key()))
            .exec(&*tx)
            .await?;
    }
    if !plain.is_empty() {
        campaign_recipients::Entity::update_many()
            .col_expr(
                campaign_recipients::Column::Status,
                Expr::value(RecipientStatus::Sent.key()),
            )
            .col_expr(campaign_recipients::Column::SentAt, Expr::value(now))
            .touched(now)
            .filter(campaign_recipients::Column::TenantId.eq(tenant_id))
            .filter(campaign_recipients::Column::Id.is_in(plain))
            .filter(campaign_recipients::Column::Status.eq(RecipientStatus::Sending.key()))
            .exec(&*tx)
            .await?;
    }
    tx.commit().await
}

/// A provider's status callback for a campaign message, moving only forward.
pub async fn apply_status(
    tx: &TenantTx,
    provider_id: &str,
    report: DeliveryReport,
    error: Option<String>,
) -> Result<bool> {
    let Some(found) = tx
        .select::<campaign_recipients::Entity>()
        .filter(campaign_recipients::Column::ProviderMessageId.eq(provider_id))
        .one(&**tx)
        .await?
    else {
        return Ok(false);
    };
    if !report.advances(RecipientStatus::from_stored(&found.status)?.delivery_rank()) {
        return Ok(false);
    }
    let now = tx.now();
    let mut model: campaign_recipients::ActiveModel = found.into();
    model.status = Set(report.key().to_owned());
    match report {
        DeliveryReport::Delivered => model.delivered_at = Set(Some(now)),
        DeliveryReport::Read => model.read_at = Set(Some(now)),
        DeliveryReport::Sent | DeliveryReport::Failed => model.error = Set(error),
    }
    tx.update(model).await?;
    Ok(true)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Campaign> {
    TenantTx::read_one::<campaigns::Entity>(deps, ctx, Permission::MessagingRead, id, "campaign")
        .await
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Campaign>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<campaigns::Entity>(),
        campaigns::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// How a campaign's send went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub recipients: u64,
    pub pending: u64,
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub clicked: u64,
    pub failed: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub cancelled: u64,
}

/// The metrics of several campaigns, in one grouped query.
pub async fn metrics(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Metrics>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT campaign_id, status, COUNT(*) AS n, COUNT(delivered_at) AS delivered, COUNT(read_at) AS read_n, \
         COUNT(clicked_at) AS clicked, COUNT(unsubscribed_at) AS unsubscribed \
         FROM campaign_recipients WHERE tenant_id = $1 AND campaign_id IN ({}) GROUP BY campaign_id, status",
        if marks.is_empty() {
            "NULL".to_owned()
        } else {
            marks.join(", ")
        }
    );
    let mut values: Vec<sea_orm::Value> = vec![ctx.tenant_id.into()];
    values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
    let rows = tx.query_all_raw(raw(backend, &sql, values)).await?;
    tx.commit().await?;
    let mut out: HashMap<Uuid, Metrics> = ids.iter().map(|id| (*id, Metrics::default())).collect();
    for row in rows {
        let id: Uuid = row.try_get("", "campaign_id")?;
        let status = RecipientStatus::from_stored(&row.try_get::<String>("", "status")?)?;
        let count = |c: &str| row.try_get::<i64>("", c).map(|n| n as u64);
        let (n, delivered, read, clicked, unsubscribed) = (
            count("n")?,
            count("delivered")?,
            count("read_n")?,
            count("clicked")?,
            count("unsubscribed")?,
        );
        let m = out.entry(id).or_default();
        m.recipients += n;
        match status {
            RecipientStatus::Pending | RecipientStatus::Sending => m.pending += n,
            RecipientStatus::Sent | RecipientStatus::Delivered | RecipientStatus::Read => {
                m.sent += n
            }
            RecipientStatus::Failed => m.failed += n,
            RecipientStatus::Bounced => m.bounced += n,
            RecipientStatus::Cancelled => m.cancelled += n,
            // Only the log shows these; rows hold delivery statuses.
            RecipientStatus::Clicked | RecipientStatus::Unsubscribed => {}
        }
        // Opens count as reads and imply delivery for email, which reports no delivery.
        m.delivered += if status == RecipientStatus::Read && delivered == 0 {
            n
        } else {
            delivered.max(u64::from(status == RecipientStatus::Delivered) * n)
        };
        m.read += read.max(u64::from(status == RecipientStatus::Read) * n);
        m.clicked += clicked;
        m.unsubscribed += unsubscribed;
    }
    Ok(out)
}

/// Where a recipient's log stands: unsubscribed, else clicked, else its delivery status.
pub fn log_status(recipient: &Recipient) -> Result<RecipientStatus> {
    Ok(if recipient.unsubscribed_at.is_some() {
        RecipientStatus::Unsubscribed
    } else if recipient.clicked_at.is_some() {
        RecipientStatus::Clicked
    } else {
        RecipientStatus::from_stored(&recipient.status)?
    })
}

/// The condition that a recipient's [`log_status`] is `status`.
fn log_status_is(status: RecipientStatus) -> sea_orm::Condition {
    use campaign_recipients::Column as C;
    match status {
        RecipientStatus::Unsubscribed => {
            sea_orm::Condition::all().add(C::UnsubscribedAt.is_not_null())
        }
        RecipientStatus::Clicked => sea_orm::Condition::all()
            .add(C::UnsubscribedAt.is_null())
            .add(C::ClickedAt.is_not_null()),
        delivery => sea_orm::Condition::all()
            .add(C::UnsubscribedAt.is_null())
            .add(C::ClickedAt.is_null())
            .add(C::Status.eq(delivery.key())),
    }
}

#[derive(Clone, Debug, Default)]
pub struct RecipientFilter {
    /// Log statuses ([`log_status`]), any of them.
    pub statuses: Vec<RecipientStatus>,
    pub clicked: Option<bool>,
    pub unsubscribed: Option<bool>,
}

/// The recipient log of a campaign.
pub async fn recipients(
    deps: &Deps,
    ctx: &TenantCtx,
    campaign_id: Uuid,
    filter: RecipientFilter,
    page: &PageRequest,
) -> Result<Page<Recipient>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<campaigns::Entity>(campaign_id, "campaign").await?;
    let mut select = tx
        .select::<campaign_recipients::Entity>()
        .filter(campaign_recipients::Column::CampaignId.eq(campaign_id));
    if !filter.statuses.is_empty() {
        let mut any = sea_orm::Condition::any();
        for status in &filter.statuses {
            any = any.add(log_status_is(*status));
        }
        select = select.filter(any);
    }
    if let Some(clicked) = filter.clicked {
        select = select.filter(if clicked {
            campaign_recipients::Column::ClickedAt.is_not_null()
        } else {
            campaign_recipients::Column::ClickedAt.is_null()
        });
    }
    if let Some(unsubscribed) = filter.unsubscribed {
        select = select.filter(if unsubscribed {
            campaign_recipients::Column::UnsubscribedAt.is_not_null()
        } else {
            campaign_recipients::Column::UnsubscribedAt.is_null()
        });
    }
    let page = paginate(
        &*tx,
        select,
        campaign_recipients::Column::Id,
        SortDirection::Asc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}
