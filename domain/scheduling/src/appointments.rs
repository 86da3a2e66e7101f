//! Free slots and appointments.
//!
//! A slot is free when it lies within its resource's hours (in the business's time zone),
//! outside its time off, and its block (the service with its buffers) overlaps no active
//! appointment of the resource. Two bookings of one slot at once: exactly one succeeds. On
//! PostgreSQL an exclusion constraint over the blocks' time ranges decides; on SQLite the
//! transaction holds the write lock from its start, so the check and the insert are one step.
//!
//! booked → confirmed → checked in → completed, or no-show, or cancelled before it starts.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use tianguis_entity::scheduling::{
    appointments, event_staff, resources, service_resources, services, waitlist_entries,
};
use tianguis_kernel::email::{self, NewEmail};
use tianguis_kernel::ports::Attachment;
use tianguis_kernel::rules::optional_text;
use tianguis_kernel::secrets::random_token;
use uuid::Uuid;

use crate::db::{TenantTx, tenant_region};
use crate::emails::AppointmentBooked;
use crate::reminders::{self, Via};
use crate::settings::TOKEN_LENGTH;
use crate::setup::{self, Resource, Service, require_read};
use crate::slots::{self, Hours, Shape, Span};
use crate::waitlist::{self, WaitStatus};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use appointments::Model as Appointment;

tianguis_kernel::stored_enum! {
    pub enum Status {
        Booked = "booked",
        Confirmed = "confirmed",
        CheckedIn = "checked_in",
        Completed = "completed",
        NoShow = "no_show",
        Cancelled = "cancelled",
    }
}

impl Status {
    /// Whether the appointment still keeps its resource's time.
    pub fn holds_time(self) -> bool {
        !matches!(self, Status::Cancelled | Status::NoShow)
    }

    fn may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Booked, Confirmed | CheckedIn | NoShow | Cancelled)
                | (Confirmed, CheckedIn | NoShow | Cancelled)
                | (CheckedIn, Completed)
        )
    }
}

tianguis_kernel::stored_enum! {
    pub enum BookedBy {
        Staff = "staff",
        Customer = "customer",
        /// A customer taking a time the waitlist offered them.
        Waitlist = "waitlist",
    }
}

/// Days one availability request may span.
pub const MAX_DAYS: i64 = 62;

fn shape_of(service: &Service) -> Shape {
    Shape {
        duration: TimeDelta::minutes(i64::from(service.duration_minutes)),
        before: TimeDelta::minutes(i64::from(service.buffer_before_minutes)),
        after: TimeDelta::minutes(i64::from(service.buffer_after_minutes)),
        interval: TimeDelta::minutes(i64::from(service.interval_minutes)),
    }
}

/// What an availability or a booking needs to know of a service's resources.
struct Calendar {
    zone: chrono_tz::Tz,
    resources: Vec<Resource>,
    hours: HashMap<Uuid, Vec<Hours>>,
    busy: HashMap<Uuid, Vec<Span>>,
}

async fn active_service(tx: &TenantTx, id: Uuid) -> Result<Service> {
    let service = tx
        .get::<services::Entity>(id, "service")
        .await
        .map_err(|_| Error::invalid("serviceId", "no such service"))?;
    if !service.active {
        return Err(Error::invalid(
            "serviceId",
            "the service is not offered now",
        ));
    }
    Ok(service)
}

