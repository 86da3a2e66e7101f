//! Scheduling's GraphQL mutations.

use async_graphql::{Context, ID, Object};
use tianguis_domain::scheduling::{appointments, feeds, settings, setup, waitlist};

use crate::graphql::common::{maybe, maybe_id, optional_id};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::scheduling::*;

#[derive(Default)]
pub struct SchedulingMutation;

fn ids(list: &[ID], field: &'static str) -> async_graphql::Result<Vec<uuid::Uuid>> {
    list.iter().map(|id| parse_id(id, field)).collect()
}

#[Object]
impl SchedulingMutation {
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceInput,
    ) -> async_graphql::Result<Service> {
        let service = setup::ServiceInput {
            name: Some(input.name),
            description: Some(input.description),
            duration_minutes: Some(input.duration_minutes),
            buffer_before_minutes: Some(input.buffer_before_minutes),
            buffer_after_minutes: Some(input.buffer_after_minutes),
            interval_minutes: input.interval_minutes,
            price: input.price,
            min_notice_minutes: input.min_notice_minutes,
            max_advance_days: input.max_advance_days,
            active: None,
            resource_ids: Some(ids(&input.resource_ids, "resourceIds")?),
        };
        Ok(Service(
            setup::create_service(deps(ctx)?, tenant(ctx)?, service)
                .await
                .gql()?,
        ))
    }

    async fn update_service(
        &self,
        ctx: &Context<'_>,
        input: UpdateServiceInput,
    ) -> async_graphql::Result<Service> {
        let id = parse_id(&input.id, "id")?;
        let service = setup::ServiceInput {
            name: input.name,
            description: maybe(input.description),
            duration_minutes: input.duration_minutes,
            buffer_before_minutes: input.buffer_before_minutes,
            buffer_after_minutes: input.buffer_after_minutes,
            interval_minutes: input.interval_minutes,
            price: input.price,
            min_notice_minutes: input.min_notice_minutes,
            max_advance_days: input.max_advance_days,
            active: input.active,
            resource_ids: input
                .resource_ids
                .map(|list| ids(&list, "resourceIds"))
                .transpose()?,
        };
        Ok(Service(
            setup::update_service(deps(ctx)?, tenant(ctx)?, id, service)
                .await
                .gql()?,
        ))
    }

    async fn create_resource(
        &self,
        ctx: &Context<'_>,
        input: CreateResourceInput,
    ) -> async_graphql::Result<Resource> {
        let resource = setup::ResourceInput {
            kind: Some(input.kind.into()),
            name: Some(input.name),
            user_id: Some(optional_id(input.user_id.as_ref(), "userId")?),
            email: Some(input.email),
            phone: Some(input.phone),
            quantity: input.quantity,
            active: None,
        };
        Ok(Resource(
            setup::create_resource(deps(ctx)?, tenant(ctx)?, resource)
                .await
                .gql()?,
        ))
    }

    async fn update_resource(
        &self,
        ctx: &Context<'_>,
        input: UpdateResourceInput,
    ) -> async_graphql::Result<Resource> {
        let id = parse_id(&input.id, "id")?;
        let resource = setup::ResourceInput {
            kind: None,
            name: input.name,
            user_id: maybe_id(input.user_id, "userId")?,
            email: maybe(input.email),
            phone: maybe(input.phone),
            quantity: input.quantity,
            active: input.active,
        };
        Ok(Resource(
            setup::update_resource(deps(ctx)?, tenant(ctx)?, id, resource)
                .await
                .gql()?,
        ))
    }

    /// Replaces a resource's weekly hours.
    async fn set_working_hours(
        &self,
        ctx: &Context<'_>,
        input: SetWorkingHoursInput,
    ) -> async_graphql::Result<Vec<WorkingHours>> {
        let resource = parse_id(&input.resource_id, "resourceId")?;
        let hours = input
            .hours
            .into_iter()
            .map(|h| setup::HoursInput {
                weekday: h.weekday.into(),
                opens: h.opens,
                closes: h.closes,
            })
            .collect();
        Ok(setup::set_hours(deps(ctx)?, tenant(ctx)?, resource, hours)
            .await
            .gql()?
            .iter()
            .map(|h| WorkingHours {
                weekday: setup::weekday_of(h).into(),
                opens: setup::time_of(h.opens_minute),
                closes: setup::time_of(h.closes_minute),
            })
            .collect())
    }

    async fn add_time_off(
        &self,
        ctx: &Context<'_>,
        input: AddTimeOffInput,
    ) -> async_graphql::Result<TimeOff> {
        let resource = parse_id(&input.resource_id, "resourceId")?;
        Ok(TimeOff(
            setup::add_time_off(
                deps(ctx)?,
                tenant(ctx)?,
                resource,
                input.starts_at,
                input.ends_at,
                input.reason,
            )
            .await
            .gql()?,
        ))
    }

    /// Removes time off; its id.
    async fn remove_time_off(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let id = parse_id(&id, "id")?;
        Ok(setup::remove_time_off(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into())
    }

    /// Books a free slot; of two bookings of one slot at once exactly one succeeds.
    async fn book_appointment(
        &self,
        ctx: &Context<'_>,
        input: BookAppointmentInput,
    ) -> async_graphql::Result<Appointment> {
        let booking = appointments::BookInput {
            service_id: parse_id(&input.service_id, "serviceId")?,
            resource_id: optional_id(input.resource_id.as_ref(), "resourceId")?,
            contact_id: optional_id(input.contact_id.as_ref(), "contactId")?,
            starts_at: input.starts_at,
            notes: input.notes,
            remind_via: input.remind_via.map(Into::into),
        };
        Ok(Appointment(
            appointments::book(deps(ctx)?, tenant(ctx)?, booking)
                .await
                .gql()?,
        ))
    }

    /// Moves an appointment to a free time; it is BOOKED again, to be confirmed anew.
    async fn reschedule_appointment(
        &self,
        ctx: &Context<'_>,
        input: RescheduleAppointmentInput,
    ) -> async_graphql::Result<Appointment> {
        let id = parse_id(&input.id, "id")?;
        let resource = optional_id(input.resource_id.as_ref(), "resourceId")?;
        Ok(Appointment(
            appointments::reschedule(deps(ctx)?, tenant(ctx)?, id, input.starts_at, resource)
                .await
                .gql()?,
        ))
    }

    /// Confirms, checks in, completes, marks a no-show or cancels an appointment.
    async fn set_appointment_status(
        &self,
        ctx: &Context<'_>,
        input: SetAppointmentStatusInput,
    ) -> async_graphql::Result<Appointment> {
        let id = parse_id(&input.id, "id")?;
        Ok(Appointment(
            appointments::set_status(
                deps(ctx)?,
                tenant(ctx)?,
                id,
                input.status.into(),
                input.reason,
            )
            .await
            .gql()?,
        ))
    }

    /// Reminders, the booking page and the waitlist's hold.
    async fn update_scheduling_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSchedulingSettingsInput,
    ) -> async_graphql::Result<SchedulingSettings> {
        let changes = settings::SettingsInput {
            reminder_offsets: input.reminder_offsets,
            reminder_template_id: maybe_id(input.reminder_template_id, "reminderTemplateId")?,
            reminder_template_variables: input.reminder_template_variables,
            verification_template_id: maybe_id(
                input.verification_template_id,
                "verificationTemplateId",
            )?,
            booking_page_enabled: input.booking_page_enabled,
            verify_phone: input.verify_phone,
            waitlist_hold_minutes: input.waitlist_hold_minutes,
            waitlist_template_id: maybe_id(input.waitlist_template_id, "waitlistTemplateId")?,
            waitlist_template_variables: input.waitlist_template_variables,
        };
        Ok(SchedulingSettings(
            settings::update(deps(ctx)?, tenant(ctx)?, changes)
                .await
                .gql()?,
        ))
    }

    /// A new secret address for the business's calendar feed; the old one stops.
    async fn rotate_scheduling_feed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<SchedulingSettings> {
        Ok(SchedulingSettings(
            settings::rotate_feed(deps(ctx)?, tenant(ctx)?)
                .await
                .gql()?,
        ))
    }

    /// Issues (or replaces) the secret address of a resource's own calendar feed.
    async fn issue_resource_feed(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Resource> {
        let id = parse_id(&id, "id")?;
        Ok(Resource(
            feeds::issue_resource_feed(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Puts a contact on the waitlist of a service for a day: offered a freed time first.
    async fn join_waitlist(
        &self,
        ctx: &Context<'_>,
        input: JoinWaitlistInput,
    ) -> async_graphql::Result<WaitlistEntry> {
        let entry = waitlist::JoinInput {
            service_id: parse_id(&input.service_id, "serviceId")?,
            day: input.day,
            contact_id: parse_id(&input.contact_id, "contactId")?,
            resource_id: optional_id(input.resource_id.as_ref(), "resourceId")?,
            notes: input.notes,
        };
        Ok(WaitlistEntry(
            waitlist::join(deps(ctx)?, tenant(ctx)?, entry)
                .await
                .gql()?,
        ))
    }

    /// Takes someone off the waitlist; a time held for them goes to the next in line.
    async fn remove_from_waitlist(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WaitlistEntry> {
        let id = parse_id(&id, "id")?;
        Ok(WaitlistEntry(
            waitlist::remove(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}
