//! GraphQL of device commands: send one, follow what came of it.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object};
use chrono::{DateTime, Utc};
use tianguis_domain::iot::commands::{self, NewCommand};

use crate::graphql::connection::{Conn, connection, page_complexity, page_request};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DeviceCommandStatus {
    /// Waiting for the device to connect and take it.
    Pending,
    /// The device acknowledged receipt and has not answered yet.
    Delivered,
    Succeeded,
    Failed,
    /// The device did not answer before the command's timeout.
    Expired,
}

pub struct DeviceCommand(commands::DeviceCommand);

#[Object]
impl DeviceCommand {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn device_id(&self) -> ID {
        self.0.device_id.into()
    }
    async fn method(&self) -> &str {
        &self.0.method
    }
    async fn params(&self) -> Json<serde_json::Value> {
        Json(self.0.params.clone())
    }
    async fn status(&self) -> DeviceCommandStatus {
        match self.0.status.as_str() {
            commands::DELIVERED => DeviceCommandStatus::Delivered,
            commands::SUCCEEDED => DeviceCommandStatus::Succeeded,
            commands::FAILED => DeviceCommandStatus::Failed,
            commands::EXPIRED => DeviceCommandStatus::Expired,
            _ => DeviceCommandStatus::Pending,
        }
    }
    /// What the device answered.
    async fn response(&self) -> Option<Json<serde_json::Value>> {
        self.0.response.clone().map(Json)
    }
    /// The device's reason, when it failed the command.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn requested_by_id(&self) -> Option<ID> {
        self.0.requested_by.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

#[derive(Default)]
pub struct DeviceCommandQuery;

#[Object]
impl DeviceCommandQuery {
    async fn device_command(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeviceCommand> {
        let id = parse_id(&id, "id")?;
        Ok(DeviceCommand(
            commands::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// A device's commands, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn device_commands(
        &self,
        ctx: &Context<'_>,
        device_id: ID,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<DeviceCommand>> {
        let device_id = parse_id(&device_id, "deviceId")?;
        let page = page_request(first, after, last, before)?;
        let page = commands::list(deps(ctx)?, tenant(ctx)?, device_id, &page)
            .await
            .gql()?;
        Ok(connection(page, |c| c.id, DeviceCommand))
    }
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

#[derive(Default)]
pub struct DeviceCommandMutation;

#[Object]
impl DeviceCommandMutation {
    /// Sends a command to a device over MQTT: at once if it is connected, otherwise when it
    /// next subscribes to its commands, until the timeout.
    async fn send_device_command(
        &self,
        ctx: &Context<'_>,
        input: SendDeviceCommandInput,
    ) -> async_graphql::Result<DeviceCommand> {
        let command = NewCommand {
            device_id: parse_id(&input.device_id, "deviceId")?,
            method: input.method,
            params: input.params.0,
            timeout_secs: input.timeout_seconds.map(i64::from),
        };
        Ok(DeviceCommand(
            commands::send(deps(ctx)?, tenant(ctx)?, command)
                .await
                .gql()?,
        ))
    }
}