/// The service's active resources (or the one asked for, which must perform it) with their
/// hours and what keeps them busy in `[from, to)`: time off, active appointments (but
/// `ignoring` one being moved) and events they work. A fixed number of statements, however
/// many resources.
async fn calendar(
    tx: &TenantTx,
    service: &Service,
    resource: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    ignoring: Option<Uuid>,
) -> Result<Calendar> {
    let zone = tenant_region(&**tx, tx.tenant_id())
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let mut performers = tx
        .select::<service_resources::Entity>()
        .filter(service_resources::Column::ServiceId.eq(service.id));
    if let Some(resource) = resource {
        performers = performers.filter(service_resources::Column::ResourceId.eq(resource));
    }
    let ids: Vec<Uuid> = performers
        .all(&**tx)
        .await?
        .into_iter()
        .map(|p| p.resource_id)
        .collect();
    if resource.is_some() && ids.is_empty() {
        return Err(Error::invalid(
            "resourceId",
            "this resource does not perform the service",
        ));
    }
    let mut resources: Vec<Resource> = tx
        .get_many::<resources::Entity>(&ids)
        .await?
        .into_values()
        .filter(|r| r.active)
        .collect();
    resources.sort_by(|a, b| a.name.cmp(&b.name));
    let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
    let hours = setup::hours_in(tx, &ids)
        .await?
        .into_iter()
        .map(|(id, rows)| {
            let week = rows
                .iter()
                .map(|h| Hours {
                    weekday: setup::weekday_of(h),
                    opens: setup::time_of(h.opens_minute),
                    closes: setup::time_of(h.closes_minute),
                })
                .collect();
            (id, week)
        })
        .collect();
    let mut busy: HashMap<Uuid, Vec<Span>> = HashMap::new();
    for off in setup::time_off_in(tx, &ids, from, to).await? {
        busy.entry(off.resource_id).or_default().push(Span {
            starts: off.starts_at,
            ends: off.ends_at,
        });
    }
    // Only the spans: a month of a busy team is thousands of rows, and whole rows cost
    // more to fetch and decode than the rest of the answer.
    let mut booked = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::ResourceId.is_in(ids.iter().copied()))
        .filter(appointments::Column::BlockStartsAt.lt(to))
        .filter(appointments::Column::BlockEndsAt.gt(from))
        .filter(
            appointments::Column::Status.is_not_in([Status::Cancelled.key(), Status::NoShow.key()]),
        );
    if let Some(moving) = ignoring {
        booked = booked.filter(appointments::Column::Id.ne(moving));
    }
    let booked: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = booked
        .select_only()
        .columns([
            appointments::Column::ResourceId,
            appointments::Column::BlockStartsAt,
            appointments::Column::BlockEndsAt,
        ])
        .into_tuple()
        .all(&**tx)
        .await?;
    let working: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::ResourceId.is_in(ids.iter().copied()))
        .filter(event_staff::Column::Active.eq(true))
        .filter(event_staff::Column::BlockStartsAt.lt(to))
        .filter(event_staff::Column::BlockEndsAt.gt(from))
        .select_only()
        .columns([
            event_staff::Column::ResourceId,
            event_staff::Column::BlockStartsAt,
            event_staff::Column::BlockEndsAt,
        ])
        .into_tuple()
        .all(&**tx)
        .await?;
    for (resource_id, starts, ends) in booked.into_iter().chain(working) {
        busy.entry(resource_id)
            .or_default()
            .push(Span { starts, ends });
    }
    // A time offered to the waitlist is held for the one offered it until the offer ends.
    let held = tx
        .select::<waitlist_entries::Entity>()
        .filter(waitlist_entries::Column::OfferedResourceId.is_in(ids.iter().copied()))
        .filter(waitlist_entries::Column::Status.eq(WaitStatus::Offered.key()))
        .filter(waitlist_entries::Column::OfferExpiresAt.gt(tx.now()))
        .filter(waitlist_entries::Column::OfferedStartsAt.lt(to))
        .filter(waitlist_entries::Column::OfferedStartsAt.gte(from - TimeDelta::days(1)))
        .all(&**tx)
        .await?;
    if !held.is_empty() {
        let shapes: HashMap<Uuid, Shape> = tx
            .get_many::<services::Entity>(&held.iter().map(|h| h.service_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|(id, s)| (id, shape_of(&s)))
            .collect();
        for hold in held.into_iter().filter(|h| Some(h.id) != ignoring) {
            let (Some(resource), Some(starts), Some(shape)) = (
                hold.offered_resource_id,
                hold.offered_starts_at,
                shapes.get(&hold.service_id),
            ) else {
                continue;
            };
            let block = shape.block(starts);
            busy.entry(resource).or_default().push(Span {
                starts: block.starts,
                ends: block.ends,
            });
        }
    }
    Ok(Calendar {
        zone,
        resources,
        hours,
        busy,
    })
}

