//! IoT's GraphQL subscriptions.

use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use crate::graphql::error::to_graphql;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedSubscription;
use async_graphql::Subscription;
use futures_util::Stream;
use futures_util::StreamExt;
use tianguis_domain::Permission;
use tianguis_domain::iot::alerts;
use tianguis_domain::iot::devices;
use tianguis_domain::iot::rules::Severity;
use tianguis_domain::iot::telemetry;

use crate::graphql::iot::*;

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
            Some(AlertEvent {
                change: event.change.into(),
                alert: Alert(event.alert.into()),
            })
        }))
    }
}

#[derive(MergedSubscription, Default)]
pub struct IotSubscription(pub(crate) DeviceSubscription, AlertSubscription);

#[derive(Default)]
pub struct DeviceSubscription;

#[Subscription]
impl DeviceSubscription {
    /// Devices of the business coming online (first report after silence) or going offline
    /// (silent past their profile's timeout, noticed within a minute); only those given, if any.
    async fn device_status_changed(
        &self,
        ctx: &Context<'_>,
        device_ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<impl Stream<Item = DeviceStatusChange> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::IotRead).gql()?;
        let only = device_ids
            .map(|ids| {
                ids.iter()
                    .map(|id| parse_id(id, "deviceIds"))
                    .collect::<async_graphql::Result<Vec<_>>>()
            })
            .transpose()?;
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&telemetry::status_topic(caller.tenant_id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(move |payload| {
            let only = only.clone();
            async move {
                let change = serde_json::from_slice::<telemetry::StatusChange>(&payload).ok()?;
                if only
                    .as_ref()
                    .is_some_and(|ids| !ids.contains(&change.device_id))
                {
                    return None;
                }
                Some(DeviceStatusChange {
                    device_id: change.device_id.into(),
                    status: if change.online {
                        DeviceStatus::Online
                    } else {
                        DeviceStatus::Offline
                    },
                    at: change.at,
                })
            }
        }))
    }

    /// A device's telemetry as it arrives, on any replica; only the keys given, if any.
    async fn device_telemetry(
        &self,
        ctx: &Context<'_>,
        device_id: ID,
        keys: Option<Vec<String>>,
    ) -> async_graphql::Result<impl Stream<Item = TelemetryUpdate> + use<>> {
        let caller = tenant(ctx)?;
        caller.require(Permission::IotRead).gql()?;
        let id = parse_id(&device_id, "deviceId")?;
        // The device must be the caller's: another business's id is simply not found.
        devices::get(deps(ctx)?, caller, id).await.gql()?;
        let stream = deps(ctx)?
            .pubsub
            .subscribe(&telemetry::topic(caller.tenant_id, id))
            .await
            .map_err(|e| to_graphql(e.into()))?;
        Ok(stream.filter_map(move |payload| {
            let keys = keys.clone();
            async move {
                let live = serde_json::from_slice::<telemetry::LiveTelemetry>(&payload).ok()?;
                let values: Vec<TelemetryValue> = live
                    .points
                    .into_iter()
                    .filter(|p| keys.as_ref().is_none_or(|k| k.contains(&p.key)))
                    .map(|p| TelemetryValue {
                        key: p.key,
                        ts: p.ts,
                        number: p.number,
                        text: p.text,
                    })
                    .collect();
                (!values.is_empty()).then(|| TelemetryUpdate {
                    device_id: live.device_id.into(),
                    values,
                })
            }
        }))
    }
}
