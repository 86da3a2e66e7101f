//! Outgoing webhooks: tenants register endpoints for event types; every matching domain
//! event becomes a signed delivery, retried with backoff for up to a day.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::Sha256;
use tianguis_entity::automation::{webhook_deliveries, webhook_endpoints};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::db::stamped;
use crate::events::{DomainEvent, EventConsumer};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::ports::Job;
use crate::registry::{JobKind, Queue};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules, secrets::random_token};

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub const SIGNATURE_HEADER: &str = "Tianguis-Signature";
pub const EVENT_ID_HEADER: &str = "Tianguis-Event-Id";
pub const EVENT_TYPE_HEADER: &str = "Tianguis-Event-Type";
/// How much of a response body is kept in the delivery log.
const EXCERPT_LEN: usize = 512;

#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Allow endpoints on private, loopback or link-local addresses (tests, on-premise).
    pub allow_private_targets: bool,
    /// First retry delay; each further one doubles, up to [`MAX_RETRY_DELAY`].
    pub retry_base: Duration,
    /// How long a delivery is retried, and how long an endpoint may fail before it is
    /// disabled.
    pub give_up_after: TimeDelta,
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_base: Duration::from_secs(30),
            give_up_after: TimeDelta::hours(24),
            timeout: Duration::from_secs(10),
        }
    }
}

const MAX_RETRY_DELAY: Duration = Duration::from_secs(4 * 3600);

/// The delay before retry number `attempt` (1-based).
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(MAX_RETRY_DELAY)
}

/// Whether an event type matches a subscription pattern: exact, `*`, or a prefix ending
/// in `.*` (`crm.*` matches `crm.lead.created`).
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) if prefix.ends_with('.') => event_type.starts_with(prefix),
        Some(_) => false,
        None => pattern == event_type,
    }
}

/// The signature header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Checks an endpoint URL: http(s), resolvable, and (unless allowed) not pointing into a
/// private network. Checked at registration and again before every delivery, since DNS
/// can change in between.
pub async fn check_target(url: &str, allow_private: bool) -> Result<()> {
    let invalid = |message: &str| Error::invalid("url", message);
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("the URL must start with https:// or http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(invalid("the URL needs a host and no credentials"));
    }
    let default_port = if url.starts_with("https://") { 443 } else { 80 };
    let host_port = if authority.starts_with('[')
        || authority
            .rsplit_once(':')
            .is_none_or(|(_, p)| p.parse::<u16>().is_err())
    {
        format!("{authority}:{default_port}")
    } else {
        authority.to_owned()
    };
    let addresses: Vec<_> = tokio::net::lookup_host(host_port)
        .await
        .map_err(|_| invalid("the URL's host does not resolve"))?
        .collect();
    if addresses.is_empty() {
        return Err(invalid("the URL's host does not resolve"));
    }
    if !allow_private && addresses.iter().any(|a| is_private(a.ip())) {
        return Err(invalid("the URL points into a private network"));
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn patterns(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<webhook_endpoints::Model> for Endpoint {
    fn from(m: webhook_endpoints::Model) -> Self {
        Self {
            event_types: patterns(&m.event_types),
            id: m.id,
            url: m.url,
            description: m.description,
            enabled: m.enabled,
            disabled_reason: m.disabled_reason,
            failing_since: m.failing_since,
            created_at: m.created_at,
        }
    }
}

pub struct EndpointInput {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
}

fn parse_patterns(raw: Vec<String>) -> Result<Vec<String>> {
    if raw.is_empty() {
        return Err(Error::invalid(
            "eventTypes",
            "subscribe to at least one event type",
        ));
    }
    for pattern in &raw {
        let body = pattern.strip_suffix(".*").unwrap_or(pattern);
        let valid = pattern == "*"
            || (!body.is_empty()
                && body.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                }));
        if !valid {
            return Err(Error::invalid(
                "eventTypes",
                format!("'{pattern}' is not an event type or pattern like crm.*"),
            ));
        }
    }
    Ok(raw)
}

pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    /// The signing secret, shown once.
    pub secret: String,
}

