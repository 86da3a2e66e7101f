//! Scheduling's GraphQL types.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use tianguis_domain::scheduling::{appointments, setup};

use crate::graphql::common::{Money, money, stored};
use crate::graphql::crm::Contact;
use crate::graphql::loaders::{
    ContactLoader, ResourceLoader, ServiceLoader, ServicePerformersLoader, WorkingHoursLoader,
    load, load_many, load_opt,
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
