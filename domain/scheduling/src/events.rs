//! Events booked for a client (a wedding, a quinceañera, a corporate party): staff by role,
//! equipment by quantity, deposit and balance, and a run sheet.
//!
//! A person works one event at a time, travel included: their assignment blocks the
//! event's hours widened by its travel time, and no two active blocks of a person overlap
//! (on PostgreSQL an exclusion constraint decides between concurrent assignments; on SQLite
//! the transaction holds the write lock from its start). Equipment is reserved by quantity,
//! never beyond what the business owns: a reservation first locks the equipment's row, so
//! concurrent reservations of one item count each other.
//!
//! tentative → confirmed → done → closed (paid in full), or cancelled before it is done.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tianguis_entity::crm::{companies, contacts, proposals};
use tianguis_entity::scheduling::{
    appointments, event_equipment, event_payments, event_staff, event_tasks, events, resources,
};
use tianguis_kernel::email::{self, NewEmail};
use tianguis_kernel::rules::{from_minor, money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::db::{TenantTx, Touched, tenant_region};
use crate::error::conflict_on;
use crate::setup::{ResourceKind, require_read};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use event_equipment::Model as EventEquipment;
pub use event_payments::Model as EventPayment;
pub use event_staff::Model as EventStaff;
pub use event_tasks::Model as EventTask;
pub use events::Model as Event;

tianguis_kernel::stored_enum! {
    pub enum EventStatus {
        Tentative = "tentative",
        Confirmed = "confirmed",
        Done = "done",
        /// Done and paid in full.
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

impl EventStatus {
    fn may_become(self, next: EventStatus) -> bool {
        use EventStatus::*;
        matches!(
            (self, next),
            (Tentative, Confirmed | Cancelled) | (Confirmed, Done | Cancelled) | (Done, Closed)
        )
    }

    /// Whether its staff and equipment can still change.
    fn open(self) -> bool {
        matches!(self, EventStatus::Tentative | EventStatus::Confirmed)
    }
}

tianguis_kernel::stored_enum! {
    pub enum EventPaymentKind {
        Deposit = "deposit",
        Balance = "balance",
        Other = "other",
    }
}

tianguis_kernel::stored_enum! {
    pub enum EventPaymentMethod {
        Cash = "cash",
        Transfer = "transfer",
        Card = "card",
        /// Through a Stripe Checkout link; recorded when Stripe reports it.
        Stripe = "stripe",
    }
}

/// The longest event, in hours.
const MAX_HOURS: i64 = 72;

#[derive(Clone, Debug, Default)]
pub struct EventInput {
    pub title: Option<String>,
    pub kind: Option<String>,
    pub contact_id: Option<Option<Uuid>>,
    pub company_id: Option<Option<Uuid>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub travel_minutes: Option<i32>,
    pub venue: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub package: Option<Option<String>>,
    /// Taxes included.
    pub price: Option<Decimal>,
    pub deposit: Option<Decimal>,
    pub deposit_due_on: Option<Option<NaiveDate>>,
    pub balance_due_on: Option<Option<NaiveDate>>,
    pub notes: Option<Option<String>>,
}

async fn apply(tx: &TenantTx, model: &mut events::ActiveModel, input: &EventInput) -> Result<()> {
    use tianguis_kernel::db::Current;
    let currency = model.currency.current()?;
    if let Some(title) = &input.title {
        model.title = Set(required_text(title, "title", 160)?);
    }
    if let Some(kind) = &input.kind {
        model.kind = Set(required_text(kind, "kind", 60)?.to_lowercase());
    }
    if let Some(contact) = input.contact_id {
        if let Some(id) = contact {
            tx.get::<contacts::Entity>(id, "contact")
                .await
                .map_err(|_| Error::invalid("contactId", "no such contact"))?;
        }
        model.contact_id = Set(contact);
    }
    if let Some(company) = input.company_id {
        if let Some(id) = company {
            tx.get::<companies::Entity>(id, "company")
                .await
                .map_err(|_| Error::invalid("companyId", "no such company"))?;
        }
        model.company_id = Set(company);
    }
    if let Some(at) = input.starts_at {
        model.starts_at = Set(at);
    }
    if let Some(at) = input.ends_at {
        model.ends_at = Set(at);
    }
    if let Some(minutes) = input.travel_minutes {
        if !(0..=12 * 60).contains(&minutes) {
            return Err(Error::invalid("travelMinutes", "0 to 720 minutes"));
        }
        model.travel_minutes = Set(minutes);
    }
    if let Some(venue) = &input.venue {
        model.venue = Set(optional_text(venue.as_deref(), "venue", 160)?);
    }
    if let Some(address) = &input.address {
        model.address = Set(optional_text(address.as_deref(), "address", 500)?);
    }
    if let Some(package) = &input.package {
        model.package = Set(optional_text(package.as_deref(), "package", 160)?);
    }
    if let Some(price) = input.price {
        model.price_minor = Set(money_minor(price, &currency, "price")?);
    }
    if let Some(deposit) = input.deposit {
        model.deposit_minor = Set(money_minor(deposit, &currency, "deposit")?);
    }
    if let Some(due) = input.deposit_due_on {
        model.deposit_due_on = Set(due);
        model.deposit_reminded_at = Set(None);
    }
    if let Some(due) = input.balance_due_on {
        model.balance_due_on = Set(due);
        model.balance_reminded_at = Set(None);
    }
    if let Some(notes) = &input.notes {
        model.notes = Set(optional_text(notes.as_deref(), "notes", 4_000)?);
    }
    check(model)
}

/// What holds of an event whatever changed.
fn check(model: &events::ActiveModel) -> Result<()> {
    use tianguis_kernel::db::Current;
    let (starts, ends) = (model.starts_at.current()?, model.ends_at.current()?);
    if ends <= starts {
        return Err(Error::invalid("endsAt", "the event ends after it starts"));
    }
    if ends - starts > TimeDelta::hours(MAX_HOURS) {
        return Err(Error::invalid(
            "endsAt",
            format!("an event lasts at most {MAX_HOURS} hours"),
        ));
    }
    let (price, deposit) = (model.price_minor.current()?, model.deposit_minor.current()?);
    if deposit > price {
        return Err(Error::invalid("deposit", "the deposit exceeds the price"));
    }
    Ok(())
}

/// The hours a person or piece of equipment is away for the event.
fn block_of(event: &Event) -> (DateTime<Utc>, DateTime<Utc>) {
    let travel = TimeDelta::minutes(i64::from(event.travel_minutes));
    (event.starts_at - travel, event.ends_at + travel)
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: EventInput) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = create_in(&mut tx, ctx, input, None).await?;
    tx.commit().await?;
    Ok(event)
}

async fn create_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    input: EventInput,
    proposal_id: Option<Uuid>,
) -> Result<Event> {
    for (given, field) in [
        (input.title.is_some(), "title"),
        (input.kind.is_some(), "kind"),
        (input.starts_at.is_some(), "startsAt"),
        (input.ends_at.is_some(), "endsAt"),
    ] {
        if !given {
            return Err(Error::invalid(field, "an event needs it"));
        }
    }
    let mut model = events::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        proposal_id: Set(proposal_id),
        currency: Set(tenant_region(&**tx, ctx.tenant_id).await?.currency),
        contact_id: Set(None),
        company_id: Set(None),
        travel_minutes: Set(0),
        venue: Set(None),
        address: Set(None),
        package: Set(None),
        price_minor: Set(0),
        deposit_minor: Set(0),
        deposit_due_on: Set(None),
        balance_due_on: Set(None),
        paid_minor: Set(0),
        status: Set(EventStatus::Tentative.key().into()),
        notes: Set(None),
        checkout_id: Set(None),
        checkout_url: Set(None),
        checkout_amount_minor: Set(None),
        deposit_reminded_at: Set(None),
        balance_reminded_at: Set(None),
        created_by: Set(ctx.actor_user()),
        ..Default::default()
    };
    apply(tx, &mut model, &input).await?;
    let event = tx.insert(model).await.map_err(|e| {
        conflict_on(
            e,
            "ux_events_proposal",
            "events.tenant_id, events.proposal_id",
            "proposalId",
            "an event was already made from this proposal",
        )
    })?;
    record(tx, ctx, "scheduling.event.created", &event).await?;
    Ok(event)
}

