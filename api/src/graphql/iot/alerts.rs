//! GraphQL of alert rules and alerts, and the live alerts subscription.

use async_graphql::{
    Context, Enum, ID, InputObject, Json, Object, OneofObject, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tianguis_domain::Permission;
use tianguis_domain::iot::alerts::{self, Target};
use tianguis_domain::iot::rules::{Condition, Operator, Severity};

use super::{Device, DeviceProfile};
use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::crm::records::optional_id;
use crate::graphql::crm::types::user;
use crate::graphql::error::{GqlResult, parse_id, to_graphql};
use crate::graphql::loaders::{AlertRuleLoader, DeviceLoader, DeviceProfileLoader, load, load_opt};
use crate::graphql::tenancy::types::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
    Emergency,
}

impl From<AlertSeverity> for Severity {
    fn from(s: AlertSeverity) -> Self {
        match s {
            AlertSeverity::Info => Severity::Info,
            AlertSeverity::Warning => Severity::Warning,
            AlertSeverity::Critical => Severity::Critical,
            AlertSeverity::Emergency => Severity::Emergency,
        }
    }
}

fn severity_of(stored: &str) -> AlertSeverity {
    match Severity::parse(stored) {
        Some(Severity::Emergency) => AlertSeverity::Emergency,
        Some(Severity::Critical) => AlertSeverity::Critical,
        Some(Severity::Warning) => AlertSeverity::Warning,
        _ => AlertSeverity::Info,
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AlertStatus {
    Active,
    Acknowledged,
    Cleared,
}

impl AlertStatus {
    fn stored(self) -> &'static str {
        match self {
            AlertStatus::Active => alerts::ACTIVE,
            AlertStatus::Acknowledged => alerts::ACKNOWLEDGED,
            AlertStatus::Cleared => alerts::CLEARED,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ThresholdOperator {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

#[derive(InputObject)]
pub struct ThresholdConditionInput {
    pub key: String,
    pub op: ThresholdOperator,
    pub value: f64,
    /// Seconds the comparison must hold without a break; 0 fires at once.
    #[graphql(default)]
    pub for_seconds: u32,
}

#[derive(InputObject)]
pub struct NoDataConditionInput {
    /// Silence of this key only; of the whole device when absent.
    pub key: Option<String>,
    pub minutes: u32,
}

/// Exactly one of: a threshold, a silence, or all/any of further conditions. The rule's
/// `condition` field returns the same shape as JSON.
#[derive(OneofObject)]
pub enum AlertConditionInput {
    Threshold(ThresholdConditionInput),
    NoData(NoDataConditionInput),
    All(Vec<AlertConditionInput>),
    Any(Vec<AlertConditionInput>),
}

impl From<AlertConditionInput> for Condition {
    fn from(input: AlertConditionInput) -> Self {
        match input {
            AlertConditionInput::Threshold(t) => Condition::Threshold {
                key: t.key,
                op: match t.op {
                    ThresholdOperator::Gt => Operator::Gt,
                    ThresholdOperator::Gte => Operator::Gte,
                    ThresholdOperator::Lt => Operator::Lt,
                    ThresholdOperator::Lte => Operator::Lte,
                    ThresholdOperator::Eq => Operator::Eq,
                    ThresholdOperator::Neq => Operator::Neq,
                },
                value: t.value,
                for_seconds: t.for_seconds,
            },
            AlertConditionInput::NoData(n) => Condition::NoData {
                key: n.key,
                minutes: n.minutes,
            },
            AlertConditionInput::All(inner) => {
                Condition::All(inner.into_iter().map(Condition::from).collect())
            }
            AlertConditionInput::Any(inner) => {
                Condition::Any(inner.into_iter().map(Condition::from).collect())
            }
        }
    }
}

pub struct AlertRule(alerts::AlertRule);

#[Object]
impl AlertRule {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The device watched, when the rule is for one device.
    async fn device(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Device>> {
        Ok(load_opt::<DeviceLoader>(ctx, self.0.device_id)
            .await?
            .map(Device))
    }
    /// The profile whose devices are watched, when the rule is for a profile.
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DeviceProfile>> {
        Ok(load_opt::<DeviceProfileLoader>(ctx, self.0.profile_id)
            .await?
            .map(DeviceProfile))
    }
    async fn severity(&self) -> AlertSeverity {
        severity_of(&self.0.severity)
    }
    /// The condition in the shape `AlertConditionInput` takes.
    async fn condition(&self) -> Json<serde_json::Value> {
        Json(self.0.condition.clone())
    }
    /// Who is emailed when the rule raises an alert.
    async fn notify_emails(&self) -> Vec<String> {
        alerts::recipients_of(&self.0)
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Alert(pub(super) alerts::Alert);

#[Object]
impl Alert {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn rule(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AlertRule>> {
        Ok(load::<AlertRuleLoader>(ctx, self.0.rule_id)
            .await?
            .map(AlertRule))
    }
    async fn device(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Device>> {
        Ok(load::<DeviceLoader>(ctx, self.0.device_id)
            .await?
            .map(Device))
    }
    async fn severity(&self) -> AlertSeverity {
        severity_of(&self.0.severity)
    }
    async fn status(&self) -> AlertStatus {
        match self.0.status.as_str() {
            alerts::ACKNOWLEDGED => AlertStatus::Acknowledged,
            alerts::CLEARED => AlertStatus::Cleared,
            _ => AlertStatus::Active,
        }
    }
    /// The values the condition looked at when it last held (or when it cleared).
    async fn details(&self) -> Json<serde_json::Value> {
        Json(self.0.details.clone())
    }
    /// Evaluations of new telemetry that found the condition holding, the first included.
    async fn trigger_count(&self) -> i32 {
        self.0.trigger_count
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn last_triggered_at(&self) -> DateTime<Utc> {
        self.0.last_triggered_at
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    async fn acknowledged_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.acknowledged_by).await
    }
    async fn cleared_at(&self) -> Option<DateTime<Utc>> {
        self.0.cleared_at
    }
    /// Who cleared it by hand; none when it cleared by itself.
    async fn cleared_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.cleared_by).await
    }
}

#[derive(InputObject, Default)]
pub struct AlertFilter {
    pub statuses: Option<Vec<AlertStatus>>,
    /// This severity and those above it.
    pub min_severity: Option<AlertSeverity>,
    pub device_id: Option<ID>,
    pub rule_id: Option<ID>,
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The business's alert rules by name, or those of one device or profile.
    async fn alert_rules(
        &self,
        ctx: &Context<'_>,
        device_id: Option<ID>,
        profile_id: Option<ID>,
    ) -> async_graphql::Result<Vec<AlertRule>> {
        let target = match (
            optional_id(device_id.as_ref(), "deviceId")?,
            optional_id(profile_id.as_ref(), "profileId")?,
        ) {
            (Some(device), _) => Some(Target::Device(device)),
            (None, Some(profile)) => Some(Target::Profile(profile)),
            (None, None) => None,
        };
        Ok(alerts::list_rules(deps(ctx)?, tenant(ctx)?, target)
            .await
            .gql()?
            .into_iter()
            .map(AlertRule)
            .collect())
    }

    async fn alert_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<AlertRule> {
        let id = parse_id(&id, "id")?;
        Ok(AlertRule(
            alerts::get_rule(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// The business's alerts, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Alert>> {
        let f = filter.unwrap_or_default();
        let filter = alerts::AlertFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.stored().to_owned())
                .collect(),
            min_severity: f.min_severity.map(Severity::from),
            device_id: optional_id(f.device_id.as_ref(), "deviceId")?,
            rule_id: optional_id(f.rule_id.as_ref(), "ruleId")?,
        };
        let page = page_request(first, after, last, before)?;
        let page = alerts::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |a| a.id, Alert))
    }

    async fn alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        let id = parse_id(&id, "id")?;
        Ok(Alert(
            alerts::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

#[derive(InputObject)]
pub struct CreateAlertRuleInput {
    pub name: String,
    /// The device to watch; give this or `profileId`.
    pub device_id: Option<ID>,
    /// Watch every device of this profile; give this or `deviceId`.
    pub profile_id: Option<ID>,
    pub severity: AlertSeverity,
    pub condition: AlertConditionInput,
    #[graphql(default)]
    pub notify_emails: Vec<String>,
    #[graphql(default = true)]
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct UpdateAlertRuleInput {
    pub id: ID,
    pub name: Option<String>,
    pub severity: Option<AlertSeverity>,
    pub condition: Option<AlertConditionInput>,
    pub notify_emails: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct AlertByIdInput {
    pub id: ID,
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: CreateAlertRuleInput,
    ) -> async_graphql::Result<AlertRule> {
        let target = Target::exactly_one(
            optional_id(input.device_id.as_ref(), "deviceId")?,
            optional_id(input.profile_id.as_ref(), "profileId")?,
        )
        .gql()?;
        let rule = alerts::RuleInput {
            name: Some(input.name),
            severity: Some(input.severity.into()),
            condition: Some(input.condition.into()),
            notify_emails: Some(input.notify_emails),
            enabled: Some(input.enabled),
        };
        Ok(AlertRule(
            alerts::create_rule(deps(ctx)?, tenant(ctx)?, target, rule)
                .await
                .gql()?,
        ))
    }

    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: UpdateAlertRuleInput,
    ) -> async_graphql::Result<AlertRule> {
        let id = parse_id(&input.id, "id")?;
        let rule = alerts::RuleInput {
            name: input.name,
            severity: input.severity.map(Severity::from),
            condition: input.condition.map(Condition::from),
            notify_emails: input.notify_emails,
            enabled: input.enabled,
        };
        Ok(AlertRule(
            alerts::update_rule(deps(ctx)?, tenant(ctx)?, id, rule)
                .await
                .gql()?,
        ))
    }

    /// Deletes a rule with its alerts.
    async fn delete_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(alerts::delete_rule(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// ACTIVE → ACKNOWLEDGED, recording who and when.
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<Alert> {
        let id = parse_id(&input.id, "id")?;
        Ok(Alert(
            alerts::acknowledge(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Clears an open alert by hand; it is raised anew if its condition still holds.
    async fn clear_alert(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<Alert> {
        let id = parse_id(&input.id, "id")?;
        Ok(Alert(
            alerts::clear(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AlertChangeKind {
    Raised,
    /// New telemetry found the condition still holding.
    Updated,
    Acknowledged,
    Cleared,
}

#[derive(SimpleObject)]
pub struct AlertEvent {
    pub change: AlertChangeKind,
    pub alert: Alert,
}

#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// The business's alerts as they are raised, repeat, are acknowledged and clear, on any
    /// replica; only those at `minSeverity` or above.
    async fn alert_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "AlertSeverity::Info")] min_severity: AlertSeverity,
    ) -> async_graphql::Result<impl Stream<Item = AlertEvent> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::IotRead).gql()?;
        let minimum = Severity::from(min_severity);
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&alerts::topic(caller.tenant_id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(move |payload| async move {
            let event = serde_json::from_slice::<alerts::AlertChange>(&payload).ok()?;
            if !alerts::is_at_least(&event.alert.severity, minimum) {
                return None;
            }
            let change = match event.change.as_str() {
                alerts::RAISED => AlertChangeKind::Raised,
                alerts::UPDATED => AlertChangeKind::Updated,
                alerts::ACKNOWLEDGED => AlertChangeKind::Acknowledged,
                _ => AlertChangeKind::Cleared,
            };
            Some(AlertEvent {
                change,
                alert: Alert(event.alert.into()),
            })
        }))
    }
}
