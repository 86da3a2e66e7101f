//! Device profiles and devices, with the access token each device authenticates with.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::iot::{device_profiles as profiles, devices};
use uuid::Uuid;

use crate::audit;
use crate::db::TenantTx;
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::secrets::{random_token, sha256_hex};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use tianguis_kernel::rules::required_text;
use tianguis_kernel::{rules, search};

/// Devices a plan includes.
pub const DEVICES: crate::plans::Resource = crate::plans::Resource {
    noun: "devices",
    free: 5,
    pro: 500,
    count: |tx| Box::pin(async move { Ok(tx.select::<devices::Entity>().count(&**tx).await?) }),
};

pub use devices::Model as Device;
pub use profiles::Model as DeviceProfile;

/// Silence after which a device without a profile counts as offline.
pub const DEFAULT_OFFLINE_SECS: i32 = 300;
/// Device tokens start with this, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "dev_";

/// A telemetry key a profile expects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TelemetryKey {
    pub key: String,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

pub fn keys_of(profile: &DeviceProfile) -> Vec<TelemetryKey> {
    serde_json::from_value(profile.telemetry_keys.clone()).unwrap_or_default()
}

fn check_keys(keys: &[TelemetryKey]) -> Result<()> {
    for k in keys {
        let valid = (1..=64).contains(&k.key.len())
            && k.key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(Error::invalid(
                "telemetryKeys",
                format!("'{}' is not a key: 1 to 64 letters, digits, _ - .", k.key),
            ));
        }
        if let (Some(min), Some(max)) = (k.min, k.max)
            && min > max
        {
            return Err(Error::invalid(
                "telemetryKeys",
                format!("{}: min is above max", k.key),
            ));
        }
    }
    Ok(())
}

pub struct ProfileInput {
    pub name: Option<String>,
    pub telemetry_keys: Option<Vec<TelemetryKey>>,
    pub offline_timeout_secs: Option<i32>,
}

