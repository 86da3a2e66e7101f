//! IoT: device profiles, devices and their telemetry.

pub mod device_profiles;
pub mod devices;
pub mod iot_settings;
pub mod telemetry_latest;
pub mod telemetry_points;

crate::tenant_owned!(
    device_profiles,
    devices,
    iot_settings,
    telemetry_latest,
    telemetry_points
);
