//! IoT: device profiles, devices and their tokens, telemetry ingest, latest values and
//! history.

pub mod alerts;
pub mod commands;
pub mod devices;
pub mod emails;
pub mod payload;
pub mod rules;
pub mod telemetry;
mod telemetry_pg;
pub mod writer;

use sea_orm::EntityTrait;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, error, page, plans, secrets,
};
use tianguis_tenancy as tenancy;

/// IoT's sweeps (silent devices, overdue commands, due alert rules) and telemetry retention.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.sweep("iot.silent_devices", |deps| async move {
        telemetry::mark_silent_devices_offline(&deps)
            .await
            .map(|_| 0)
    });
    registry.sweep("iot.overdue_commands", |deps| async move {
        commands::expire_overdue(&deps).await.map(|_| 0)
    });
    registry.sweep("iot.due_alerts", |deps| async move {
        alerts::evaluate_due(&deps).await.map(|_| 0)
    });
    registry.daily("iot.telemetry_retention", |deps| async move {
        let tenants = tianguis_entity::tenancy::tenants::Entity::find()
            .all(&deps.db)
            .await?;
        let mut deleted = 0;
        for tenant in &tenants {
            deleted += telemetry::enforce_retention(&deps, tenant.id).await?;
        }
        Ok(deleted as usize)
    });
}
