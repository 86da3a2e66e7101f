//! GraphQL of IoT: device profiles, devices and their tokens, latest values, history and
//! live telemetry; commands and alerts in their own modules.

pub mod alerts;
pub mod commands;

use async_graphql::{
    Context, Enum, ID, InputObject, Json, MaybeUndefined, MergedObject, MergedSubscription, Object,
    SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tianguis_domain::Permission;
use tianguis_domain::iot::{devices, telemetry};

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::crm::records::{maybe_id, optional_id};
use crate::graphql::error::{GqlResult, parse_id, to_graphql};
use crate::graphql::loaders::{
    DeviceProfileLoader, LatestTelemetryLoader, OpenAlertsLoader, load, load_opt,
};

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

pub struct DeviceProfile(devices::DeviceProfile);

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

pub struct Device(devices::Device);

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
    async fn open_alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<alerts::Alert>> {
        Ok(load::<OpenAlertsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(alerts::Alert)
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

#[derive(InputObject, Default)]
pub struct DeviceFilter {
    /// Part of the name.
    pub search: Option<String>,
    pub device_type: Option<String>,
    pub profile_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub status: Option<DeviceStatus>,
}

#[derive(MergedObject, Default)]
pub struct IotQuery(
    DeviceQuery,
    commands::DeviceCommandQuery,
    alerts::AlertQuery,
);

#[derive(MergedObject, Default)]
pub struct IotMutation(
    DeviceMutation,
    commands::DeviceCommandMutation,
    alerts::AlertMutation,
);

#[derive(MergedSubscription, Default)]
pub struct IotSubscription(DeviceSubscription, alerts::AlertSubscription);

#[derive(Default)]
pub struct DeviceQuery;

#[Object]
impl DeviceQuery {
    /// Days of telemetry points the business keeps (the latest values are always kept).
    async fn telemetry_retention_days(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        telemetry::retention_days(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()
    }

    async fn device_profiles(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DeviceProfile>> {
        Ok(devices::list_profiles(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(DeviceProfile)
            .collect())
    }

    async fn device(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Device> {
        let id = parse_id(&id, "id")?;
        Ok(Device(
            devices::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn devices(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeviceFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Device>> {
        let f = filter.unwrap_or_default();
        let filter = devices::DeviceFilter {
            search: f.search,
            device_type: f.device_type,
            profile_id: optional_id(f.profile_id.as_ref(), "profileId")?,
            tags: f.tags.unwrap_or_default(),
            online: f.status.map(|s| s == DeviceStatus::Online),
        };
        let page = page_request(first, after, last, before)?;
        let page = devices::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |d| d.id, Device))
    }

    /// A key's history in [from, to), in buckets of `interval` seconds.
    #[allow(clippy::too_many_arguments)]
    async fn telemetry_history(
        &self,
        ctx: &Context<'_>,
        device_id: ID,
        key: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        interval: i32,
        #[graphql(default_with = "TelemetryAggregate::Avg")] aggregate: TelemetryAggregate,
    ) -> async_graphql::Result<Vec<TelemetryBucket>> {
        let device = parse_id(&device_id, "deviceId")?;
        let aggregate = match aggregate {
            TelemetryAggregate::Avg => telemetry::Aggregate::Avg,
            TelemetryAggregate::Min => telemetry::Aggregate::Min,
            TelemetryAggregate::Max => telemetry::Aggregate::Max,
            TelemetryAggregate::Sum => telemetry::Aggregate::Sum,
            TelemetryAggregate::Count => telemetry::Aggregate::Count,
        };
        let buckets = telemetry::history(
            deps(ctx)?,
            tenant(ctx)?,
            device,
            &key,
            (from, to),
            i64::from(interval),
            aggregate,
        )
        .await
        .gql()?;
        Ok(buckets
            .into_iter()
            .map(|b| TelemetryBucket {
                start: b.start,
                value: b.value,
                count: b.count,
            })
            .collect())
    }
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

#[derive(Default)]
pub struct DeviceMutation;

#[Object]
impl DeviceMutation {
    async fn set_telemetry_retention(
        &self,
        ctx: &Context<'_>,
        input: SetTelemetryRetentionInput,
    ) -> async_graphql::Result<i32> {
        telemetry::set_retention_days(deps(ctx)?, tenant(ctx)?, input.days)
            .await
            .gql()
    }

    async fn create_device_profile(
        &self,
        ctx: &Context<'_>,
        input: CreateDeviceProfileInput,
    ) -> async_graphql::Result<DeviceProfile> {
        let cmd = devices::ProfileInput {
            name: Some(input.name),
            telemetry_keys: Some(input.telemetry_keys.into_iter().map(Into::into).collect()),
            offline_timeout_secs: input.offline_timeout_secs,
        };
        Ok(DeviceProfile(
            devices::create_profile(deps(ctx)?, tenant(ctx)?, cmd)
                .await
                .gql()?,
        ))
    }

    async fn update_device_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateDeviceProfileInput,
    ) -> async_graphql::Result<DeviceProfile> {
        let id = parse_id(&input.id, "id")?;
        let cmd = devices::ProfileInput {
            name: input.name,
            telemetry_keys: input
                .telemetry_keys
                .map(|keys| keys.into_iter().map(Into::into).collect()),
            offline_timeout_secs: input.offline_timeout_secs,
        };
        Ok(DeviceProfile(
            devices::update_profile(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Deletes a profile; its devices stay, without one.
    async fn delete_device_profile(
        &self,
        ctx: &Context<'_>,
        input: DeviceByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(devices::delete_profile(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Creates a device; its access token is in this response only.
    async fn create_device(
        &self,
        ctx: &Context<'_>,
        input: CreateDeviceInput,
    ) -> async_graphql::Result<CreateDevicePayload> {
        let cmd = devices::DeviceInput {
            name: Some(input.name),
            device_type: input.device_type,
            location: input.location,
            tags: input.tags,
            metadata: input.metadata.map(|j| j.0),
            profile_id: Some(optional_id(input.profile_id.as_ref(), "profileId")?),
        };
        let (device, token) = devices::create(deps(ctx)?, tenant(ctx)?, cmd).await.gql()?;
        Ok(CreateDevicePayload {
            device: Device(device),
            token,
        })
    }

    async fn update_device(
        &self,
        ctx: &Context<'_>,
        input: UpdateDeviceInput,
    ) -> async_graphql::Result<Device> {
        let id = parse_id(&input.id, "id")?;
        let cmd = devices::DeviceInput {
            name: input.name,
            device_type: input.device_type,
            location: input.location,
            tags: input.tags,
            metadata: input.metadata.map(|j| j.0),
            profile_id: maybe_id(input.profile_id, "profileId")?,
        };
        Ok(Device(
            devices::update(deps(ctx)?, tenant(ctx)?, id, cmd)
                .await
                .gql()?,
        ))
    }

    /// Deletes a device with its telemetry.
    async fn delete_device(
        &self,
        ctx: &Context<'_>,
        input: DeviceByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(devices::delete(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// A new token for the device; the old one stops working at once.
    async fn rotate_device_token(
        &self,
        ctx: &Context<'_>,
        input: DeviceByIdInput,
    ) -> async_graphql::Result<CreateDevicePayload> {
        let id = parse_id(&input.id, "id")?;
        let (device, token) = devices::replace_token(deps(ctx)?, tenant(ctx)?, id, false)
            .await
            .gql()?;
        Ok(CreateDevicePayload {
            device: Device(device),
            token: token.unwrap_or_default(),
        })
    }

    /// Leaves the device without a token until the next rotation.
    async fn revoke_device_token(
        &self,
        ctx: &Context<'_>,
        input: DeviceByIdInput,
    ) -> async_graphql::Result<Device> {
        let id = parse_id(&input.id, "id")?;
        Ok(Device(
            devices::replace_token(deps(ctx)?, tenant(ctx)?, id, true)
                .await
                .gql()?
                .0,
        ))
    }
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