/// An event for an accepted proposal: its client, title and total, with the date and
/// whatever else `input` says.
pub async fn create_from_proposal(
    deps: &Deps,
    ctx: &TenantCtx,
    proposal_id: Uuid,
    mut input: EventInput,
) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let proposal = tx
        .get::<proposals::Entity>(proposal_id, "proposal")
        .await
        .map_err(|_| Error::invalid("proposalId", "no such proposal"))?;
    if proposal.status != "accepted" {
        return Err(Error::conflict(
            "proposalId",
            "only an accepted proposal becomes an event",
        ));
    }
    input.title.get_or_insert_with(|| proposal.title.clone());
    input.contact_id.get_or_insert(proposal.contact_id);
    input.company_id.get_or_insert(proposal.company_id);
    if input.price.is_none() {
        input.price = Some(from_minor(proposal.total_minor, &proposal.currency));
    }
    let event = create_in(&mut tx, ctx, input, Some(proposal.id)).await?;
    tx.commit().await?;
    Ok(event)
}

/// Changes an event; new hours move its staff and equipment with it, and must still suit
/// them.
pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, input: EventInput) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let before = tx.get::<events::Entity>(id, "event").await?;
    let status = EventStatus::from_stored(&before.status)?;
    if !status.open() {
        return Err(Error::conflict(
            "id",
            format!("a {} event is not changed", status.key()),
        ));
    }
    let mut model: events::ActiveModel = before.clone().into();
    apply(&tx, &mut model, &input).await?;
    if before.price_minor != *model.price_minor.as_ref() {
        model.checkout_url = Set(None);
        model.checkout_amount_minor = Set(None);
    }
    let event = tx.update(model).await?;
    if block_of(&event) != block_of(&before) {
        reblock(&tx, &event).await?;
    }
    record(&mut tx, ctx, "scheduling.event.updated", &event).await?;
    tx.commit().await?;
    Ok(event)
}

