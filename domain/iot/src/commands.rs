//! Commands to devices (switch a relay, reboot): requested over GraphQL, delivered over
//! MQTT by whichever replica holds the device's connection, answered by the device, and
//! expired when it never answers. Every step is recorded on the command.

use chrono::TimeDelta;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use tianguis_entity::iot::{device_commands as commands, devices};
use uuid::Uuid;

use super::telemetry::DeviceIdentity;
use crate::audit;
use crate::db::{TenantTx, begin_system};
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::{Deps, Error, Permission, Result, TenantCtx};
use tianguis_kernel::rules::required_text;

pub use commands::Model as DeviceCommand;

/// The pub/sub topic every replica's MQTT endpoint listens on for commands to deliver.
pub const DELIVERY_TOPIC: &str = "iot.commands";

tianguis_kernel::stored_enum! {
    pub enum Status {
        /// Waiting for the device to connect and take it.
        Pending = "PENDING",
        /// The device acknowledged receipt and has not answered yet.
        Delivered = "DELIVERED",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        /// The device did not answer before the command's timeout.
        Expired = "EXPIRED",
    }
}

const DEFAULT_TIMEOUT_SECS: i64 = 60;
const MAX_TIMEOUT_SECS: i64 = 7 * 24 * 3600;

/// A command on its way to a device, as the MQTT endpoint sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub tenant_id: Uuid,
    pub device_id: Uuid,
    pub command_id: Uuid,
    pub method: String,
    pub params: serde_json::Value,
}

impl From<&DeviceCommand> for Delivery {
    fn from(c: &DeviceCommand) -> Self {
        Self {
            tenant_id: c.tenant_id,
            device_id: c.device_id,
            command_id: c.id,
            method: c.method.clone(),
            params: c.params.clone(),
        }
    }
}

pub struct NewCommand {
    pub device_id: Uuid,
    pub method: String,
    pub params: serde_json::Value,
    pub timeout_secs: Option<i64>,
}

/// Records a command and hands it to the replica holding the device's connection; a
/// device that is not connected gets it when it next subscribes, until it expires.
pub async fn send(deps: &Deps, ctx: &TenantCtx, input: NewCommand) -> Result<DeviceCommand> {
    ctx.require(Permission::IotWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let command = send_in(&mut tx, ctx, input).await?;
    tx.commit().await?;
    Ok(command)
}

/// Records a command in the caller's transaction (a workflow's step); it leaves for the
/// device once that commits.
pub async fn send_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: NewCommand,
) -> Result<DeviceCommand> {
    let method = required_text(&input.method, "method", 64)?;
    let timeout = input.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=MAX_TIMEOUT_SECS).contains(&timeout) {
        return Err(Error::invalid(
            "timeoutSeconds",
            format!("between 1 and {MAX_TIMEOUT_SECS} seconds"),
        ));
    }
    tx.get::<devices::Entity>(input.device_id, "device").await?;
    let now = tx.now();
    let command = tx
        .insert(commands::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            device_id: Set(input.device_id),
            method: Set(method),
            params: Set(input.params),
            status: Set(Status::Pending.key().into()),
            response: Set(None),
            error: Set(None),
            requested_by: Set(ctx.actor_user()),
            delivered_at: Set(None),
            completed_at: Set(None),
            expires_at: Set(now + TimeDelta::seconds(timeout)),
            ..Default::default()
        })
        .await?;
    audit::record(
        tx,
        ctx,
        "iot.command.sent",
        ("device_command", Some(command.id)),
        serde_json::json!({ "deviceId": command.device_id, "method": command.method }),
    )
    .await?;
    tx.publish_after_commit(
        DELIVERY_TOPIC.to_string(),
        serde_json::to_vec(&Delivery::from(&command)).map_err(anyhow::Error::from)?,
    );
    Ok(command)
}

/// The device's commands still waiting to be delivered, oldest first.
pub async fn undelivered(deps: &Deps, device: DeviceIdentity) -> Result<Vec<Delivery>> {
    let tx = TenantTx::begin(deps, device.tenant_id).await?;
    let found = tx
        .select::<commands::Entity>()
        .filter(commands::Column::DeviceId.eq(device.device_id))
        .filter(commands::Column::Status.eq(Status::Pending.key()))
        .filter(commands::Column::ExpiresAt.gt(tx.now()))
        .order_by_asc(commands::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found.iter().map(Delivery::from).collect())
}