pub async fn create_endpoint(
    deps: &Deps,
    ctx: &TenantCtx,
    input: EndpointInput,
) -> Result<CreatedEndpoint> {
    ctx.require(Permission::WebhooksWrite)?;
    let url = rules::required_text(&input.url, "url", 2048)?;
    check_target(
        &url,
        deps.settings::<WebhookSettings>()?.allow_private_targets,
    )
    .await?;
    let event_types = parse_patterns(input.event_types)?;
    let secret = format!("whsec_{}", random_token(40));
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let endpoint = tx
        .insert(webhook_endpoints::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            url: Set(url),
            description: Set(input.description.unwrap_or_default().trim().to_owned()),
            event_types: Set(serde_json::json!(event_types)),
            secret: Set(deps.secrets.seal(&secret)?),
            enabled: Set(true),
            disabled_reason: Set(None),
            failing_since: Set(None),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.webhook_endpoint.created",
        ("webhook_endpoint", Some(endpoint.id)),
        serde_json::json!({ "url": endpoint.url, "eventTypes": endpoint.event_types }),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedEndpoint {
        endpoint: endpoint.into(),
        secret,
    })
}

pub struct EndpointUpdate {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

pub async fn update_endpoint(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: EndpointUpdate,
) -> Result<Endpoint> {
    ctx.require(Permission::WebhooksWrite)?;
    if let Some(url) = &input.url {
        check_target(
            url,
            deps.settings::<WebhookSettings>()?.allow_private_targets,
        )
        .await?;
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let endpoint = tx
        .get::<webhook_endpoints::Entity>(id, "webhook endpoint")
        .await?;
    let mut model: webhook_endpoints::ActiveModel = endpoint.into();
    if let Some(url) = input.url {
        model.url = Set(rules::required_text(&url, "url", 2048)?);
    }
    if let Some(description) = input.description {
        model.description = Set(description.trim().to_owned());
    }
    if let Some(types) = input.event_types {
        model.event_types = Set(serde_json::json!(parse_patterns(types)?));
    }
    if let Some(enabled) = input.enabled {
        model.enabled = Set(enabled);
        if enabled {
            model.disabled_reason = Set(None);
            model.failing_since = Set(None);
        } else {
            model.disabled_reason = Set(Some("disabled by a user".into()));
        }
    }
    let endpoint = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.webhook_endpoint.updated",
        ("webhook_endpoint", Some(id)),
        serde_json::json!({ "url": endpoint.url, "enabled": endpoint.enabled }),
    )
    .await?;
    tx.commit().await?;
    Ok(endpoint.into())
}

pub async fn delete_endpoint(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::WebhooksWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let endpoint = tx
        .get::<webhook_endpoints::Entity>(id, "webhook endpoint")
        .await?;
    webhook_endpoints::Entity::delete_by_id(endpoint.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.webhook_endpoint.deleted",
        ("webhook_endpoint", Some(id)),
        serde_json::json!({ "url": endpoint.url }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list_endpoints(
    deps: &Deps,
    ctx: &TenantCtx,
    page: &PageRequest,
) -> Result<Page<Endpoint>> {
    ctx.require(Permission::WebhooksWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let select = tx.select::<webhook_endpoints::Entity>();
    let page = paginate(
        &*tx,
        select,
        webhook_endpoints::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page.map(Endpoint::from))
}

tianguis_kernel::stored_enum! {
    pub enum DeliveryStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        /// Given up after retrying for a day.
        Failed = "failed",
        /// Not sent because the endpoint was disabled.
        Cancelled = "cancelled",
    }
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i64>,
    pub last_response_excerpt: Option<String>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<webhook_deliveries::Model> for Delivery {
    type Error = Error;

    fn try_from(m: webhook_deliveries::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            endpoint_id: m.endpoint_id,
            event_id: m.event_id,
            event_type: m.event_type,
            status: DeliveryStatus::from_stored(&m.status)?,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_status_code: m.last_status_code,
            last_latency_ms: m.last_latency_ms,
            last_response_excerpt: m.last_response_excerpt,
            last_error: m.last_error,
            delivered_at: m.delivered_at,
            created_at: m.created_at,
        })
    }
}

pub async fn list_deliveries(
    deps: &Deps,
    ctx: &TenantCtx,
    endpoint_id: Option<Uuid>,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    ctx.require(Permission::WebhooksWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<webhook_deliveries::Entity>();
    if let Some(endpoint) = endpoint_id {
        select = select.filter(webhook_deliveries::Column::EndpointId.eq(endpoint));
    }
    if let Some(status) = status {
        select = select.filter(webhook_deliveries::Column::Status.eq(status.key()));
    }
    let page = paginate(
        &*tx,
        select,
        webhook_deliveries::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    page.try_map(Delivery::try_from)
}

/// Sends a delivery again now, whatever became of it before.
pub async fn redeliver(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Delivery> {
    ctx.require(Permission::WebhooksWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let delivery = tx
        .get::<webhook_deliveries::Entity>(id, "webhook delivery")
        .await?;
    let mut model: webhook_deliveries::ActiveModel = delivery.into();
    model.status = Set(DeliveryStatus::Pending.key().to_owned());
    model.next_attempt_at = Set(Some(deps.clock.now()));
    let delivery = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "automation.webhook_delivery.redelivered",
        ("webhook_delivery", Some(id)),
        serde_json::json!({ "eventId": delivery.event_id }),
    )
    .await?;
    tx.commit().await?;
    deps.jobs
        .enqueue(
            Job::new(DeliverWebhook {
                tenant_id: ctx.tenant_id,
                delivery_id: id,
            }),
            Duration::ZERO,
        )
        .await?;
    delivery.try_into()
}

/// Turns each domain event into one delivery per matching, enabled endpoint.
pub struct WebhookConsumer;

#[async_trait::async_trait]
impl EventConsumer for WebhookConsumer {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    async fn consume(
        &self,
        tx: &DatabaseTransaction,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>> {
        let endpoints = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::TenantId.eq(event.tenant_id))
            .filter(webhook_endpoints::Column::Enabled.eq(true))
            .all(tx)
            .await?;
        let body = serde_json::to_string(&event.to_cloud_event()).map_err(anyhow::Error::from)?;
        let mut jobs = Vec::new();
        for endpoint in endpoints {
            if !patterns(&endpoint.event_types)
                .iter()
                .any(|p| pattern_matches(p, &event.event_type))
            {
                continue;
            }
            let id = Uuid::now_v7();
            let inserted = webhook_deliveries::Entity::insert(stamped(
                now,
                webhook_deliveries::ActiveModel {
                    id: Set(id),
                    tenant_id: Set(event.tenant_id),
                    endpoint_id: Set(endpoint.id),
                    event_id: Set(event.id),
                    event_type: Set(event.event_type.clone()),
                    body: Set(body.clone()),
                    status: Set(DeliveryStatus::Pending.key().to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(Some(event.time)),
                    last_status_code: Set(None),
                    last_latency_ms: Set(None),
                    last_response_excerpt: Set(None),
                    last_error: Set(None),
                    delivered_at: Set(None),
                    ..Default::default()
                },
            ))
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    webhook_deliveries::Column::TenantId,
                    webhook_deliveries::Column::EndpointId,
                    webhook_deliveries::Column::EventId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
            if inserted > 0 {
                jobs.push(Job::new(DeliverWebhook {
                    tenant_id: event.tenant_id,
                    delivery_id: id,
                }));
            }
        }
        Ok(jobs)
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_LEN).collect()
}

/// Posts one delivery of an event to an endpoint.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DeliverWebhook {
    pub tenant_id: Uuid,
    pub delivery_id: Uuid,
}

impl JobKind for DeliverWebhook {
    const NAME: &'static str = "DeliverWebhook";
    const QUEUE: Queue = Queue::new("deliver_webhook", 8);
    fn tenant_id(&self) -> Option<Uuid> {
        Some(self.tenant_id)
    }
}

/// Enqueues again the deliveries due before `cutoff` whose job never ran.
pub async fn enqueue_undelivered(deps: &Deps, cutoff: DateTime<Utc>) -> Result<usize> {
    let undelivered = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.key()))
        .filter(webhook_deliveries::Column::NextAttemptAt.lt(cutoff))
        .all(&deps.db)
        .await?;
    for delivery in &undelivered {
        let job = Job::new(DeliverWebhook {
            tenant_id: delivery.tenant_id,
            delivery_id: delivery.id,
        });
        deps.jobs.enqueue(job, Duration::ZERO).await?;
    }
    Ok(undelivered.len())
}

/// Makes one attempt of a delivery (the DeliverWebhook job). Idempotent: a delivery that
/// is no longer pending is left alone, so a duplicate job sends nothing.
pub async fn deliver(deps: &Deps, tenant_id: Uuid, delivery_id: Uuid) -> Result<()> {
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let Some(delivery) = webhook_deliveries::Entity::find_by_id(delivery_id)
        .filter(webhook_deliveries::Column::TenantId.eq(tenant_id))
        .one(&*tx)
        .await?
    else {
        return Ok(());
    };
    if delivery.status != DeliveryStatus::Pending.key() {
        return Ok(());
    }
    let now = deps.clock.now();
    let endpoint = tx
        .get::<webhook_endpoints::Entity>(delivery.endpoint_id, "webhook endpoint")
        .await?;
    tx.commit().await?;
    if !endpoint.enabled {
        let skipped = Attempt::skipped("endpoint disabled");
        return record_attempt(deps, &delivery, DeliveryStatus::Cancelled, &skipped, None).await;
    }

    let timestamp = now.timestamp();
    let headers = vec![
        (
            "Content-Type".to_owned(),
            "application/cloudevents+json".to_owned(),
        ),
        ("User-Agent".to_owned(), "Tianguis-Webhooks/1".to_owned()),
        (
            SIGNATURE_HEADER.to_owned(),
            sign(
                &deps.secrets.open(&endpoint.secret)?,
                timestamp,
                &delivery.body,
            ),
        ),
        (EVENT_ID_HEADER.to_owned(), delivery.event_id.to_string()),
        (EVENT_TYPE_HEADER.to_owned(), delivery.event_type.clone()),
    ];
    let started = std::time::Instant::now();
    let outcome = match check_target(
        &endpoint.url,
        deps.settings::<WebhookSettings>()?.allow_private_targets,
    )
    .await
    {
        Err(err) => Err(anyhow::anyhow!("{err}")),
        Ok(()) => {
            deps.webhook_transport
                .post(
                    &endpoint.url,
                    &headers,
                    delivery.body.clone(),
                    deps.settings::<WebhookSettings>()?.timeout,
                )
                .await
        }
    };
    let latency = started.elapsed().as_millis() as i64;
    let attempt = match outcome {
        Ok(response) => Attempt {
            succeeded: (200..300).contains(&response.status),
            status_code: Some(i32::from(response.status)),
            latency_ms: Some(latency),
            excerpt: Some(excerpt(&response.body_excerpt)),
            error: None,
        },
        Err(err) => Attempt {
            succeeded: false,
            status_code: None,
            latency_ms: Some(latency),
            excerpt: None,
            error: Some(excerpt(&err.to_string())),
        },
    };
    if attempt.succeeded {
        return record_attempt(deps, &delivery, DeliveryStatus::Succeeded, &attempt, None).await;
    }
    let attempts = delivery.attempts + 1;
    if now - delivery.created_at >= deps.settings::<WebhookSettings>()?.give_up_after {
        return record_attempt(deps, &delivery, DeliveryStatus::Failed, &attempt, None).await;
    }
    let delay = retry_delay(
        deps.settings::<WebhookSettings>()?.retry_base,
        attempts as u32,
    );
    let next = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(4));
    record_attempt(
        deps,
        &delivery,
        DeliveryStatus::Pending,
        &attempt,
        Some(next),
    )
    .await?;
    deps.jobs
        .enqueue(
            Job::new(DeliverWebhook {
                tenant_id,
                delivery_id,
            }),
            delay,
        )
        .await?;
    Ok(())
}

struct Attempt {
    succeeded: bool,
    status_code: Option<i32>,
    latency_ms: Option<i64>,
    excerpt: Option<String>,
    error: Option<String>,
}

impl Attempt {
    fn skipped(reason: &str) -> Self {
        Self {
            succeeded: false,
            status_code: None,
            latency_ms: None,
            excerpt: None,
            error: Some(reason.to_owned()),
        }
    }
}

/// Writes the attempt's outcome and keeps the endpoint's failure streak: a success ends it;
/// a streak longer than the give-up period disables the endpoint.
async fn record_attempt(
    deps: &Deps,
    delivery: &webhook_deliveries::Model,
    status: DeliveryStatus,
    attempt: &Attempt,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, delivery.tenant_id).await?;
    let sent = attempt.latency_ms.is_some();
    let mut model: webhook_deliveries::ActiveModel = delivery.clone().into();
    model.status = Set(status.key().to_owned());
    model.next_attempt_at = Set(next_attempt_at);
    // A skipped attempt keeps the last real attempt's details.
    if sent {
        model.attempts = Set(delivery.attempts + 1);
        model.last_status_code = Set(attempt.status_code);
        model.last_latency_ms = Set(attempt.latency_ms);
        model.last_response_excerpt = Set(attempt.excerpt.clone());
        model.last_error = Set(attempt.error.clone());
    }
    if attempt.succeeded {
        model.delivered_at = Set(Some(now));
    }
    tx.update(model).await?;

    let endpoint = tx
        .get::<webhook_endpoints::Entity>(delivery.endpoint_id, "webhook endpoint")
        .await?;
    if sent && endpoint.enabled {
        let mut model: webhook_endpoints::ActiveModel = endpoint.clone().into();
        if attempt.succeeded {
            if endpoint.failing_since.is_some() {
                model.failing_since = Set(None);
                model.update(&*tx).await?;
            }
        } else {
            let since = endpoint.failing_since.unwrap_or(now);
            model.failing_since = Set(Some(since));
            if now - since >= deps.settings::<WebhookSettings>()?.give_up_after {
                model.enabled = Set(false);
                model.disabled_reason = Set(Some(format!(
                    "every delivery failed since {}",
                    since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )));
                let ctx = crate::TenantCtx::system(delivery.tenant_id);
                model.update(&*tx).await?;
                email_admins_endpoint_disabled(&mut tx, &endpoint.url, since).await?;
                audit::record(
                    &mut tx,
                    &ctx,
                    "automation.webhook_endpoint.disabled",
                    ("webhook_endpoint", Some(delivery.endpoint_id)),
                    serde_json::json!({ "url": endpoint.url, "failingSince": since }),
                )
                .await?;
            } else if endpoint.failing_since.is_none() {
                model.update(&*tx).await?;
            }
        }
    }
    tx.commit().await
}

#[derive(sea_orm::FromQueryResult)]
struct Admin {
    email: String,
    locale: String,
}

/// Tells the business's owners and administrators that an endpoint was disabled.
async fn email_admins_endpoint_disabled(
    tx: &mut TenantTx,
    url: &str,
    since: DateTime<Utc>,
) -> Result<()> {
    let admins = <Admin as sea_orm::FromQueryResult>::find_by_statement(crate::db::raw(
        sea_orm::ConnectionTrait::get_database_backend(&**tx),
        "SELECT u.email, u.locale FROM memberships m
         JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = $1 AND m.status = 'active' AND r.key IN ('owner', 'admin')",
        [tx.tenant_id().into()],
    ))
    .all(&**tx)
    .await?;
    let (branding, _) = crate::tenancy::tenants::branding(&**tx, tx.tenant_id()).await?;
    for admin in admins {
        let job = crate::email::queue(
            &**tx,
            crate::email::NewEmail {
                at: tx.now(),
                tenant_id: Some(tx.tenant_id()),
                to: &admin.email,
                locale: &admin.locale,
                branding: &branding,
                template: &crate::emails::WebhookDisabled { url, since },
            },
        )
        .await?;
        tx.enqueue_after_commit(job).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_or_everything() {
        assert!(pattern_matches("crm.*", "crm.lead.created"));
        assert!(pattern_matches("*", "tenancy.user.invited"));
        assert!(pattern_matches("crm.lead.created", "crm.lead.created"));
        assert!(!pattern_matches("crm.*", "crmx.lead.created"));
        assert!(!pattern_matches("crm.lead.created", "crm.lead.won"));
    }

    #[test]
    fn retry_delays_double_up_to_a_ceiling() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 1), base);
        assert_eq!(retry_delay(base, 3), base * 4);
        assert_eq!(retry_delay(base, 30), MAX_RETRY_DELAY);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, "{\"a\":1}"),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "100.64.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
    }
}
