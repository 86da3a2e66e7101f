//! Scheduling's GraphQL types.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use tianguis_domain::scheduling::{
    appointments, feeds, public, reminders, settings, setup, waitlist,
};

use crate::graphql::context::deps;

use crate::graphql::common::{Money, Scalars, money, stored};
use crate::graphql::crm::Contact;
use crate::graphql::loaders::{
    AppointmentRemindersLoader, ClientNameLoader, ContactLoader, ResourceLoader, ServiceLoader,
    ServicePerformersLoader, WorkingHoursLoader, load, load_many, load_opt,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "setup::ResourceKind")]
pub enum ResourceKind {
    /// A person: a member with a login, or someone without one.
    Staff,
    Room,
    /// Counted by quantity.
    Equipment,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "appointments::Status")]
pub enum AppointmentStatus {
    Booked,
    Confirmed,
    CheckedIn,
    Completed,
    NoShow,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "reminders::Via")]
pub enum ReminderChannel {
    Whatsapp,
    Sms,
    Email,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "reminders::ReminderStatus")]
pub enum ReminderStatus {
    Pending,
    Sent,
    /// Not sent: the appointment moved or ended, or no channel reached the contact.
    Skipped,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "appointments::BookedBy")]
pub enum BookedBy {
    Staff,
    /// On the business's booking page.
    Customer,
    /// Taking a time the waitlist offered.
    Waitlist,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "waitlist::WaitStatus")]