/// Moves the event's staff and equipment to its new hours, checking each again.
async fn reblock(tx: &TenantTx, event: &Event) -> Result<()> {
    let (starts, ends) = block_of(event);
    for person in staff_in(tx, &[event.id])
        .await?
        .remove(&event.id)
        .unwrap_or_default()
    {
        staff_free(tx, event, person.resource_id).await?;
        let mut model: event_staff::ActiveModel = person.into();
        model.block_starts_at = Set(starts);
        model.block_ends_at = Set(ends);
        tx.update(model).await.map_err(person_taken)?;
    }
    let items = tx
        .select::<event_equipment::Entity>()
        .filter(event_equipment::Column::EventId.eq(event.id))
        .all(&**tx)
        .await?;
    for item in items {
        equipment_free(tx, event, item.resource_id, item.quantity).await?;
        let mut model: event_equipment::ActiveModel = item.into();
        model.block_starts_at = Set(starts);
        model.block_ends_at = Set(ends);
        tx.update(model).await?;
    }
    Ok(())
}

async fn record(tx: &mut TenantTx, ctx: &TenantCtx, action: &str, e: &Event) -> Result<()> {
    audit::record(
        tx,
        ctx,
        action,
        ("event", Some(e.id)),
        serde_json::json!({
            "title": e.title,
            "kind": e.kind,
            "contactId": e.contact_id,
            "startsAt": e.starts_at,
            "endsAt": e.ends_at,
            "status": e.status,
            "paidMinor": e.paid_minor,
        }),
    )
    .await
}

async fn open_event(tx: &TenantTx, id: Uuid) -> Result<Event> {
    let event = tx.get::<events::Entity>(id, "event").await?;
    let status = EventStatus::from_stored(&event.status)?;
    if !status.open() {
        return Err(Error::conflict(
            "eventId",
            format!(
                "a {} event's staff and equipment stay as they are",
                status.key()
            ),
        ));
    }
    Ok(event)
}

async fn resource_of(tx: &TenantTx, id: Uuid, kind: ResourceKind) -> Result<resources::Model> {
    let resource = tx
        .get::<resources::Entity>(id, "resource")
        .await
        .map_err(|_| Error::invalid("resourceId", "no such resource"))?;
    if resource.kind != kind.key() || !resource.active {
        return Err(Error::invalid(
            "resourceId",
            format!("not an active {} resource", kind.key()),
        ));
    }
    Ok(resource)
}

// ---- staff ----

/// PostgreSQL's exclusion constraint saw a person in two overlapping events: another
/// assignment committed first.
fn person_taken(e: sea_orm::DbErr) -> Error {
    if e.to_string().contains("ex_event_staff_overlap") {
        Error::conflict(
            "resourceId",
            "the person was just booked for another event then",
        )
    } else {
        e.into()
    }
}

/// The person is free for the event's block: in no other active event and no appointment.
async fn staff_free(tx: &TenantTx, event: &Event, resource_id: Uuid) -> Result<()> {
    let (starts, ends) = block_of(event);
    let clash = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::ResourceId.eq(resource_id))
        .filter(event_staff::Column::Active.eq(true))
        .filter(event_staff::Column::EventId.ne(event.id))
        .filter(event_staff::Column::BlockStartsAt.lt(ends))
        .filter(event_staff::Column::BlockEndsAt.gt(starts))
        .one(&**tx)
        .await?;
    if let Some(clash) = clash {
        let other = tx.get::<events::Entity>(clash.event_id, "event").await?;
        return Err(Error::conflict(
            "resourceId",
            format!("the person works \"{}\" then, travel included", other.title),
        ));
    }
    let appointment = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::ResourceId.eq(resource_id))
        .filter(appointments::Column::BlockStartsAt.lt(ends))
        .filter(appointments::Column::BlockEndsAt.gt(starts))
        .filter(appointments::Column::Status.is_not_in(["cancelled", "no_show"]))
        .one(&**tx)
        .await?;
    if appointment.is_some() {
        return Err(Error::conflict(
            "resourceId",
            "the person has an appointment then",
        ));
    }
    Ok(())
}

