//! IoT: device profiles, devices, their telemetry and commands, alert rules and alerts.

pub mod alert_rule_states;
pub mod alert_rules;
pub mod alerts;
pub mod device_commands;
pub mod device_profiles;
pub mod devices;
pub mod iot_settings;
pub mod telemetry_latest;
pub mod telemetry_points;

crate::tenant_owned!(
    alert_rule_states,
    alert_rules,
    alerts,
    device_commands,
    device_profiles,
    devices,
    iot_settings,
    telemetry_latest,
    telemetry_points
);