pub enum WaitlistStatus {
    Waiting,
    /// A freed time is held for them until the offer expires.
    Offered,
    Booked,
    /// Unanswered; the time passed to the next in line.
    Expired,
    Removed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chrono::Weekday")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

pub struct Service(pub setup::Service);

#[Object]
impl Service {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    /// Time the resource is kept before the service, for setting up.
    async fn buffer_before_minutes(&self) -> i32 {
        self.0.buffer_before_minutes
    }
    /// Time the resource is kept after it, for cleaning up.
    async fn buffer_after_minutes(&self) -> i32 {
        self.0.buffer_after_minutes
    }
    /// Slots start every so many minutes from the opening time.
    async fn interval_minutes(&self) -> i32 {
        self.0.interval_minutes
    }
    /// Taxes included.
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.0.currency)
    }
    /// How soon before it a customer may book.
    async fn min_notice_minutes(&self) -> i32 {
        self.0.min_notice_minutes
    }
    /// How far ahead a customer may book.
    async fn max_advance_days(&self) -> i32 {
        self.0.max_advance_days
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Who performs it.
    async fn resources(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Resource>> {
        let ids = load::<ServicePerformersLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(load_many::<ResourceLoader>(ctx, &ids)
            .await?
            .into_iter()
            .map(Resource)
            .collect())
    }
}

pub struct Resource(pub setup::Resource);

#[Object]
impl Resource {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<ResourceKind> {
        stored(setup::ResourceKind::from_stored, &self.0.kind)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The member behind a staff resource, when they have a login.
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(Into::into)
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// How many the business owns (equipment).
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The secret address of this resource's own calendar, once issued (`issueResourceFeed`).
    async fn feed_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(feeds::resource_feed_url(deps(ctx)?, &self.0))
    }
    /// Weekly hours, in the business's time zone.
    async fn working_hours(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WorkingHours>> {
        Ok(load::<WorkingHoursLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .iter()
            .map(|h| WorkingHours {
                weekday: setup::weekday_of(h).into(),
                opens: setup::time_of(h.opens_minute),
                closes: setup::time_of(h.closes_minute),
            })
            .collect())
    }
}

/// Wall-clock hours of one weekday, in the business's time zone.
#[derive(SimpleObject)]
pub struct WorkingHours {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

pub struct TimeOff(pub setup::TimeOff);

#[Object]
impl TimeOff {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

pub struct Slot(pub appointments::Slot);

#[Object]
impl Slot {
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
}

pub struct FreeDay(pub appointments::FreeDay);

#[Object]
impl FreeDay {
    /// The business's calendar day.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    async fn resource(&self) -> Resource {
        Resource(self.0.resource.as_ref().clone())
    }
    /// Each free start time, in order; each lasts the service's duration.
    async fn starts_at(&self) -> Scalars<'_, DateTime<Utc>> {
        Scalars(&self.0.starts)
    }
}

pub struct Appointment(pub appointments::Appointment);

#[Object]
impl Appointment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<AppointmentStatus> {
        stored(appointments::Status::from_stored, &self.0.status)
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        Ok(load::<ServiceLoader>(ctx, self.0.service_id)
            .await?
            .map(Service))
    }
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// The client's name, for everyone who sees this on their schedule; `contact` needs
    /// the permission to read customers.
    async fn client_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        load_opt::<ClientNameLoader>(ctx, self.0.contact_id).await
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.0.currency)
    }
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    async fn booked_by(&self) -> async_graphql::Result<BookedBy> {
        stored(appointments::BookedBy::from_stored, &self.0.booked_by)
    }
    /// How its reminders go out; by what reaches the contact when null.
    async fn remind_via(&self) -> Option<ReminderChannel> {
        self.0
            .remind_via
            .as_deref()
            .and_then(reminders::Via::from_key)
            .map(Into::into)
    }
    /// The secret link the customer confirms, moves or cancels it with.
    async fn manage_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(public::manage_link(deps(ctx)?, &self.0))
    }
    async fn reminders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Reminder>> {
        Ok(load::<AppointmentRemindersLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Reminder)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Reminder(pub reminders::Reminder);

#[Object]
impl Reminder {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Minutes before the appointment.
    async fn offset_minutes(&self) -> i32 {
        self.0.offset_minutes
    }
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }
    async fn status(&self) -> async_graphql::Result<ReminderStatus> {
        stored(reminders::ReminderStatus::from_stored, &self.0.status)
    }
    /// How it went out.
    async fn channel(&self) -> Option<ReminderChannel> {
        self.0
            .channel
            .as_deref()
            .and_then(reminders::Via::from_key)
            .map(Into::into)
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// Why it was skipped.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

pub struct SchedulingSettings(pub settings::Settings);

#[Object]
impl SchedulingSettings {
    /// Minutes before an appointment each reminder goes out.
    async fn reminder_offsets(&self) -> Vec<i32> {
        settings::reminder_offsets(&self.0)
    }
    /// The approved WhatsApp template reminders go out with.
    async fn reminder_template_id(&self) -> Option<ID> {
        self.0.reminder_template_id.map(Into::into)
    }
    /// Its variables in order; `{name}`, `{service}`, `{staff}`, `{date}`, `{time}`,
    /// `{business}` and `{manageUrl}` are filled per appointment.
    async fn reminder_template_variables(&self) -> Vec<String> {
        settings::reminder_template(&self.0).variables
    }
    /// The approved WhatsApp template a freed slot is offered to the waitlist with.
    async fn waitlist_template_id(&self) -> Option<ID> {
        self.0.waitlist_template_id.map(Into::into)
    }
    /// Its variables, filled as the reminder's are; `{manageUrl}` is where the offer is
    /// taken.
    async fn waitlist_template_variables(&self) -> Vec<String> {
        settings::waitlist_template(&self.0).variables
    }
    /// The WhatsApp authentication template that carries the booking page's phone code.
    async fn verification_template_id(&self) -> Option<ID> {
        self.0.verification_template_id.map(Into::into)
    }
    async fn booking_page_enabled(&self) -> bool {
        self.0.booking_page_enabled
    }
    /// Whether the booking page asks for a code sent to the customer's phone.
    async fn verify_phone(&self) -> bool {
        self.0.verify_phone
    }
    /// How long a freed time offered to the waitlist is held.
    async fn waitlist_hold_minutes(&self) -> i32 {
        self.0.waitlist_hold_minutes
    }
    /// The secret address of the business's whole calendar (`rotateSchedulingFeed` replaces it).
    async fn feed_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(settings::feed_url(deps(ctx)?, &self.0.feed_token))
    }
}

pub struct WaitlistEntry(pub waitlist::WaitlistEntry);

#[Object]
impl WaitlistEntry {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn status(&self) -> async_graphql::Result<WaitlistStatus> {
        stored(waitlist::WaitStatus::from_stored, &self.0.status)
    }
    /// The business's calendar day they want.
    async fn day(&self) -> NaiveDate {
        self.0.day
    }
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        Ok(load::<ServiceLoader>(ctx, self.0.service_id)
            .await?
            .map(Service))
    }
    /// The resource they want; any when null.
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load_opt::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn offered_starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.offered_starts_at
    }
    async fn offered_resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load_opt::<ResourceLoader>(ctx, self.0.offered_resource_id)
            .await?
            .map(Resource))
    }
    async fn offer_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.offer_expires_at
    }
    /// The appointment they booked from the offer.
    async fn appointment_id(&self) -> Option<ID> {
        self.0.appointment_id.map(Into::into)
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
