//! Alert rules and alerts: rules are kept per device or per profile; the evaluator looks at
//! the devices whose telemetry was just stored, off the ingest path, and the minute's sweep
//! looks at rules that time alone can make true. A rule raises at most one open alert per
//! device (repeats update it); it clears by itself when the condition stops holding, or by
//! hand. Raising and clearing are domain events (and so webhook events), email the rule's
//! recipients, and reach live subscribers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition as Where, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::iot::{
    alert_rule_states as states, alert_rules, alerts, devices, telemetry_latest as latest,
};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::rules::{self, Condition, Facts, Holding, Sample, Severity};
use super::telemetry::DeviceIdentity;
use crate::audit;
use crate::db::stamped;
use crate::db::{TenantTx, begin_system};
use crate::email::{self, NewEmail};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::tenancy::tenants;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use tianguis_kernel::rules::{EmailAddress, required_text};

pub use alert_rules::Model as AlertRule;
pub use alerts::Model as Alert;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Active = "ACTIVE",
        Acknowledged = "ACKNOWLEDGED",
        Cleared = "CLEARED",
    }
}

tianguis_kernel::stored_enum! {
    /// What happened to an alert, as live subscribers hear it.
    pub enum Change {
        Raised = "RAISED",
        /// New telemetry found the condition still holding.
        Updated = "UPDATED",
        Acknowledged = "ACKNOWLEDGED",
        Cleared = "CLEARED",
    }
}

const MAX_RECIPIENTS: usize = 10;

/// The pub/sub topic of a business's alert changes.
pub fn topic(tenant_id: Uuid) -> String {
    format!("tenant.{tenant_id}.alerts")
}

/// What live subscribers hear: the alert as it now is, and what happened to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlertChange {
    pub change: Change,
    pub alert: AlertRecord,
}

/// An alert as events and subscribers carry it, so none of them reads it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub rule_id: Uuid,
    pub device_id: Uuid,
    pub severity: String,
    pub status: String,
    pub details: serde_json::Value,
    pub trigger_count: i32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub last_triggered_at: chrono::DateTime<chrono::Utc>,
    pub acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
    pub acknowledged_by: Option<Uuid>,
    pub cleared_at: Option<chrono::DateTime<chrono::Utc>>,
    pub cleared_by: Option<Uuid>,
}

impl From<&Alert> for AlertRecord {
    fn from(a: &Alert) -> Self {
        Self {
            id: a.id,
            tenant_id: a.tenant_id,
            rule_id: a.rule_id,
            device_id: a.device_id,
            severity: a.severity.clone(),
            status: a.status.clone(),
            details: a.details.clone(),
            trigger_count: a.trigger_count,
            started_at: a.started_at,
            last_triggered_at: a.last_triggered_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            cleared_at: a.cleared_at,
            cleared_by: a.cleared_by,
        }
    }
}

impl From<AlertRecord> for Alert {
    fn from(a: AlertRecord) -> Self {
        Self {
            id: a.id,
            tenant_id: a.tenant_id,
            rule_id: a.rule_id,
            device_id: a.device_id,
            severity: a.severity,
            status: a.status,
            details: a.details,
            trigger_count: a.trigger_count,
            started_at: a.started_at,
            last_triggered_at: a.last_triggered_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            cleared_at: a.cleared_at,
            cleared_by: a.cleared_by,
        }
    }
}

fn snapshot(alert: &Alert) -> serde_json::Value {
    serde_json::to_value(AlertRecord::from(alert)).unwrap_or_default()
}

pub fn condition_of(rule: &AlertRule) -> Result<Condition> {
    serde_json::from_value(rule.condition.clone())
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("stored condition unreadable: {e}")))
}

pub fn recipients_of(rule: &AlertRule) -> Vec<String> {
    serde_json::from_value(rule.notify_emails.clone()).unwrap_or_default()
}

/// What a rule watches: one device, or every device of a profile.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Device(Uuid),
    Profile(Uuid),
}