/// Puts a person on an event in a role (or changes their role).
pub async fn assign_staff(
    deps: &Deps,
    ctx: &TenantCtx,
    event_id: Uuid,
    resource_id: Uuid,
    role: &str,
) -> Result<Vec<EventStaff>> {
    ctx.require(Permission::SchedulingWrite)?;
    let role = required_text(role, "role", 60)?.to_lowercase();
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = open_event(&tx, event_id).await?;
    resource_of(&tx, resource_id, ResourceKind::Staff).await?;
    let existing = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::EventId.eq(event_id))
        .filter(event_staff::Column::ResourceId.eq(resource_id))
        .one(&*tx)
        .await?;
    if let Some(existing) = existing {
        let mut model: event_staff::ActiveModel = existing.into();
        model.role = Set(role.clone());
        tx.update(model).await?;
    } else {
        staff_free(&tx, &event, resource_id).await?;
        let (starts, ends) = block_of(&event);
        tx.insert(event_staff::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            event_id: Set(event_id),
            resource_id: Set(resource_id),
            role: Set(role.clone()),
            block_starts_at: Set(starts),
            block_ends_at: Set(ends),
            active: Set(true),
            ..Default::default()
        })
        .await
        .map_err(person_taken)?;
    }
    audit::record(
        &mut tx,
        ctx,
        "scheduling.event.staff_assigned",
        ("event", Some(event_id)),
        serde_json::json!({ "resourceId": resource_id, "role": role }),
    )
    .await?;
    let staff = staff_in(&tx, &[event_id])
        .await?
        .remove(&event_id)
        .unwrap_or_default();
    tx.commit().await?;
    Ok(staff)
}

pub async fn unassign_staff(
    deps: &Deps,
    ctx: &TenantCtx,
    event_id: Uuid,
    resource_id: Uuid,
) -> Result<Vec<EventStaff>> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    open_event(&tx, event_id).await?;
    event_staff::Entity::delete_many()
        .filter(event_staff::Column::TenantId.eq(ctx.tenant_id))
        .filter(event_staff::Column::EventId.eq(event_id))
        .filter(event_staff::Column::ResourceId.eq(resource_id))
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.event.staff_removed",
        ("event", Some(event_id)),
        serde_json::json!({ "resourceId": resource_id }),
    )
    .await?;
    let staff = staff_in(&tx, &[event_id])
        .await?
        .remove(&event_id)
        .unwrap_or_default();
    tx.commit().await?;
    Ok(staff)
}

pub(crate) async fn staff_in(
    tx: &TenantTx,
    events: &[Uuid],
) -> Result<HashMap<Uuid, Vec<EventStaff>>> {
    let rows = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::EventId.is_in(events.iter().copied()))
        .order_by_asc(event_staff::Column::Id)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |r| Some(r.event_id)))
}

// ---- equipment ----

/// `quantity` of the equipment is free during the event: what other active events hold
/// then, plus this, stays within what the business owns. Locks the equipment's row first,
/// so a concurrent reservation waits and then counts this one.
async fn equipment_free(
    tx: &TenantTx,
    event: &Event,
    resource_id: Uuid,
    quantity: i32,
) -> Result<()> {
    let owned = resource_of(tx, resource_id, ResourceKind::Equipment)
        .await?
        .quantity;
    resources::Entity::update_many()
        .touched(tx.now())
        .filter(resources::Column::TenantId.eq(tx.tenant_id()))
        .filter(resources::Column::Id.eq(resource_id))
        .exec(&**tx)
        .await?;
    let (starts, ends) = block_of(event);
    let held: i32 = tx
        .select::<event_equipment::Entity>()
        .filter(event_equipment::Column::ResourceId.eq(resource_id))
        .filter(event_equipment::Column::Active.eq(true))
        .filter(event_equipment::Column::EventId.ne(event.id))
        .filter(event_equipment::Column::BlockStartsAt.lt(ends))
        .filter(event_equipment::Column::BlockEndsAt.gt(starts))
        .all(&**tx)
        .await?
        .iter()
        .map(|r| r.quantity)
        .sum();
    if held + quantity > owned {
        return Err(Error::conflict(
            "quantity",
            format!(
                "{} of {owned} are free then",
                std::cmp::max(owned - held, 0)
            ),
        ));
    }
    Ok(())
}

