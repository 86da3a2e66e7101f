//! IoT's GraphQL object types.

use crate::graphql::common::stored;
use crate::graphql::common::user;
use crate::graphql::loaders::AlertRuleLoader;
use crate::graphql::loaders::DeviceLoader;
use crate::graphql::loaders::DeviceProfileLoader;
use crate::graphql::loaders::LatestTelemetryLoader;
use crate::graphql::loaders::OpenAlertsLoader;
use crate::graphql::loaders::load;
use crate::graphql::loaders::load_opt;
use crate::graphql::tenancy::User;
use async_graphql::Context;
use async_graphql::Enum;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Json;
use async_graphql::Object;
use async_graphql::SimpleObject;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::iot::alerts;
use tianguis_domain::iot::commands;
use tianguis_domain::iot::devices;
use tianguis_domain::iot::rules::Condition;
use tianguis_domain::iot::rules::Operator;
use tianguis_domain::iot::rules::Severity;
use tianguis_domain::iot::telemetry;

use crate::graphql::iot::*;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Severity")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
    Emergency,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "alerts::Status")]
pub enum AlertStatus {
    Active,
    Acknowledged,
    Cleared,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Operator")]
pub enum ThresholdOperator {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl From<AlertConditionInput> for Condition {
    fn from(input: AlertConditionInput) -> Self {
        match input {
            AlertConditionInput::Threshold(t) => Condition::Threshold {
                key: t.key,
                op: t.op.into(),
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

pub struct AlertRule(pub(crate) alerts::AlertRule);

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
    async fn severity(&self) -> async_graphql::Result<AlertSeverity> {
        stored(Severity::from_stored, &self.0.severity)
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

pub struct Alert(pub(crate) alerts::Alert);

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
    async fn severity(&self) -> async_graphql::Result<AlertSeverity> {
        stored(Severity::from_stored, &self.0.severity)
    }
    async fn status(&self) -> async_graphql::Result<AlertStatus> {
        stored(alerts::Status::from_stored, &self.0.status)
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

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "alerts::Change")]
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

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "commands::Status")]
pub enum DeviceCommandStatus {
    /// Waiting for the device to connect and take it.
    Pending,
    /// The device acknowledged receipt and has not answered yet.
    Delivered,
    Succeeded,
    Failed,
    /// The device did not answer before the command's timeout.
    Expired,
}

pub struct DeviceCommand(pub(crate) commands::DeviceCommand);

#[Object]
impl DeviceCommand {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn device_id(&self) -> ID {
        self.0.device_id.into()
    }
    async fn method(&self) -> &str {
        &self.0.method
    }
    async fn params(&self) -> Json<serde_json::Value> {
        Json(self.0.params.clone())
    }
    async fn status(&self) -> async_graphql::Result<DeviceCommandStatus> {
        stored(commands::Status::from_stored, &self.0.status)
    }
    /// What the device answered.
    async fn response(&self) -> Option<Json<serde_json::Value>> {
        self.0.response.clone().map(Json)
    }
    /// The device's reason, when it failed the command.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn requested_by_id(&self) -> Option<ID> {
        self.0.requested_by.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

/// A telemetry key a profile expects.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TelemetryKeyInput")]
pub struct TelemetryKey {
    pub key: String,
    pub unit: Option<String>,
    /// The expected range; rules and dashboards use it.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl From<devices::TelemetryKey> for TelemetryKey {
    fn from(k: devices::TelemetryKey) -> Self {
        Self {
            key: k.key,
            unit: k.unit,
            min: k.min,
            max: k.max,
        }
    }
}

impl From<TelemetryKey> for devices::TelemetryKey {
    fn from(k: TelemetryKey) -> Self {
        Self {
            key: k.key,
            unit: k.unit,
            min: k.min,
            max: k.max,
        }
    }
}

pub struct DeviceProfile(pub(crate) devices::DeviceProfile);

#[Object]
impl DeviceProfile {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn telemetry_keys(&self) -> Vec<TelemetryKey> {
        devices::keys_of(&self.0)
            .into_iter()
            .map(TelemetryKey::from)
            .collect()
    }
    /// Silence after which a device counts as offline.
    async fn offline_timeout_secs(&self) -> i32 {
        self.0.offline_timeout_secs
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DeviceStatus {
    Online,
    Offline,
}

/// The newest value of one key.
#[derive(SimpleObject)]
pub struct TelemetryValue {
    pub key: String,
    pub ts: DateTime<Utc>,
    /// Numbers and booleans (1 or 0).
    pub number: Option<f64>,
    pub text: Option<String>,
}

pub struct Device(pub(crate) devices::Device);

#[Object]
impl Device {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn device_type(&self) -> &str {
        &self.0.device_type
    }
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn metadata(&self) -> Json<serde_json::Value> {
        Json(self.0.metadata.clone())
    }
    /// Whether a token is in force.
    async fn has_token(&self) -> bool {
        self.0.token_hash.is_some()
    }
    async fn token_issued_at(&self) -> Option<DateTime<Utc>> {
        self.0.token_issued_at
    }
    async fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DeviceProfile>> {
        Ok(load_opt::<DeviceProfileLoader>(ctx, self.0.profile_id)
            .await?
            .map(DeviceProfile))
    }
    /// Online from its first report until its profile's timeout passes without one (5
    /// minutes without a profile); going offline is noticed within a minute.
    /// Alerts of this device not yet cleared, newest first.
    async fn open_alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Alert>> {
        Ok(load::<OpenAlertsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Alert)
            .collect())
    }
    async fn status(&self) -> DeviceStatus {
        if self.0.online {
            DeviceStatus::Online
        } else {
            DeviceStatus::Offline
        }
    }
    /// The newest value of each key (or of the keys given).
    async fn latest(
        &self,
        ctx: &Context<'_>,
        keys: Option<Vec<String>>,
    ) -> async_graphql::Result<Vec<TelemetryValue>> {
        let values = load::<LatestTelemetryLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(values
            .into_iter()
            .filter(|v| keys.as_ref().is_none_or(|k| k.contains(&v.key)))
            .map(|v| TelemetryValue {
                key: v.key,
                ts: v.ts,
                number: v.value_number,
                text: v.value_text,
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct CreateDevicePayload {
    pub device: Device,
    /// The device's access token; shown only here.
    pub token: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "telemetry::Aggregate")]
pub enum TelemetryAggregate {
    Avg,
    Min,
    Max,
    Sum,
    Count,
}

#[derive(SimpleObject)]
pub struct TelemetryBucket {
    pub start: DateTime<Utc>,
    /// The aggregate of the bucket's numeric values.
    pub value: Option<f64>,
    /// How many points fell in the bucket.
    pub count: i64,
}

/// Live points of one device as they are stored.
#[derive(SimpleObject)]
pub struct TelemetryUpdate {
    pub device_id: ID,
    pub values: Vec<TelemetryValue>,
}

/// A device came online or went offline.
#[derive(SimpleObject)]
pub struct DeviceStatusChange {
    pub device_id: ID,
    pub status: DeviceStatus,
    pub at: DateTime<Utc>,
}