impl Target {
    /// The target of a new rule: exactly one of a device and a profile.
    pub fn exactly_one(device_id: Option<Uuid>, profile_id: Option<Uuid>) -> Result<Self> {
        match (device_id, profile_id) {
            (Some(device), None) => Ok(Target::Device(device)),
            (None, Some(profile)) => Ok(Target::Profile(profile)),
            _ => Err(Error::invalid(
                "deviceId",
                "give either deviceId or profileId",
            )),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RuleInput {
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub condition: Option<Condition>,
    pub notify_emails: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

fn apply(model: &mut alert_rules::ActiveModel, input: RuleInput) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 120)?);
    }
    if let Some(severity) = input.severity {
        model.severity = Set(severity.key().into());
    }
    if let Some(condition) = input.condition {
        condition.validate()?;
        model.condition = Set(serde_json::to_value(condition).map_err(anyhow::Error::from)?);
    }
    if let Some(emails) = input.notify_emails {
        if emails.len() > MAX_RECIPIENTS {
            return Err(Error::invalid(
                "notifyEmails",
                format!("at most {MAX_RECIPIENTS} addresses"),
            ));
        }
        let mut normalised = Vec::with_capacity(emails.len());
        for raw in &emails {
            normalised.push(
                EmailAddress::parse(raw, "notifyEmails")?
                    .as_str()
                    .to_owned(),
            );
        }
        normalised.dedup();
        model.notify_emails = Set(serde_json::json!(normalised));
    }
    if let Some(enabled) = input.enabled {
        model.enabled = Set(enabled);
    }
    Ok(())
}