/// Reserves `quantity` of a piece of equipment for the event; zero releases it.
pub async fn reserve_equipment(
    deps: &Deps,
    ctx: &TenantCtx,
    event_id: Uuid,
    resource_id: Uuid,
    quantity: i32,
) -> Result<Vec<EventEquipment>> {
    ctx.require(Permission::SchedulingWrite)?;
    if !(0..=10_000).contains(&quantity) {
        return Err(Error::invalid("quantity", "0 to 10000"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = open_event(&tx, event_id).await?;
    event_equipment::Entity::delete_many()
        .filter(event_equipment::Column::TenantId.eq(ctx.tenant_id))
        .filter(event_equipment::Column::EventId.eq(event_id))
        .filter(event_equipment::Column::ResourceId.eq(resource_id))
        .exec(&*tx)
        .await?;
    if quantity > 0 {
        equipment_free(&tx, &event, resource_id, quantity).await?;
        let (starts, ends) = block_of(&event);
        tx.insert(event_equipment::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            event_id: Set(event_id),
            resource_id: Set(resource_id),
            quantity: Set(quantity),
            block_starts_at: Set(starts),
            block_ends_at: Set(ends),
            active: Set(true),
            ..Default::default()
        })
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "scheduling.event.equipment_reserved",
        ("event", Some(event_id)),
        serde_json::json!({ "resourceId": resource_id, "quantity": quantity }),
    )
    .await?;
    let items = equipment_in(&tx, &[event_id])
        .await?
        .remove(&event_id)
        .unwrap_or_default();
    tx.commit().await?;
    Ok(items)
}

async fn equipment_in(
    tx: &TenantTx,
    events: &[Uuid],
) -> Result<HashMap<Uuid, Vec<EventEquipment>>> {
    let rows = tx
        .select::<event_equipment::Entity>()
        .filter(event_equipment::Column::EventId.is_in(events.iter().copied()))
        .order_by_asc(event_equipment::Column::Id)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |r| Some(r.event_id)))
}

// ---- status ----

/// Moves an event along its lifecycle. Cancelling frees its staff and equipment; an event
/// is done once it has started, and closed once it is paid in full.
pub async fn set_status(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    next: EventStatus,
) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = tx.get::<events::Entity>(id, "event").await?;
    let status = EventStatus::from_stored(&event.status)?;
    if !status.may_become(next) {
        return Err(Error::conflict(
            "id",
            format!("a {} event cannot become {}", status.key(), next.key()),
        ));
    }
    if next == EventStatus::Done && tx.now() < event.starts_at {
        return Err(Error::conflict("id", "the event has not started yet"));
    }
    if next == EventStatus::Closed && event.paid_minor < event.price_minor {
        return Err(Error::conflict(
            "id",
            "the event is closed once it is paid in full",
        ));
    }
    let mut model: events::ActiveModel = event.into();
    model.status = Set(next.key().into());
    let event = tx.update(model).await?;
    if next == EventStatus::Cancelled {
        event_staff::Entity::update_many()
            .col_expr(event_staff::Column::Active, Expr::value(false))
            .touched(tx.now())
            .filter(event_staff::Column::TenantId.eq(ctx.tenant_id))
            .filter(event_staff::Column::EventId.eq(id))
            .exec(&*tx)
            .await?;
        event_equipment::Entity::update_many()
            .col_expr(event_equipment::Column::Active, Expr::value(false))
            .touched(tx.now())
            .filter(event_equipment::Column::TenantId.eq(ctx.tenant_id))
            .filter(event_equipment::Column::EventId.eq(id))
            .exec(&*tx)
            .await?;
    }
    record(
        &mut tx,
        ctx,
        &format!("scheduling.event.{}", next.key()),
        &event,
    )
    .await?;
    tx.commit().await?;
    Ok(event)
}

// ---- money ----

/// What the event asks for next: the rest of the deposit, then the balance.
fn due_now(event: &Event) -> (EventPaymentKind, i64) {
    if event.paid_minor < event.deposit_minor {
        (
            EventPaymentKind::Deposit,
            event.deposit_minor - event.paid_minor,
        )
    } else {
        (
            EventPaymentKind::Balance,
            event.price_minor - event.paid_minor,
        )
    }
}