/// The device acknowledged receipt of the command.
pub async fn mark_delivered(deps: &Deps, device: DeviceIdentity, command_id: Uuid) -> Result<()> {
    let tx = TenantTx::begin(deps, device.tenant_id).await?;
    commands::Entity::update_many()
        .col_expr(
            commands::Column::Status,
            Expr::value(Status::Delivered.key()),
        )
        .col_expr(commands::Column::DeliveredAt, Expr::value(tx.now()))
        .filter(commands::Column::TenantId.eq(device.tenant_id))
        .filter(commands::Column::DeviceId.eq(device.device_id))
        .filter(commands::Column::Id.eq(command_id))
        .filter(commands::Column::Status.eq(Status::Pending.key()))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records the device's answer: a JSON object with an `error` member fails the command,
/// any other JSON value is its result. Only the device the command was sent to can answer,
/// and only once.
pub async fn complete(
    deps: &Deps,
    device: DeviceIdentity,
    command_id: Uuid,
    answer: &[u8],
) -> Result<DeviceCommand> {
    let answer: serde_json::Value = serde_json::from_slice(answer)
        .map_err(|_| Error::invalid("response", "the answer is not JSON"))?;
    let failure = answer.get("error").map(|e| match e {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    let mut tx = TenantTx::begin(deps, device.tenant_id).await?;
    let command = tx
        .select::<commands::Entity>()
        .filter(commands::Column::Id.eq(command_id))
        .filter(commands::Column::DeviceId.eq(device.device_id))
        .one(&*tx)
        .await?
        .ok_or(Error::NotFound("command"))?;
    if !matches!(
        Status::from_stored(&command.status)?,
        Status::Pending | Status::Delivered
    ) {
        return Err(Error::Conflict {
            field: "status",
            message: format!("the command is already {}", command.status),
        });
    }
    let now = tx.now();
    let mut model: commands::ActiveModel = command.into();
    model.status = Set(if failure.is_some() {
        Status::Failed
    } else {
        Status::Succeeded
    }
    .key()
    .into());
    model.error = Set(failure);
    model.response = Set(Some(answer));
    model.completed_at = Set(Some(now));
    if model.delivered_at.as_ref().is_none() {
        model.delivered_at = Set(Some(now));
    }
    let command = model.update(&*tx).await?;
    audit::record(
        &mut tx,
        &TenantCtx::system(device.tenant_id),
        "iot.command.completed",
        ("device_command", Some(command.id)),
        serde_json::json!({ "deviceId": command.device_id, "status": command.status }),
    )
    .await?;
    tx.commit().await?;
    Ok(command)
}

/// Expires, in every business, the commands their devices never answered in time.
pub async fn expire_overdue(deps: &Deps) -> Result<u64> {
    let tx = begin_system(&deps.db).await?;
    let expired = commands::Entity::update_many()
        .col_expr(commands::Column::Status, Expr::value(Status::Expired.key()))
        .col_expr(commands::Column::CompletedAt, Expr::value(deps.clock.now()))
        .filter(commands::Column::Status.is_in([Status::Pending.key(), Status::Delivered.key()]))
        .filter(commands::Column::ExpiresAt.lte(deps.clock.now()))
        .exec(&tx)
        .await?
        .rows_affected;
    tx.commit().await?;
    Ok(expired)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<DeviceCommand> {
    TenantTx::read_one::<commands::Entity>(deps, ctx, Permission::IotRead, id, "command").await
}

/// A device's commands, newest first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    device_id: Uuid,
    page: &PageRequest,
) -> Result<Page<DeviceCommand>> {
    ctx.require(Permission::IotRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<devices::Entity>(device_id, "device").await?;
    let select = tx
        .select::<commands::Entity>()
        .filter(commands::Column::DeviceId.eq(device_id));
    let page = paginate(
        &*tx,
        select,
        commands::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}
