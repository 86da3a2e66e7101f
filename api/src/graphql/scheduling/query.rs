//! Scheduling's GraphQL queries.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use tianguis_domain::scheduling::{appointments, settings, setup, waitlist};

use crate::graphql::common::optional_id;
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::scheduling::*;

#[derive(Default)]
pub struct SchedulingQuery;

#[Object]
impl SchedulingQuery {
    /// Services by name.
    async fn services(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Service>> {
        Ok(setup::list_services(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Service)
            .collect())
    }

    /// Staff, rooms and equipment by name.
    async fn resources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Resource>> {
        Ok(setup::list_resources(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(Resource)
            .collect())
    }

    /// A resource's time off overlapping `[from, to)`.
    async fn time_off(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<Vec<TimeOff>> {
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(
            setup::time_off_of(deps(ctx)?, tenant(ctx)?, resource, from, to)
                .await
                .gql()?
                .into_iter()
                .map(TimeOff)
                .collect(),
        )
    }

    /// Free slots of a service on the business's calendar days `from` to `to` (at most 62),
    /// as a customer may book them: within the resources' hours, outside their time off and
    /// bookings (with the service's buffers), after its notice and within its horizon.
    #[graphql(
        deprecation = "Use availabilityDays: the same times grouped by day and person, a fraction of the size"
    )]
    async fn availability(
        &self,
        ctx: &Context<'_>,
        service_id: ID,
        from: NaiveDate,
        to: NaiveDate,
        resource_id: Option<ID>,
    ) -> async_graphql::Result<Vec<Slot>> {
        let service = parse_id(&service_id, "serviceId")?;
        let resource = optional_id(resource_id.as_ref(), "resourceId")?;
        Ok(
            appointments::availability(deps(ctx)?, tenant(ctx)?, service, from, to, resource)
                .await
                .gql()?
                .into_iter()
                .map(Slot)
                .collect(),
        )
    }

    /// The free start times of a service on the business's calendar days `from` to `to` (at
    /// most 62), by day and person, as a customer may book them: within the resources'
    /// hours, outside their time off and bookings (with the service's buffers), after its
    /// notice and within its horizon.
    async fn availability_days(
        &self,
        ctx: &Context<'_>,
        service_id: ID,
        from: NaiveDate,
        to: NaiveDate,
        resource_id: Option<ID>,
    ) -> async_graphql::Result<Vec<FreeDay>> {
        let service = parse_id(&service_id, "serviceId")?;
        let resource = optional_id(resource_id.as_ref(), "resourceId")?;
        Ok(
            appointments::free_days(deps(ctx)?, tenant(ctx)?, service, from, to, resource)
                .await
                .gql()?
                .into_iter()
                .map(FreeDay)
                .collect(),
        )
    }

    async fn appointment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Appointment> {
        let id = parse_id(&id, "id")?;
        Ok(Appointment(
            appointments::get(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Appointments starting in `[from, to)` (at most 62 days), by time.
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: Option<AppointmentFilter>,
    ) -> async_graphql::Result<Vec<Appointment>> {
        let f = filter.unwrap_or_default();
        let filter = appointments::AppointmentFilter {
            resource_id: optional_id(f.resource_id.as_ref(), "resourceId")?,
            contact_id: optional_id(f.contact_id.as_ref(), "contactId")?,
            status: f.status.map(Into::into),
        };
        Ok(
            appointments::between(deps(ctx)?, tenant(ctx)?, from, to, filter)
                .await
                .gql()?
                .into_iter()
                .map(Appointment)
                .collect(),
        )
    }

    async fn scheduling_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<SchedulingSettings> {
        Ok(SchedulingSettings(
            settings::get(deps(ctx)?, tenant(ctx)?).await.gql()?,
        ))
    }

    /// Who waits for a service or a day (and who holds an offer), first in line first.
    async fn waitlist(
        &self,
        ctx: &Context<'_>,
        service_id: Option<ID>,
        day: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<WaitlistEntry>> {
        let service = optional_id(service_id.as_ref(), "serviceId")?;
        Ok(waitlist::list(deps(ctx)?, tenant(ctx)?, service, day)
            .await
            .gql()?
            .into_iter()
            .map(WaitlistEntry)
            .collect())
    }
}