async fn receive_in(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    event: Event,
    amount: i64,
    method: EventPaymentMethod,
    reference: Option<String>,
    paid_at: DateTime<Utc>,
) -> Result<Event> {
    if amount <= 0 {
        return Err(Error::invalid("amount", "a payment is more than zero"));
    }
    if amount > event.price_minor - event.paid_minor {
        return Err(Error::invalid(
            "amount",
            format!(
                "the event owes {}",
                from_minor(event.price_minor - event.paid_minor, &event.currency)
            ),
        ));
    }
    let (kind, _) = due_now(&event);
    tx.insert(event_payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        event_id: Set(event.id),
        kind: Set(kind.key().into()),
        amount_minor: Set(amount),
        currency: Set(event.currency.clone()),
        method: Set(method.key().into()),
        reference: Set(reference),
        paid_at: Set(paid_at),
        recorded_by: Set(ctx.actor_user()),
        ..Default::default()
    })
    .await
    .map_err(|e| {
        conflict_on(
            e,
            "ux_event_payments_reference",
            "event_payments.tenant_id, event_payments.event_id, event_payments.method, event_payments.reference",
            "reference",
            "this payment is recorded already",
        )
    })?;
    let status = EventStatus::from_stored(&event.status)?;
    let paid = event.paid_minor + amount;
    let mut model: events::ActiveModel = event.into();
    model.paid_minor = Set(paid);
    // The deposit in hand confirms a tentative booking.
    let deposit = *model.deposit_minor.as_ref();
    if status == EventStatus::Tentative && deposit > 0 && paid >= deposit {
        model.status = Set(EventStatus::Confirmed.key().into());
    }
    let event = tx.update(model).await?;
    record(tx, ctx, "scheduling.event.payment_received", &event).await?;
    Ok(event)
}

/// Records money received for an event by hand.
pub async fn record_payment(
    deps: &Deps,
    ctx: &TenantCtx,
    event_id: Uuid,
    amount: Decimal,
    method: EventPaymentMethod,
    reference: Option<String>,
) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    if method == EventPaymentMethod::Stripe {
        return Err(Error::invalid(
            "method",
            "Stripe payments are recorded when Stripe reports them",
        ));
    }
    let reference = optional_text(reference.as_deref(), "reference", 120)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = tx.get::<events::Entity>(event_id, "event").await?;
    if EventStatus::from_stored(&event.status)? == EventStatus::Cancelled {
        return Err(Error::conflict("eventId", "the event is cancelled"));
    }
    let amount = money_minor(amount, &event.currency, "amount")?;
    let now = tx.now();
    let event = receive_in(&mut tx, ctx, event, amount, method, reference, now).await?;
    tx.commit().await?;
    Ok(event)
}

