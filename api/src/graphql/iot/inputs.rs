//! IoT's GraphQL input types.

use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::Json;
use async_graphql::MaybeUndefined;
use async_graphql::OneofObject;

use crate::graphql::iot::*;

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

#[derive(InputObject, Default)]
pub struct AlertFilter {
    pub statuses: Option<Vec<AlertStatus>>,
    /// This severity and those above it.
    pub min_severity: Option<AlertSeverity>,
    pub device_id: Option<ID>,
    pub rule_id: Option<ID>,
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

#[derive(InputObject)]
pub struct SendDeviceCommandInput {
    pub device_id: ID,
    /// What the device should do, e.g. `setRelay`.
    pub method: String,
    #[graphql(default_with = "Json(serde_json::json!({}))")]
    pub params: Json<serde_json::Value>,
    /// Seconds the device has to answer; 60 by default.
    pub timeout_seconds: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct DeviceFilter {
    /// Part of the name.
    pub search: Option<String>,
    pub device_type: Option<String>,
    pub profile_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub status: Option<DeviceStatus>,
}

#[derive(InputObject)]
pub struct CreateDeviceProfileInput {
    pub name: String,
    #[graphql(default)]
    pub telemetry_keys: Vec<TelemetryKey>,
    /// Defaults to 300.
    pub offline_timeout_secs: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateDeviceProfileInput {
    pub id: ID,
    pub name: Option<String>,
    /// Replaces the expected keys.
    pub telemetry_keys: Option<Vec<TelemetryKey>>,
    pub offline_timeout_secs: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateDeviceInput {
    pub name: String,
    /// Such as sensor, relay, gateway. Defaults to sensor.
    pub device_type: Option<String>,
    pub location: Option<String>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<Json<serde_json::Value>>,
    pub profile_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateDeviceInput {
    pub id: ID,
    pub name: Option<String>,
    pub device_type: Option<String>,
    pub location: Option<String>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<Json<serde_json::Value>>,
    pub profile_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct DeviceByIdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct SetTelemetryRetentionInput {
    /// 1 to 3,650; older points are deleted by the daily maintenance job.
    pub days: i32,
}
