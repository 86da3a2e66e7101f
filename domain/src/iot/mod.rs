//! IoT: device profiles, devices and their tokens, telemetry ingest, latest values and
//! history.

pub mod commands;
pub mod devices;
pub mod payload;
pub mod telemetry;
pub mod writer;