/// A Stripe Checkout page for what the event asks for now (the deposit, then the
/// balance); asked again for the same amount, the same page.
pub async fn checkout_link(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Event> {
    ctx.require(Permission::SchedulingWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = tx.get::<events::Entity>(id, "event").await?;
    let email = match event.contact_id {
        Some(c) => tx.get::<contacts::Entity>(c, "contact").await?.email,
        None => None,
    };
    tx.commit().await?;
    let status = EventStatus::from_stored(&event.status)?;
    if !status.open() && status != EventStatus::Done {
        return Err(Error::conflict("id", "the event takes no more payments"));
    }
    let (kind, amount) = due_now(&event);
    if amount <= 0 {
        return Err(Error::conflict("id", "the event is paid"));
    }
    if event.checkout_url.is_some() && event.checkout_amount_minor == Some(amount) {
        return Ok(event);
    }
    let Some(gateway) = &deps.payment_gateway else {
        return Err(Error::conflict(
            "id",
            "card payments are not set up on this service",
        ));
    };
    let back = format!("{}/events/{id}", deps.mail.app_url.trim_end_matches('/'));
    let what = match kind {
        EventPaymentKind::Deposit => "Anticipo",
        _ => "Saldo",
    };
    let link = gateway
        .checkout(&tianguis_kernel::ports::CheckoutRequest {
            purchase: tianguis_kernel::ports::Purchase::Once {
                description: format!("{what}: {}", event.title),
                amount,
                currency: event.currency.clone(),
            },
            customer_email: email,
            success_url: format!("{back}?payment=done"),
            cancel_url: back,
            metadata: vec![
                ("tenant_id".into(), ctx.tenant_id.to_string()),
                ("event_id".into(), id.to_string()),
            ],
            idempotency_key: format!("event-checkout-{id}-{}", event.paid_minor),
        })
        .await
        .map_err(|e| e.context("creating a Stripe Checkout Session"))?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tx.get::<events::Entity>(id, "event").await?;
    let mut model: events::ActiveModel = current.into();
    model.checkout_id = Set(Some(link.id));
    model.checkout_url = Set(Some(link.url));
    model.checkout_amount_minor = Set(Some(amount));
    let event = tx.update(model).await?;
    record(&mut tx, ctx, "scheduling.event.checkout_created", &event).await?;
    tx.commit().await?;
    Ok(event)
}

/// The event a payment provider's event names, inside its transaction.
pub async fn get_in(tx: &TenantTx, id: Uuid) -> Result<Event> {
    tx.get::<events::Entity>(id, "event").await
}

/// A payment Stripe reports for an event: applied once per payment intent. Money the event
/// cannot take (cancelled, paid meanwhile, another currency) is recorded as
/// `scheduling.event.payment_unapplied` for a person to settle.
pub async fn paid_online(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    event: Event,
    payment_intent: &str,
    amount: i64,
    currency: &str,
) -> Result<()> {
    let known = tx
        .select::<event_payments::Entity>()
        .filter(event_payments::Column::EventId.eq(event.id))
        .filter(event_payments::Column::Method.eq(EventPaymentMethod::Stripe.key()))
        .filter(event_payments::Column::Reference.eq(payment_intent))
        .one(&**tx)
        .await?;
    if known.is_some() {
        return Ok(());
    }
    let currency = currency.to_uppercase();
    let event_id = event.id;
    let problem = if currency != event.currency {
        Some(format!("paid in {currency}, priced in {}", event.currency))
    } else if EventStatus::from_stored(&event.status)? == EventStatus::Cancelled {
        Some("the event is cancelled".to_owned())
    } else {
        let now = tx.now();
        match receive_in(
            tx,
            ctx,
            event,
            amount,
            EventPaymentMethod::Stripe,
            Some(payment_intent.to_owned()),
            now,
        )
        .await
        {
            Ok(_) => None,
            Err(Error::Invalid { message, .. }) => Some(message),
            Err(other) => return Err(other),
        }
    };
    if let Some(problem) = problem {
        audit::record(
            tx,
            ctx,
            "scheduling.event.payment_unapplied",
            ("event", Some(event_id)),
            serde_json::json!({
                "paymentIntent": payment_intent,
                "amountMinor": amount,
                "currency": currency,
                "reason": problem,
            }),
        )
        .await?;
    }
    Ok(())
}

// ---- run sheet ----

pub async fn add_task(
    deps: &Deps,
    ctx: &TenantCtx,
    event_id: Uuid,
    title: &str,
    due_at: Option<DateTime<Utc>>,
) -> Result<EventTask> {
    ctx.require(Permission::SchedulingWrite)?;
    let title = required_text(title, "title", 200)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<events::Entity>(event_id, "event").await?;
    let last = tx
        .select::<event_tasks::Entity>()
        .filter(event_tasks::Column::EventId.eq(event_id))
        .order_by_desc(event_tasks::Column::Position)
        .one(&*tx)
        .await?
        .map_or(0, |t| t.position);
    let task = tx
        .insert(event_tasks::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            event_id: Set(event_id),
            position: Set(last + 1),
            title: Set(title),
            due_at: Set(due_at),
            done_at: Set(None),
            done_by: Set(None),
            ..Default::default()
        })
        .await?;
    tx.commit().await?;
    Ok(task)
}

/// Ticks a run-sheet line off, or back on.
pub async fn set_task_done(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    done: bool,
) -> Result<EventTask> {
    ctx.require(Permission::SchedulingWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let task = tx.get::<event_tasks::Entity>(id, "event task").await?;
    let mut model: event_tasks::ActiveModel = task.into();
    model.done_at = Set(done.then(|| tx.now()));
    model.done_by = Set(if done { ctx.actor_user() } else { None });
    let task = tx.update(model).await?;
    tx.commit().await?;
    Ok(task)
}

pub async fn remove_task(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<bool> {
    ctx.require(Permission::SchedulingWrite)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let removed = event_tasks::Entity::delete_many()
        .filter(event_tasks::Column::TenantId.eq(ctx.tenant_id))
        .filter(event_tasks::Column::Id.eq(id))
        .exec(&*tx)
        .await?
        .rows_affected;
    tx.commit().await?;
    if removed == 0 {
        return Err(Error::NotFound("event task"));
    }
    Ok(true)
}

// ---- reading ----

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Event> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let event = tx.get::<events::Entity>(id, "event").await?;
    tx.commit().await?;
    Ok(event)
}

/// Events starting in `[from, to)`, by time.
pub async fn between(
    deps: &Deps,
    ctx: &TenantCtx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    status: Option<EventStatus>,
) -> Result<Vec<Event>> {
    require_read(ctx)?;
    if to <= from || to - from > TimeDelta::days(400) {
        return Err(Error::invalid(
            "to",
            "a range of up to 400 days that ends after it starts",
        ));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx
        .select::<events::Entity>()
        .filter(events::Column::StartsAt.gte(from))
        .filter(events::Column::StartsAt.lt(to));
    if let Some(status) = status {
        select = select.filter(events::Column::Status.eq(status.key()));
    }
    let found = select
        .order_by_asc(events::Column::StartsAt)
        .order_by_asc(events::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Events by id, for a loader: also for a person who sees only their own schedule, whose
/// statements and schedule name them.
pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Event>> {
    crate::payroll::require_own(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<events::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

macro_rules! children_of {
    ($name:ident, $model:ty, $entity:ident, $order:ident, $check:path) => {
        pub async fn $name(
            deps: &Deps,
            ctx: &TenantCtx,
            events: &[Uuid],
        ) -> Result<HashMap<Uuid, Vec<$model>>> {
            $check(ctx)?;
            let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
            let rows = tx
                .select::<$entity::Entity>()
                .filter($entity::Column::EventId.is_in(events.iter().copied()))
                .order_by_asc($entity::Column::$order)
                .all(&*tx)
                .await?;
            tx.commit().await?;
            Ok(crate::page::group_by(rows, |r| Some(r.event_id)))
        }
    };
}

// Who works an event and its run sheet are for its staff too; its money is not.
children_of!(
    staff_of,
    EventStaff,
    event_staff,
    Id,
    crate::payroll::require_own
);
children_of!(
    equipment_of,
    EventEquipment,
    event_equipment,
    Id,
    crate::payroll::require_own
);
children_of!(
    payments_of,
    EventPayment,
    event_payments,
    PaidAt,
    require_read
);
children_of!(
    tasks_of,
    EventTask,
    event_tasks,
    Position,
    crate::payroll::require_own
);

// ---- payment reminders ----

/// Emails the client once about a deposit or balance that falls due within three days
/// and is unpaid, with the link to pay when there is one. Several workers sweep at once:
/// each reminder is claimed by a conditional update, so it goes out once.
pub async fn remind_due(deps: &Deps) -> Result<usize> {
    let today = deps.clock.now().date_naive();
    let horizon = today + TimeDelta::days(3);
    let unpaid_deposit =
        Expr::col(events::Column::PaidMinor).lt(Expr::col(events::Column::DepositMinor));
    let unpaid = Expr::col(events::Column::PaidMinor).lt(Expr::col(events::Column::PriceMinor));
    let due = events::Entity::find()
        .filter(events::Column::Status.is_in(["tentative", "confirmed", "done"]))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(events::Column::DepositDueOn.lte(horizon))
                        .add(events::Column::DepositRemindedAt.is_null())
                        .add(unpaid_deposit),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(events::Column::BalanceDueOn.lte(horizon))
                        .add(events::Column::BalanceRemindedAt.is_null())
                        .add(unpaid),
                ),
        )
        .order_by_asc(events::Column::Id)
        .limit(500)
        .all(&deps.db)
        .await?;
    let mut sent = 0;
    for event in due {
        let mut tx = TenantTx::begin(deps, event.tenant_id).await?;
        let (kind, column, on) = if event.paid_minor < event.deposit_minor
            && event.deposit_due_on.is_some_and(|d| d <= horizon)
            && event.deposit_reminded_at.is_none()
        {
            (
                EventPaymentKind::Deposit,
                events::Column::DepositRemindedAt,
                event.deposit_due_on,
            )
        } else if event.paid_minor < event.price_minor
            && event.balance_due_on.is_some_and(|d| d <= horizon)
            && event.balance_reminded_at.is_none()
        {
            (
                EventPaymentKind::Balance,
                events::Column::BalanceRemindedAt,
                event.balance_due_on,
            )
        } else {
            continue;
        };
        let claimed = events::Entity::update_many()
            .col_expr(column, Expr::value(tx.now()))
            .filter(events::Column::TenantId.eq(event.tenant_id))
            .filter(events::Column::Id.eq(event.id))
            .filter(column.is_null())
            .exec(&*tx)
            .await?
            .rows_affected;
        if claimed == 0 {
            continue;
        }
        let address = match event.contact_id {
            Some(c) => tx.get::<contacts::Entity>(c, "contact").await?.email,
            None => None,
        };
        if let Some(address) = address {
            let owed = match kind {
                EventPaymentKind::Deposit => event.deposit_minor - event.paid_minor,
                _ => event.price_minor - event.paid_minor,
            };
            let (branding, locale) =
                tianguis_tenancy::tenants::branding(&*tx, event.tenant_id).await?;
            let amount = format!("{} {}", from_minor(owed, &event.currency), event.currency);
            let due_on = on
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default();
            let job = email::queue(
                &*tx,
                NewEmail {
                    tenant_id: Some(event.tenant_id),
                    to: &address,
                    locale: &locale,
                    branding: &branding,
                    template: &crate::emails::EventPaymentDue {
                        event: &event.title,
                        deposit: kind == EventPaymentKind::Deposit,
                        amount: &amount,
                        due_on: &due_on,
                        pay_url: event.checkout_url.as_deref(),
                    },
                    at: tx.now(),
                },
            )
            .await?;
            tx.enqueue_after_commit(job).await?;
        }
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
