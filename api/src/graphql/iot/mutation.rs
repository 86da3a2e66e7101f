//! IoT's GraphQL mutations.

use crate::graphql::common::maybe_id;
use crate::graphql::common::optional_id;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedObject;
use async_graphql::Object;
use tianguis_domain::iot::alerts;
use tianguis_domain::iot::alerts::Target;
use tianguis_domain::iot::commands;
use tianguis_domain::iot::commands::NewCommand;
use tianguis_domain::iot::devices;
use tianguis_domain::iot::rules::Condition;
use tianguis_domain::iot::rules::Severity;
use tianguis_domain::iot::telemetry;

use crate::graphql::iot::*;

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: CreateAlertRuleInput,
    ) -> async_graphql::Result<AlertRule> {
        let target = Target::exactly_one(
            optional_id(input.device_id.as_ref(), "deviceId")?,
            optional_id(input.profile_id.as_ref(), "profileId")?,
        )
        .gql()?;
        let rule = alerts::RuleInput {
            name: Some(input.name),
            severity: Some(input.severity.into()),
            condition: Some(input.condition.into()),
            notify_emails: Some(input.notify_emails),
            enabled: Some(input.enabled),
        };
        Ok(AlertRule(
            alerts::create_rule(deps(ctx)?, tenant(ctx)?, target, rule)
                .await
                .gql()?,
        ))
    }

    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: UpdateAlertRuleInput,
    ) -> async_graphql::Result<AlertRule> {
        let id = parse_id(&input.id, "id")?;
        let rule = alerts::RuleInput {
            name: input.name,
            severity: input.severity.map(Severity::from),
            condition: input.condition.map(Condition::from),
            notify_emails: input.notify_emails,
            enabled: input.enabled,
        };
        Ok(AlertRule(
            alerts::update_rule(deps(ctx)?, tenant(ctx)?, id, rule)
                .await
                .gql()?,
        ))
    }

    /// Deletes a rule with its alerts.
    async fn delete_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<ID> {
        let id = parse_id(&input.id, "id")?;
        Ok(alerts::delete_rule(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// ACTIVE → ACKNOWLEDGED, recording who and when.
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<Alert> {
        let id = parse_id(&input.id, "id")?;
        Ok(Alert(
            alerts::acknowledge(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Clears an open alert by hand; it is raised anew if its condition still holds.
    async fn clear_alert(
        &self,
        ctx: &Context<'_>,
        input: AlertByIdInput,
    ) -> async_graphql::Result<Alert> {
        let id = parse_id(&input.id, "id")?;
        Ok(Alert(
            alerts::clear(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
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

#[derive(MergedObject, Default)]
pub struct IotMutation(
    pub(crate) DeviceMutation,
    DeviceCommandMutation,
    AlertMutation,
);

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