pub async fn create_profile(
    deps: &Deps,
    ctx: &TenantCtx,
    input: ProfileInput,
) -> Result<DeviceProfile> {
    ctx.require(Permission::IotWrite)?;
    let name = required_text(input.name.as_deref().unwrap_or_default(), "name", 80)?;
    let keys = input.telemetry_keys.unwrap_or_default();
    check_keys(&keys)?;
    let timeout = check_timeout(input.offline_timeout_secs.unwrap_or(DEFAULT_OFFLINE_SECS))?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let profile = tx
        .insert(profiles::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            telemetry_keys: Set(serde_json::to_value(&keys).map_err(anyhow::Error::from)?),
            offline_timeout_secs: Set(timeout),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_device_profiles_name",
                "device_profiles.tenant_id, device_profiles.name",
                "name",
                "a profile with this name exists",
            )
        })?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device_profile.created",
        ("device_profile", Some(profile.id)),
        serde_json::json!({ "name": profile.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

/// Changes a profile; its devices follow at once (their offline timeout and expected keys).
pub async fn update_profile(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ProfileInput,
) -> Result<DeviceProfile> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: profiles::ActiveModel = tx
        .get::<profiles::Entity>(id, "device profile")
        .await?
        .into();
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    if let Some(keys) = input.telemetry_keys {
        check_keys(&keys)?;
        model.telemetry_keys = Set(serde_json::to_value(&keys).map_err(anyhow::Error::from)?);
    }
    if let Some(timeout) = input.offline_timeout_secs {
        model.offline_timeout_secs = Set(check_timeout(timeout)?);
    }
    let profile = tx.update(model).await.map_err(|e| {
        conflict_on(
            e,
            "ux_device_profiles_name",
            "device_profiles.tenant_id, device_profiles.name",
            "name",
            "a profile with this name exists",
        )
    })?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device_profile.updated",
        ("device_profile", Some(profile.id)),
        serde_json::json!({ "name": profile.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

/// Deletes a profile; its devices keep working without one (the default timeout applies).
pub async fn delete_profile(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let profile = tx.get::<profiles::Entity>(id, "device profile").await?;
    profiles::Entity::delete_by_id(profile.id)
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device_profile.deleted",
        ("device_profile", Some(profile.id)),
        serde_json::json!({ "name": profile.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(profile.id)
}

fn check_timeout(timeout: i32) -> Result<i32> {
    if (10..=7 * 86_400).contains(&timeout) {
        Ok(timeout)
    } else {
        Err(Error::invalid(
            "offlineTimeoutSecs",
            "between 10 seconds and 7 days",
        ))
    }
}

pub async fn list_profiles(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<DeviceProfile>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<profiles::Entity>()
        .order_by_asc(profiles::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Profiles by id: one statement per batch.
pub async fn profiles_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, DeviceProfile>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<profiles::Entity>()
        .filter(profiles::Column::Id.is_in(ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.into_iter().map(|p| (p.id, p)).collect())
}

#[derive(Clone, Debug, Default)]
pub struct DeviceInput {
    pub name: Option<String>,
    pub device_type: Option<String>,
    pub location: Option<String>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<serde_json::Value>,
    pub profile_id: Option<Option<Uuid>>,
}

async fn apply(tx: &TenantTx, model: &mut devices::ActiveModel, input: DeviceInput) -> Result<()> {
    if let Some(name) = input.name {
        model.name = Set(required_text(&name, "name", 120)?);
    }
    if let Some(kind) = input.device_type {
        model.device_type = Set(required_text(&kind, "deviceType", 60)?);
    }
    if let Some(location) = input.location {
        model.location = Set(rules::optional_text(Some(&location), "location", 200)?);
    }
    if let Some(tags) = input.tags {
        model.tags = Set(serde_json::json!(rules::tags(&tags, "tags")?));
    }
    if let Some(metadata) = input.metadata {
        if !metadata.is_object() || metadata.to_string().len() > 8_192 {
            return Err(Error::invalid(
                "metadata",
                "metadata is a JSON object of at most 8 KB",
            ));
        }
        model.metadata = Set(metadata);
    }
    if let Some(profile) = input.profile_id {
        if let Some(id) = profile {
            tx.get::<profiles::Entity>(id, "device profile")
                .await
                .map_err(|_| Error::invalid("profileId", "no such profile"))?;
        }
        model.profile_id = Set(profile);
    }
    Ok(())
}

/// A new access token: returned once, stored as its hash.
fn new_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random_token(32));
    let hash = sha256_hex(&token);
    (token, hash)
}

/// Creates a device and its first access token, which only this response carries.
pub async fn create(deps: &Deps, ctx: &TenantCtx, input: DeviceInput) -> Result<(Device, String)> {
    ctx.require(Permission::IotWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    let now = deps.clock.now();
    let (token, hash) = new_token();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    crate::plans::ensure_room(&tx, &DEVICES).await?;
    let mut model = devices::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        name: Set(String::new()),
        device_type: Set("sensor".into()),
        location: Set(None),
        tags: Set(serde_json::json!([])),
        metadata: Set(serde_json::json!({})),
        profile_id: Set(None),
        token_hash: Set(Some(hash)),
        token_issued_at: Set(Some(now)),
        last_seen_at: Set(None),
        online: Set(false),
        ..Default::default()
    };
    apply(&tx, &mut model, input).await?;
    let device = tx.insert(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device.created",
        ("device", Some(device.id)),
        serde_json::json!({ "name": device.name, "type": device.device_type }),
    )
    .await?;
    tx.commit().await?;
    Ok((device, token))
}

pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, input: DeviceInput) -> Result<Device> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: devices::ActiveModel = tx.get::<devices::Entity>(id, "device").await?.into();
    apply(&tx, &mut model, input).await?;
    let device = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device.updated",
        ("device", Some(device.id)),
        serde_json::json!({ "name": device.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(device)
}

pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let device = tx.get::<devices::Entity>(id, "device").await?;
    // Points carry no foreign key (it would slow every insert): they go first, by hand.
    tianguis_entity::iot::telemetry_points::Entity::delete_many()
        .filter(tianguis_entity::iot::telemetry_points::Column::TenantId.eq(ctx.tenant_id))
        .filter(tianguis_entity::iot::telemetry_points::Column::DeviceId.eq(device.id))
        .exec(&*tx)
        .await?;
    devices::Entity::delete_by_id(device.id).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "iot.device.deleted",
        ("device", Some(device.id)),
        serde_json::json!({ "name": device.name }),
    )
    .await?;
    disconnect_after_commit(&mut tx, device.id);
    tx.commit().await?;
    Ok(device.id)
}

/// The pub/sub topic on which replicas hear which device connections to end.
pub const DISCONNECT_TOPIC: &str = "iot.devices.disconnect";

/// Ends the device's live connections, on whichever replica holds them, once the change
/// that invalidates them is committed.
fn disconnect_after_commit(tx: &mut TenantTx, device_id: Uuid) {
    tx.publish_after_commit(DISCONNECT_TOPIC.into(), device_id.as_bytes().to_vec());
}

/// Replaces a device's token (the old one stops working at once), or with `revoke` leaves
/// it without one until the next rotation.
pub async fn replace_token(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    revoke: bool,
) -> Result<(Device, Option<String>)> {
    ctx.require(Permission::IotWrite)?;
    let now = deps.clock.now();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: devices::ActiveModel = tx.get::<devices::Entity>(id, "device").await?.into();
    let token = if revoke {
        model.token_hash = Set(None);
        None
    } else {
        let (token, hash) = new_token();
        model.token_hash = Set(Some(hash));
        model.token_issued_at = Set(Some(now));
        Some(token)
    };
    let device = tx.update(model).await?;
    let action = if revoke {
        "iot.device.token_revoked"
    } else {
        "iot.device.token_rotated"
    };
    audit::record(
        &mut tx,
        ctx,
        action,
        ("device", Some(device.id)),
        serde_json::json!({ "name": device.name }),
    )
    .await?;
    // A connection opened with the old token does not outlive it.
    disconnect_after_commit(&mut tx, device.id);
    tx.commit().await?;
    Ok((device, token))
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Device> {
    TenantTx::read_one::<devices::Entity>(deps, ctx, Permission::IotRead, id, "device").await
}

/// The keys each profile declares, as ingest checks payloads against them: read once and
/// kept for a short while, so a busy device does not cost a read per message. An edited
/// profile applies within [`ProfileKeys::FRESH_FOR`].
type KeysRead = (std::time::Instant, std::sync::Arc<Vec<TelemetryKey>>);

#[derive(Clone, Default)]
pub struct ProfileKeys {
    known: std::sync::Arc<std::sync::Mutex<HashMap<Uuid, KeysRead>>>,
}

impl ProfileKeys {
    pub const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(30);

    pub async fn of(
        &self,
        deps: &Deps,
        profile_id: Uuid,
    ) -> Result<std::sync::Arc<Vec<TelemetryKey>>> {
        if let Ok(known) = self.known.lock()
            && let Some((read_at, keys)) = known.get(&profile_id)
            && read_at.elapsed() < Self::FRESH_FOR
        {
            return Ok(keys.clone());
        }
        // Ingest knows the device, not yet a caller: a plain read by id.
        let keys = std::sync::Arc::new(
            profiles::Entity::find_by_id(profile_id)
                .one(&deps.db)
                .await?
                .map(|p| keys_of(&p))
                .unwrap_or_default(),
        );
        if let Ok(mut known) = self.known.lock() {
            known.insert(profile_id, (std::time::Instant::now(), keys.clone()));
        }
        Ok(keys)
    }
}

/// Devices by id: one statement per batch.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Device>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<devices::Entity>()
        .filter(devices::Column::Id.is_in(ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.into_iter().map(|d| (d.id, d)).collect())
}

/// Whether a device reported within its profile's offline timeout.
pub fn is_online(device: &Device, timeout_secs: i32, now: DateTime<Utc>) -> bool {
    device
        .last_seen_at
        .is_some_and(|seen| now - seen <= TimeDelta::seconds(i64::from(timeout_secs)))
}

#[derive(Clone, Debug, Default)]
pub struct DeviceFilter {
    pub search: Option<String>,
    pub device_type: Option<String>,
    pub profile_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub online: Option<bool>,
}

pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: DeviceFilter,
    page: &PageRequest,
) -> Result<Page<Device>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let mut select = tx.select::<devices::Entity>();
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(search::like_sql(
            backend,
            "lower(devices.name)",
            &search::contains_pattern(text),
        ));
    }
    if let Some(kind) = filter.device_type {
        select = select.filter(devices::Column::DeviceType.eq(kind));
    }
    if let Some(profile) = filter.profile_id {
        select = select.filter(devices::Column::ProfileId.eq(profile));
    }
    for tag in rules::tags(&filter.tags, "tags")? {
        select = select.filter(search::has_tag(backend, "devices", &tag));
    }
    if let Some(online) = filter.online {
        select = select.filter(devices::Column::Online.eq(online));
    }
    let page = paginate(&*tx, select, devices::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}
