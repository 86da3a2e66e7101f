//! IoT's GraphQL queries.

use crate::graphql::common::optional_id;
use crate::graphql::connection::Conn;
use crate::graphql::connection::connection;
use crate::graphql::connection::page_complexity;
use crate::graphql::connection::page_request;
use crate::graphql::context::deps;
use crate::graphql::context::tenant;
use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use async_graphql::Context;
use async_graphql::ID;
use async_graphql::MergedObject;
use async_graphql::Object;
use chrono::DateTime;
use chrono::Utc;
use tianguis_domain::iot::alerts;
use tianguis_domain::iot::alerts::Target;
use tianguis_domain::iot::commands;
use tianguis_domain::iot::devices;
use tianguis_domain::iot::rules::Severity;
use tianguis_domain::iot::telemetry;

use crate::graphql::iot::*;

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The business's alert rules by name, or those of one device or profile.
    async fn alert_rules(
        &self,
        ctx: &Context<'_>,
        device_id: Option<ID>,
        profile_id: Option<ID>,
    ) -> async_graphql::Result<Vec<AlertRule>> {
        let target = match (
            optional_id(device_id.as_ref(), "deviceId")?,
            optional_id(profile_id.as_ref(), "profileId")?,
        ) {
            (Some(device), _) => Some(Target::Device(device)),
            (None, Some(profile)) => Some(Target::Profile(profile)),
            (None, None) => None,
        };
        Ok(alerts::list_rules(deps(ctx)?, tenant(ctx)?, target)
            .await
            .gql()?
            .into_iter()
            .map(AlertRule)
            .collect())
    }

    async fn alert_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<AlertRule> {
        let id = parse_id(&id, "id")?;
        Ok(AlertRule(
            alerts::get_rule(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// The business's alerts, newest first.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Alert>> {
        let f = filter.unwrap_or_default();
        let filter = alerts::AlertFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            min_severity: f.min_severity.map(Severity::from),
            device_id: optional_id(f.device_id.as_ref(), "deviceId")?,
            rule_id: optional_id(f.rule_id.as_ref(), "ruleId")?,
        };
        let page = page_request(first, after, last, before)?;
        let page = alerts::list(deps(ctx)?, tenant(ctx)?, filter, &page)
            .await
            .gql()?;
        Ok(connection(page, |a| a.id, Alert))
    }

    async fn alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Alert> {
        let id = parse_id(&id, "id")?;
        Ok(Alert(
            alerts::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
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

#[derive(MergedObject, Default)]
pub struct IotQuery(pub(crate) DeviceQuery, DeviceCommandQuery, AlertQuery);

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
        let aggregate = aggregate.into();
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