/// A free slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub resource_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// When a booking may start: after the service's notice and within its horizon for a
/// customer; staff book any time from now on.
fn window(service: &Service, now: DateTime<Utc>, by: BookedBy) -> (DateTime<Utc>, DateTime<Utc>) {
    match by {
        BookedBy::Customer => (
            now + TimeDelta::minutes(i64::from(service.min_notice_minutes)),
            now + TimeDelta::days(i64::from(service.max_advance_days)),
        ),
        BookedBy::Staff | BookedBy::Waitlist => (now, now + TimeDelta::days(730)),
    }
}

/// Each resource's free slots, resource by resource in the calendar's order.
fn free_in(
    calendar: &Calendar,
    service: &Service,
    from: NaiveDate,
    to: NaiveDate,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> Vec<Slot> {
    let shape = shape_of(service);
    let mut found = Vec::new();
    for resource in &calendar.resources {
        let week = calendar
            .hours
            .get(&resource.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let openings = slots::openings(calendar.zone, from, to, week);
        let busy = calendar
            .busy
            .get(&resource.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for starts_at in slots::free(&openings, busy, &shape, earliest, latest) {
            found.push(Slot {
                resource_id: resource.id,
                starts_at,
                ends_at: starts_at + shape.duration,
            });
        }
    }
    found
}

/// Free slots of a service on the days `from..=to` (the business's calendar days), for
/// one resource or any that performs it, as a customer may book them.
pub async fn availability(
    deps: &Deps,
    ctx: &TenantCtx,
    service_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    resource_id: Option<Uuid>,
) -> Result<Vec<Slot>> {
    let mut slots = free_slots(deps, ctx, service_id, from, to, resource_id)
        .await?
        .0;
    slots.sort_by_key(|s| (s.starts_at, s.resource_id));
    Ok(slots)
}

/// One resource's free start times on one of the business's calendar days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeDay {
    pub date: NaiveDate,
    pub resource: std::sync::Arc<Resource>,
    pub starts: Vec<DateTime<Utc>>,
}

/// [`availability`] by calendar day and resource (days in order, resources in the order
/// they were created): what a date-and-time picker shows, at a fraction of the size of a
/// month of separate slots.
pub async fn free_days(
    deps: &Deps,
    ctx: &TenantCtx,
    service_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    resource_id: Option<Uuid>,
) -> Result<Vec<FreeDay>> {
    let (slots, calendar) = free_slots(deps, ctx, service_id, from, to, resource_id).await?;
    // The resources were read for the calendar; handing them out saves the answer a read.
    let resources: HashMap<Uuid, std::sync::Arc<Resource>> = calendar
        .resources
        .into_iter()
        .map(|r| (r.id, std::sync::Arc::new(r)))
        .collect();
    let mut days: std::collections::BTreeMap<(NaiveDate, Uuid), Vec<DateTime<Utc>>> =
        Default::default();
    for slot in slots {
        let date = slot.starts_at.with_timezone(&calendar.zone).date_naive();
        days.entry((date, slot.resource_id))
            .or_default()
            .push(slot.starts_at);
    }
    Ok(days
        .into_iter()
        .filter_map(|((date, resource_id), starts)| {
            Some(FreeDay {
                date,
                resource: resources.get(&resource_id)?.clone(),
                starts,
            })
        })
        .collect())
}

/// The free slots, by time, and the calendar they were computed from.
async fn free_slots(
    deps: &Deps,
    ctx: &TenantCtx,
    service_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    resource_id: Option<Uuid>,
) -> Result<(Vec<Slot>, Calendar)> {
    require_read(ctx)?;
    if to < from {
        return Err(Error::invalid("to", "the range ends before it starts"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Error::invalid(
            "to",
            format!("at most {MAX_DAYS} days at a time"),
        ));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let service = active_service(&tx, service_id).await?;
    // A day in any zone lies within a day either side of the same UTC dates.
    let span_from = from
        .pred_opt()
        .unwrap_or(from)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let span_to = to
        .succ_opt()
        .unwrap_or(to)
        .succ_opt()
        .unwrap_or(to)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let calendar = calendar(&tx, &service, resource_id, span_from, span_to, None).await?;
    tx.commit().await?;
    let (earliest, latest) = window(&service, deps.clock.now(), BookedBy::Customer);
    Ok((
        free_in(&calendar, &service, from, to, earliest, latest),
        calendar,
    ))
}

/// The resource that can take the service at `starts_at`: the one asked for, or the first
/// free one by name.
async fn free_resource(
    tx: &TenantTx,
    service: &Service,
    resource: Option<Uuid>,
    starts_at: DateTime<Utc>,
    by: BookedBy,
    ignoring: Option<Uuid>,
) -> Result<Uuid> {
    let shape = shape_of(service);
    let block = shape.block(starts_at);
    let calendar = calendar(
        tx,
        service,
        resource,
        block.starts - TimeDelta::days(1),
        block.ends + TimeDelta::days(1),
        ignoring,
    )
    .await?;
    let day = starts_at.with_timezone(&calendar.zone).date_naive();
    let (earliest, latest) = window(service, tx.now(), by);
    let around = |d: NaiveDate| (d.pred_opt().unwrap_or(d), d.succ_opt().unwrap_or(d));
    let (first, last) = around(day);
    let mut free = free_in(&calendar, service, first, last, earliest, latest);
    free.sort_by_key(|s| (s.starts_at, s.resource_id));
    free.into_iter()
        .find(|slot| slot.starts_at == starts_at)
        .map(|slot| slot.resource_id)
        .ok_or_else(|| {
            Error::conflict(
                "startsAt",
                "that time is not free: outside the hours, on time off, already booked, or too soon or too far ahead",
            )
        })
}

/// Whether `resource` could take `service` at `starts_at` now, as the business books.
pub(crate) async fn is_free(
    tx: &TenantTx,
    service_id: Uuid,
    resource_id: Uuid,
    starts_at: DateTime<Utc>,
    ignoring: Option<Uuid>,
) -> Result<bool> {
    let Ok(service) = active_service(tx, service_id).await else {
        return Ok(false);
    };
    match free_resource(
        tx,
        &service,
        Some(resource_id),
        starts_at,
        BookedBy::Staff,
        ignoring,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(Error::Conflict { .. } | Error::Invalid { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// PostgreSQL's exclusion constraint saw two active appointments overlap: another booking
/// of the slot committed first.
fn slot_taken(e: sea_orm::DbErr) -> Error {
    if e.to_string().contains("ex_appointments_overlap") {
        Error::conflict("startsAt", "that time was just booked")
    } else {
        e.into()
    }
}

#[derive(Clone, Debug)]
pub struct BookInput {
    pub service_id: Uuid,
    /// Any resource that performs the service when absent.
    pub resource_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub notes: Option<String>,
    /// How its reminders go out; by what reaches the contact when absent.
    pub remind_via: Option<Via>,
}

pub async fn book(deps: &Deps, ctx: &TenantCtx, input: BookInput) -> Result<Appointment> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(contact) = input.contact_id {
        tx.get::<tianguis_entity::crm::contacts::Entity>(contact, "contact")
            .await
            .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    }
    let appointment = book_in(deps, &mut tx, ctx, input, BookedBy::Staff, None).await?;
    tx.commit().await?;
    Ok(appointment)
}

/// Books in the caller's transaction: the slot must be free for `by` (a customer keeps to
/// the service's notice and horizon), its reminders are written and the customer gets a
/// confirmation with the event for their calendar.
pub(crate) async fn book_in(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: BookInput,
    by: BookedBy,
    holding: Option<Uuid>,
) -> Result<Appointment> {
    let notes = optional_text(input.notes.as_deref(), "notes", 2_000)?;
    let service = active_service(tx, input.service_id).await?;
    let resource = free_resource(
        tx,
        &service,
        input.resource_id,
        input.starts_at,
        by,
        holding,
    )
    .await?;
    let block = shape_of(&service).block(input.starts_at);
    let appointment = tx
        .insert(appointments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            service_id: Set(service.id),
            resource_id: Set(resource),
            contact_id: Set(input.contact_id),
            starts_at: Set(input.starts_at),
            ends_at: Set(input.starts_at + shape_of(&service).duration),
            block_starts_at: Set(block.starts),
            block_ends_at: Set(block.ends),
            status: Set(Status::Booked.key().into()),
            booked_by: Set(by.key().into()),
            notes: Set(notes),
            price_minor: Set(service.price_minor),
            currency: Set(service.currency.clone()),
            cancelled_at: Set(None),
            cancel_reason: Set(None),
            created_by: Set(ctx.actor_user()),
            remind_via: Set(input.remind_via.map(|v| v.key().to_owned())),
            manage_token: Set(Some(random_token(TOKEN_LENGTH))),
            ..Default::default()
        })
        .await
        .map_err(slot_taken)?;
    reminders::plan(tx, &appointment).await?;
    confirm(deps, tx, &appointment).await?;
    record(tx, ctx, "scheduling.appointment.booked", &appointment).await?;
    Ok(appointment)
}

/// Emails the customer their booking with an `.ics` of it, when they have an address.
async fn confirm(deps: &Deps, tx: &mut TenantTx, appointment: &Appointment) -> Result<()> {
    let details = reminders::details(deps, tx, appointment).await?;
    let Some(address) = details.contact.as_ref().and_then(|c| c.email.clone()) else {
        return Ok(());
    };
    let summary = format!("{} · {}", details.service, details.business.name);
    let ics = crate::ical::calendar(
        &details.business.name,
        Some("PUBLISH"),
        &[crate::feeds::event_of(
            appointment,
            &summary,
            Some(&details.staff),
        )],
    );
    let (branding, locale) = tianguis_tenancy::tenants::branding(&**tx, tx.tenant_id()).await?;
    let job = email::queue_with_attachments(
        &**tx,
        NewEmail {
            tenant_id: Some(tx.tenant_id()),
            to: &address,
            locale: &locale,
            branding: &branding,
            template: &AppointmentBooked(details.when()),
            at: tx.now(),
        },
        &[Attachment {
            filename: "cita.ics".into(),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
            content: ics.into_bytes(),
        }],
    )
    .await?;
    tx.enqueue_after_commit(job).await
}

pub(crate) async fn record(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    action: &str,
    a: &Appointment,
) -> Result<()> {
    audit::record(
        tx,
        ctx,
        action,
        ("appointment", Some(a.id)),
        serde_json::json!({
            "serviceId": a.service_id,
            "resourceId": a.resource_id,
            "contactId": a.contact_id,
            "startsAt": a.starts_at,
            "status": a.status,
        }),
    )
    .await
}

/// Moves an appointment to another time (and resource); the new time must be free.
pub async fn reschedule(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    starts_at: DateTime<Utc>,
    resource_id: Option<Uuid>,
) -> Result<Appointment> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let appointment = tx.get::<appointments::Entity>(id, "appointment").await?;
    let moved = move_in(
        deps,
        &mut tx,
        ctx,
        appointment,
        starts_at,
        resource_id,
        BookedBy::Staff,
    )
    .await?;
    tx.commit().await?;
    Ok(moved)
}

/// Moves an appointment in the caller's transaction, as `by` may book: its reminders follow
/// it, and the time it leaves is offered to the waitlist.
pub(crate) async fn move_in(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    appointment: Appointment,
    starts_at: DateTime<Utc>,
    resource_id: Option<Uuid>,
    by: BookedBy,
) -> Result<Appointment> {
    let status = Status::from_stored(&appointment.status)?;
    if !matches!(status, Status::Booked | Status::Confirmed) {
        return Err(Error::conflict(
            "id",
            format!("a {} appointment is not moved", status.key()),
        ));
    }
    let service = tx
        .get::<services::Entity>(appointment.service_id, "service")
        .await?;
    let resource = free_resource(
        tx,
        &service,
        resource_id.or(Some(appointment.resource_id)),
        starts_at,
        by,
        Some(appointment.id),
    )
    .await?;
    let shape = shape_of(&service);
    let block = shape.block(starts_at);
    let before = appointment.clone();
    let mut model: appointments::ActiveModel = appointment.into();
    model.resource_id = Set(resource);
    model.starts_at = Set(starts_at);
    model.ends_at = Set(starts_at + shape.duration);
    model.block_starts_at = Set(block.starts);
    model.block_ends_at = Set(block.ends);
    // A moved appointment is confirmed again for its new time.
    model.status = Set(Status::Booked.key().into());
    let appointment = tx.update(model).await.map_err(slot_taken)?;
    reminders::plan(tx, &appointment).await?;
    record(tx, ctx, "scheduling.appointment.rescheduled", &appointment).await?;
    waitlist::offer_freed(deps, tx, &before).await?;
    Ok(appointment)
}

/// Moves an appointment along its lifecycle; cancelling frees its time at once.
pub async fn set_status(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    next: Status,
    reason: Option<String>,
) -> Result<Appointment> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let appointment = tx.get::<appointments::Entity>(id, "appointment").await?;
    let appointment = transition(deps, &mut tx, ctx, appointment, next, reason).await?;
    tx.commit().await?;
    Ok(appointment)
}

/// A status change in the caller's transaction: recorded, its reminders brought in line,
/// and a cancelled time offered to the waitlist.
pub(crate) async fn transition(
    deps: &Deps,
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    appointment: Appointment,
    next: Status,
    reason: Option<String>,
) -> Result<Appointment> {
    let reason = optional_text(reason.as_deref(), "reason", 500)?;
    let status = Status::from_stored(&appointment.status)?;
    if !status.may_become(next) {
        return Err(Error::conflict(
            "id",
            format!(
                "a {} appointment cannot become {}",
                status.key(),
                next.key()
            ),
        ));
    }
    let before = appointment.clone();
    let mut model: appointments::ActiveModel = appointment.into();
    model.status = Set(next.key().into());
    if next == Status::Cancelled {
        model.cancelled_at = Set(Some(tx.now()));
        model.cancel_reason = Set(reason);
    }
    let appointment = tx.update(model).await?;
    reminders::plan(tx, &appointment).await?;
    record(
        tx,
        ctx,
        &format!("scheduling.appointment.{}", next.key()),
        &appointment,
    )
    .await?;
    if next == Status::Cancelled {
        waitlist::offer_freed(deps, tx, &before).await?;
    }
    Ok(appointment)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Appointment> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get::<appointments::Entity>(id, "appointment").await?;
    tx.commit().await?;
    Ok(found)
}

#[derive(Clone, Debug, Default)]
pub struct AppointmentFilter {
    pub resource_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub status: Option<Status>,
}

/// The appointments starting in `[from, to)`, by time: a calendar's view.
pub async fn between(
    deps: &Deps,
    ctx: &TenantCtx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: AppointmentFilter,
) -> Result<Vec<Appointment>> {
    require_read(ctx)?;
    if to <= from || to - from > TimeDelta::days(MAX_DAYS) {
        return Err(Error::invalid(
            "to",
            format!("a range of up to {MAX_DAYS} days that ends after it starts"),
        ));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::StartsAt.gte(from))
        .filter(appointments::Column::StartsAt.lt(to));
    if let Some(resource) = filter.resource_id {
        select = select.filter(appointments::Column::ResourceId.eq(resource));
    }
    if let Some(contact) = filter.contact_id {
        select = select.filter(appointments::Column::ContactId.eq(contact));
    }
    if let Some(status) = filter.status {
        select = select.filter(appointments::Column::Status.eq(status.key()));
    }
    let found = select
        .order_by_asc(appointments::Column::StartsAt)
        .order_by_asc(appointments::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}