pub async fn create_rule(
    deps: &Deps,
    ctx: &TenantCtx,
    target: Target,
    input: RuleInput,
) -> Result<AlertRule> {
    use tianguis_entity::iot::device_profiles as profiles;
    ctx.require(Permission::IotWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    let Some(severity) = input.severity else {
        return Err(Error::invalid("severity", "severity is required"));
    };
    if input.condition.is_none() {
        return Err(Error::invalid("condition", "condition is required"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let (device_id, profile_id) = match target {
        Target::Device(id) => {
            tx.get::<devices::Entity>(id, "device").await?;
            (Some(id), None)
        }
        Target::Profile(id) => {
            tx.get::<profiles::Entity>(id, "device profile").await?;
            (None, Some(id))
        }
    };
    let mut model = alert_rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        device_id: Set(device_id),
        profile_id: Set(profile_id),
        severity: Set(severity.key().into()),
        condition: Set(serde_json::Value::Null),
        notify_emails: Set(serde_json::json!([])),
        enabled: Set(true),
        ..Default::default()
    };
    apply(&mut model, input)?;
    let rule = tx.insert(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.alert_rule.created",
        ("alert_rule", Some(rule.id)),
        serde_json::json!({ "name": rule.name, "severity": rule.severity }),
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

/// Changes a rule; its target stays. Open alerts keep their severity until they clear.
pub async fn update_rule(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: RuleInput,
) -> Result<AlertRule> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let condition_changed = input.condition.is_some();
    let mut model: alert_rules::ActiveModel = tx
        .get::<alert_rules::Entity>(id, "alert rule")
        .await?
        .into();
    apply(&mut model, input)?;
    let rule = tx.update(model).await?;
    if condition_changed {
        // Timers measured against the old condition mean nothing for the new one.
        states::Entity::delete_many()
            .filter(states::Column::TenantId.eq(ctx.tenant_id))
            .filter(states::Column::RuleId.eq(id))
            .exec(&*tx)
            .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "iot.alert_rule.updated",
        ("alert_rule", Some(rule.id)),
        serde_json::json!({ "name": rule.name, "severity": rule.severity, "enabled": rule.enabled }),
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

/// Deletes a rule with its alerts.
pub async fn delete_rule(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rule = tx.get::<alert_rules::Entity>(id, "alert rule").await?;
    alert_rules::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.alert_rule.deleted",
        ("alert_rule", Some(id)),
        serde_json::json!({ "name": rule.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get_rule(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<AlertRule> {
    TenantTx::read_one::<alert_rules::Entity>(deps, ctx, Permission::IotRead, id, "alert rule")
        .await
}

/// The business's rules by name, or those of one device or profile.
pub async fn list_rules(
    deps: &Deps,
    ctx: &TenantCtx,
    target: Option<Target>,
) -> Result<Vec<AlertRule>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<alert_rules::Entity>();
    select = match target {
        Some(Target::Device(id)) => select.filter(alert_rules::Column::DeviceId.eq(id)),
        Some(Target::Profile(id)) => select.filter(alert_rules::Column::ProfileId.eq(id)),
        None => select,
    };
    let found = select
        .order_by_asc(alert_rules::Column::Name)
        .order_by_asc(alert_rules::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Rules by id: one statement per batch.
pub async fn rules_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, AlertRule>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<alert_rules::Entity>()
        .filter(alert_rules::Column::Id.is_in(ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.into_iter().map(|r| (r.id, r)).collect())
}

#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub statuses: Vec<Status>,
    pub min_severity: Option<Severity>,
    pub device_id: Option<Uuid>,
    pub rule_id: Option<Uuid>,
}

fn at_least(severity: Severity) -> Vec<&'static str> {
    Severity::ALL
        .iter()
        .filter(|s| **s >= severity)
        .map(|s| s.key())
        .collect()
}

/// Whether an alert of `severity` interests someone asking for `minimum` and above.
pub fn is_at_least(severity: &str, minimum: Severity) -> bool {
    Severity::from_key(severity).is_some_and(|s| s >= minimum)
}

/// The business's alerts, newest first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: AlertFilter,
    page: &PageRequest,
) -> Result<Page<Alert>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<alerts::Entity>();
    if !filter.statuses.is_empty() {
        let statuses = filter.statuses.iter().map(|s| s.key());
        select = select.filter(alerts::Column::Status.is_in(statuses));
    }
    if let Some(minimum) = filter.min_severity {
        select = select.filter(alerts::Column::Severity.is_in(at_least(minimum)));
    }
    if let Some(device) = filter.device_id {
        select = select.filter(alerts::Column::DeviceId.eq(device));
    }
    if let Some(rule) = filter.rule_id {
        select = select.filter(alerts::Column::RuleId.eq(rule));
    }
    let page = paginate(&*tx, select, alerts::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Alert> {
    TenantTx::read_one::<alerts::Entity>(deps, ctx, Permission::IotRead, id, "alert").await
}

fn announce(tx: &mut TenantTx, change: Change, alert: &Alert) -> Result<()> {
    let payload = AlertChange {
        change,
        alert: AlertRecord::from(alert),
    };
    tx.publish_after_commit(
        topic(alert.tenant_id),
        serde_json::to_vec(&payload).map_err(anyhow::Error::from)?,
    );
    Ok(())
}

/// Records a step of an alert's life as a domain event (`iot.alert.raised`, `.acknowledged`,
/// `.cleared`, which webhooks carry) and tells live subscribers after commit.
async fn changed(tx: &mut TenantTx, ctx: &TenantCtx, change: Change, alert: &Alert) -> Result<()> {
    audit::record(
        tx,
        ctx,
        &format!("iot.alert.{}", change.key().to_lowercase()),
        ("alert", Some(alert.id)),
        snapshot(alert),
    )
    .await?;
    announce(tx, change, alert)
}

/// Someone has seen the alert: active → acknowledged, with who and when.
pub async fn acknowledge(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Alert> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let alert = tx.get::<alerts::Entity>(id, "alert").await?;
    if alert.status != Status::Active.key() {
        return Err(Error::Conflict {
            field: "status",
            message: format!(
                "only an active alert can be acknowledged; this one is {}",
                alert.status
            ),
        });
    }
    let mut model: alerts::ActiveModel = alert.into();
    model.status = Set(Status::Acknowledged.key().into());
    model.acknowledged_at = Set(Some(tx.now()));
    model.acknowledged_by = Set(ctx.actor_user());
    let alert = model.update(&*tx).await?;
    changed(&mut tx, ctx, Change::Acknowledged, &alert).await?;
    tx.commit().await?;
    Ok(alert)
}

/// Clears an open alert by hand. If its condition still holds, the next evaluation raises a
/// new one.
pub async fn clear(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Alert> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let alert = tx.get::<alerts::Entity>(id, "alert").await?;
    if alert.status == Status::Cleared.key() {
        return Err(Error::Conflict {
            field: "status",
            message: "the alert is already cleared".into(),
        });
    }
    let mut model: alerts::ActiveModel = alert.into();
    model.status = Set(Status::Cleared.key().into());
    model.cleared_at = Set(Some(tx.now()));
    model.cleared_by = Set(ctx.actor_user());
    let alert = model.update(&*tx).await?;
    changed(&mut tx, ctx, Change::Cleared, &alert).await?;
    tx.commit().await?;
    Ok(alert)
}

/// Why devices are being evaluated: new telemetry counts as a repeat of an open alert, the
/// clock's passing does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Telemetry,
    Clock,
}

/// Evaluates every enabled rule that applies to `device_ids` (of one business) and raises,
/// updates or clears their alerts, in one transaction.
pub async fn evaluate(
    deps: &Deps,
    tenant_id: Uuid,
    device_ids: &[Uuid],
    trigger: Trigger,
) -> Result<()> {
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    // A business without rules, the common case, costs one read.
    let rules = tx
        .select::<alert_rules::Entity>()
        .filter(alert_rules::Column::Enabled.eq(true))
        .order_by_asc(alert_rules::Column::Id)
        .all(&*tx)
        .await?;
    if rules.is_empty() {
        tx.commit().await?;
        return Ok(());
    }
    let found = tx
        .select::<devices::Entity>()
        .filter(devices::Column::Id.is_in(device_ids.iter().copied()))
        .all(&*tx)
        .await?;
    let mut values: HashMap<Uuid, BTreeMap<String, Sample>> = HashMap::new();
    for v in tx
        .select::<latest::Entity>()
        .filter(latest::Column::DeviceId.is_in(device_ids.iter().copied()))
        .all(&*tx)
        .await?
    {
        values.entry(v.device_id).or_default().insert(
            v.key,
            Sample {
                ts: v.ts,
                number: v.value_number,
            },
        );
    }
    let rule_ids: Vec<Uuid> = rules.iter().map(|r| r.id).collect();
    let mut remembered: HashMap<(Uuid, Uuid), Holding> = tx
        .select::<states::Entity>()
        .filter(states::Column::DeviceId.is_in(device_ids.iter().copied()))
        .filter(states::Column::RuleId.is_in(rule_ids.iter().copied()))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|s| {
            let holding = serde_json::from_value(s.holding_since).unwrap_or_default();
            ((s.rule_id, s.device_id), holding)
        })
        .collect();
    let mut open: HashMap<(Uuid, Uuid), Alert> = tx
        .select::<alerts::Entity>()
        .filter(alerts::Column::DeviceId.is_in(device_ids.iter().copied()))
        .filter(alerts::Column::ClearedAt.is_null())
        .all(&*tx)
        .await?
        .into_iter()
        .map(|a| ((a.rule_id, a.device_id), a))
        .collect();

    let now = tx.now();
    let empty = BTreeMap::new();
    let mut raised = Vec::new();
    for device in &found {
        let applicable = rules.iter().filter(|r| {
            r.device_id == Some(device.id)
                || (r.profile_id.is_some() && r.profile_id == device.profile_id)
        });
        for rule in applicable {
            let Ok(condition) = condition_of(rule) else {
                tracing::warn!(rule_id = %rule.id, "skipping a rule whose condition is unreadable");
                continue;
            };
            let key = (rule.id, device.id);
            let previous = remembered.remove(&key).unwrap_or_default();
            let verdict = rules::evaluate(
                &condition,
                &Facts {
                    latest: values.get(&device.id).unwrap_or(&empty),
                    last_heard: device.last_seen_at.unwrap_or(device.created_at),
                    now,
                },
                &previous,
            );
            if verdict.holding != previous {
                remember(&tx, tenant_id, key, &verdict.holding, now).await?;
            }
            let details = serde_json::Value::Object(verdict.details);
            match (verdict.holds, open.remove(&key)) {
                (true, None) => {
                    if let Some(alert) = raise(&mut tx, rule, device.id, details, now).await? {
                        raised.push((alert, rule.clone(), device.name.clone()));
                    }
                }
                (true, Some(alert)) if trigger == Trigger::Telemetry => {
                    let repeats = alert.trigger_count + 1;
                    let mut model: alerts::ActiveModel = alert.into();
                    model.trigger_count = Set(repeats);
                    model.last_triggered_at = Set(now);
                    model.details = Set(details);
                    let alert = model.update(&*tx).await?;
                    announce(&mut tx, Change::Updated, &alert)?;
                }
                (true, Some(_)) => {}
                (false, Some(alert)) => {
                    let mut model: alerts::ActiveModel = alert.into();
                    model.status = Set(Status::Cleared.key().into());
                    model.cleared_at = Set(Some(now));
                    model.details = Set(details);
                    let alert = model.update(&*tx).await?;
                    changed(
                        &mut tx,
                        &TenantCtx::system(tenant_id),
                        Change::Cleared,
                        &alert,
                    )
                    .await?;
                }
                (false, None) => {}
            }
        }
    }
    if !raised.is_empty() {
        notify(deps, &mut tx, tenant_id, &raised).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn remember(
    tx: &TenantTx,
    tenant_id: Uuid,
    (rule_id, device_id): (Uuid, Uuid),
    holding: &Holding,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if holding.is_empty() {
        states::Entity::delete_many()
            .filter(states::Column::TenantId.eq(tenant_id))
            .filter(states::Column::RuleId.eq(rule_id))
            .filter(states::Column::DeviceId.eq(device_id))
            .exec(&**tx)
            .await?;
        return Ok(());
    }
    states::Entity::insert(stamped(
        now,
        states::ActiveModel {
            tenant_id: Set(tenant_id),
            rule_id: Set(rule_id),
            device_id: Set(device_id),
            holding_since: Set(serde_json::to_value(holding).map_err(anyhow::Error::from)?),
            ..Default::default()
        },
    ))
    .on_conflict(
        OnConflict::columns([states::Column::RuleId, states::Column::DeviceId])
            .update_columns([states::Column::HoldingSince, states::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(&**tx)
    .await?;
    Ok(())
}

/// Opens an alert unless another evaluation just did; returns it when this one did.
async fn raise(
    tx: &mut TenantTx,
    rule: &AlertRule,
    device_id: Uuid,
    details: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Alert>> {
    let alert = Alert {
        id: Uuid::now_v7(),
        tenant_id: rule.tenant_id,
        rule_id: rule.id,
        device_id,
        severity: rule.severity.clone(),
        status: Status::Active.key().into(),
        details,
        trigger_count: 1,
        started_at: now,
        last_triggered_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        cleared_at: None,
        cleared_by: None,
    };
    let inserted = alerts::Entity::insert(alerts::ActiveModel::from(alert.clone()))
        .on_conflict(
            OnConflict::columns([alerts::Column::RuleId, alerts::Column::DeviceId])
                .target_and_where(Expr::col(alerts::Column::ClearedAt).is_null())
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&**tx)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    changed(
        tx,
        &TenantCtx::system(rule.tenant_id),
        Change::Raised,
        &alert,
    )
    .await?;
    Ok(Some(alert))
}

async fn notify(
    deps: &Deps,
    tx: &mut TenantTx,
    tenant_id: Uuid,
    raised: &[(Alert, AlertRule, String)],
) -> Result<()> {
    let (branding, locale) = tenants::branding(&**tx, tenant_id).await?;
    for (alert, rule, device_name) in raised {
        let details = alert.details.to_string();
        let link = format!("{}/iot/alerts/{}", deps.mail.app_url, alert.id);
        for to in recipients_of(rule) {
            let job = email::queue(
                &**tx,
                NewEmail {
                    at: deps.clock.now(),
                    tenant_id: Some(tenant_id),
                    to: &to,
                    locale: &locale,
                    branding: &branding,
                    template: &crate::emails::AlertRaised {
                        rule: &rule.name,
                        device: device_name,
                        severity: &alert.severity,
                        details: &details,
                        link: &link,
                    },
                },
            )
            .await?;
            tx.enqueue_after_commit(job).await?;
        }
    }
    Ok(())
}

/// Evaluates, every minute, the devices under rules that time alone can make true (a
/// silence, a threshold held long enough) or whose alerts may clear.
pub async fn evaluate_due(deps: &Deps) -> Result<()> {
    let tx = begin_system(&deps.db).await?;
    let rules = alert_rules::Entity::find()
        .filter(alert_rules::Column::Enabled.eq(true))
        .all(&tx)
        .await?;
    let timed: Vec<&AlertRule> = rules
        .iter()
        .filter(|r| condition_of(r).is_ok_and(|c| rules::depends_on_time(&c)))
        .collect();
    let profiles: Vec<Uuid> = timed.iter().filter_map(|r| r.profile_id).collect();
    let direct: Vec<Uuid> = timed.iter().filter_map(|r| r.device_id).collect();
    let mut due: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !timed.is_empty() {
        for device in devices::Entity::find()
            .filter(
                Where::any()
                    .add(devices::Column::Id.is_in(direct))
                    .add(devices::Column::ProfileId.is_in(profiles)),
            )
            .all(&tx)
            .await?
        {
            due.entry(device.tenant_id).or_default().push(device.id);
        }
    }
    tx.commit().await?;
    for (tenant_id, device_ids) in due {
        for chunk in device_ids.chunks(500) {
            evaluate(deps, tenant_id, chunk, Trigger::Clock).await?;
        }
    }
    Ok(())
}

/// Collects the devices whose telemetry was stored and evaluates their rules in the
/// background: ingestion only marks them, never waits. Devices marked again before their
/// turn are evaluated once, against their newest values. The work stops with the last
/// handle.
pub struct Evaluator {
    marked: Arc<Mutex<HashMap<Uuid, HashSet<Uuid>>>>,
    wake: mpsc::Sender<()>,
}

impl Evaluator {
    pub fn start(deps: Deps) -> Self {
        let marked: Arc<Mutex<HashMap<Uuid, HashSet<Uuid>>>> = Arc::default();
        let (wake, mut woken) = mpsc::channel::<()>(1);
        let pending = marked.clone();
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                let batch = match pending.lock() {
                    Ok(mut marked) => std::mem::take(&mut *marked),
                    Err(_) => return,
                };
                for (tenant_id, devices) in batch {
                    let devices: Vec<Uuid> = devices.into_iter().collect();
                    for chunk in devices.chunks(500) {
                        if let Err(err) =
                            evaluate(&deps, tenant_id, chunk, Trigger::Telemetry).await
                        {
                            tracing::error!(error = ?err, %tenant_id, "evaluating alert rules failed");
                        }
                    }
                }
            }
        });
        Self { marked, wake }
    }

    pub fn mark(&self, devices: &[DeviceIdentity]) {
        if let Ok(mut marked) = self.marked.lock() {
            for d in devices {
                marked.entry(d.tenant_id).or_default().insert(d.device_id);
            }
        }
        // A wake-up already waiting covers these devices too.
        let _ = self.wake.try_send(());
    }
}

/// The alerts of one device still open, for its page: one statement per batch.
pub async fn open_by_device(
    deps: &Deps,
    ctx: &TenantCtx,
    device_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Alert>>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<alerts::Entity>()
        .filter(alerts::Column::DeviceId.is_in(device_ids.iter().copied()))
        .filter(alerts::Column::ClearedAt.is_null())
        .order_by_desc(alerts::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(found, |a| Some(a.device_id)))
}
