//! IoT: device profiles, devices and their tokens, telemetry ingest, latest values and
//! history.

pub mod alerts;
pub mod commands;
pub mod devices;
pub mod payload;
pub mod rules;
pub mod telemetry;
pub mod writer;
