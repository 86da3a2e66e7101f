//! GraphQL of events booked for clients: staff by role, equipment, money and run sheet.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::scheduling::events;

use crate::graphql::common::{Money, maybe, maybe_id, money, stored, user};
use crate::graphql::context::{deps, tenant};
use crate::graphql::crm::{Company, Contact};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{
    ClientNameLoader, CompanyLoader, ContactLoader, EventEquipmentLoader, EventPaymentsLoader,
    EventStaffLoader, EventTasksLoader, ResourceLoader, load, load_opt,
};
use crate::graphql::scheduling::Resource;
use crate::graphql::tenancy::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "events::EventStatus")]
pub enum EventStatus {
    Tentative,
    Confirmed,
    Done,
    /// Done and paid in full.
    Closed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "events::EventPaymentKind")]
pub enum EventPaymentKind {
    Deposit,
    Balance,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "events::EventPaymentMethod")]
pub enum EventPaymentMethod {
    Cash,
    Transfer,
    Card,
    /// Through a Stripe Checkout link; recorded when Stripe reports it.
    Stripe,
}

pub struct Event(pub events::Event);

#[Object]
impl Event {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// boda, xv_anos, corporativo… as the business names them.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn status(&self) -> async_graphql::Result<EventStatus> {
        stored(events::EventStatus::from_stored, &self.0.status)
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
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    /// The accepted proposal it was made from.
    async fn proposal_id(&self) -> Option<ID> {
        self.0.proposal_id.map(Into::into)
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// Minutes its staff need to get there and back, either side of the event.
    async fn travel_minutes(&self) -> i32 {
        self.0.travel_minutes
    }
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn package(&self) -> Option<&str> {
        self.0.package.as_deref()
    }
    async fn price(&self) -> Money {
        money(self.0.price_minor, &self.0.currency)
    }
    async fn deposit(&self) -> Money {
        money(self.0.deposit_minor, &self.0.currency)
    }
    async fn deposit_due_on(&self) -> Option<NaiveDate> {
        self.0.deposit_due_on
    }
    async fn balance_due_on(&self) -> Option<NaiveDate> {
        self.0.balance_due_on
    }
    async fn paid(&self) -> Money {
        money(self.0.paid_minor, &self.0.currency)
    }
    async fn balance(&self) -> Money {
        money(self.0.price_minor - self.0.paid_minor, &self.0.currency)
    }
    /// The Stripe Checkout page for what it asks for now, once asked for.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn staff(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventStaff>> {
        Ok(load::<EventStaffLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(EventStaff)
            .collect())
    }
    async fn equipment(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventEquipment>> {
        Ok(load::<EventEquipmentLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(EventEquipment)
            .collect())
    }
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventPayment>> {
        Ok(load::<EventPaymentsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(EventPayment)
            .collect())
    }
    /// The run sheet, in order.
    async fn checklist(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventTask>> {
        Ok(load::<EventTasksLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(EventTask)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct EventStaff(pub events::EventStaff);

#[Object]
impl EventStaff {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn event_id(&self) -> ID {
        self.0.event_id.into()
    }
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    /// dj, technician, host…
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// When the person leaves for the event, travel included.
    async fn away_from(&self) -> DateTime<Utc> {
        self.0.block_starts_at
    }
    /// When the person is back.
    async fn away_until(&self) -> DateTime<Utc> {
        self.0.block_ends_at
    }
}

pub struct EventEquipment(pub events::EventEquipment);

#[Object]
impl EventEquipment {
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
}

pub struct EventPayment(pub events::EventPayment);

#[Object]
impl EventPayment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<EventPaymentKind> {
        stored(events::EventPaymentKind::from_stored, &self.0.kind)
    }
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.0.currency)
    }
    async fn method(&self) -> async_graphql::Result<EventPaymentMethod> {
        stored(events::EventPaymentMethod::from_stored, &self.0.method)
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn paid_at(&self) -> DateTime<Utc> {
        self.0.paid_at
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.recorded_by).await
    }
}

pub struct EventTask(pub events::EventTask);

#[Object]
impl EventTask {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    async fn done(&self) -> bool {
        self.0.done_at.is_some()
    }
    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }
    async fn done_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.done_by).await
    }
}

#[derive(InputObject)]
pub struct CreateEventInput {
    pub title: Option<String>,
    /// boda, xv_anos, corporativo…
    pub kind: String,
    pub contact_id: Option<ID>,
    pub company_id: Option<ID>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Minutes to get there and back, either side; 0 by default.
    pub travel_minutes: Option<i32>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub package: Option<String>,
    /// Taxes included; from the proposal when made from one.
    pub price: Option<Decimal>,
    pub deposit: Option<Decimal>,
    pub deposit_due_on: Option<NaiveDate>,
    pub balance_due_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

impl CreateEventInput {
    fn into_domain(self) -> async_graphql::Result<events::EventInput> {
        let id = |v: Option<ID>, field| -> async_graphql::Result<Option<Option<uuid::Uuid>>> {
            v.map(|id| parse_id(&id, field).map(Some)).transpose()
        };
        Ok(events::EventInput {
            title: self.title,
            kind: Some(self.kind),
            contact_id: id(self.contact_id, "contactId")?,
            company_id: id(self.company_id, "companyId")?,
            starts_at: Some(self.starts_at),
            ends_at: Some(self.ends_at),
            travel_minutes: self.travel_minutes,
            venue: self.venue.map(Some),
            address: self.address.map(Some),
            package: self.package.map(Some),
            price: self.price,
            deposit: self.deposit,
            deposit_due_on: self.deposit_due_on.map(Some),
            balance_due_on: self.balance_due_on.map(Some),
            notes: self.notes.map(Some),
        })
    }
}

#[derive(InputObject)]
pub struct UpdateEventInput {
    pub id: ID,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub contact_id: MaybeUndefined<ID>,
    pub company_id: MaybeUndefined<ID>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub travel_minutes: Option<i32>,
    pub venue: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub package: MaybeUndefined<String>,
    pub price: Option<Decimal>,
    pub deposit: Option<Decimal>,
    pub deposit_due_on: MaybeUndefined<NaiveDate>,
    pub balance_due_on: MaybeUndefined<NaiveDate>,
    pub notes: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct EventsQuery;

#[Object]
impl EventsQuery {
    /// Events starting in `[from, to)` (at most 400 days), by time.
    async fn events(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        status: Option<EventStatus>,
    ) -> async_graphql::Result<Vec<Event>> {
        Ok(
            events::between(deps(ctx)?, tenant(ctx)?, from, to, status.map(Into::into))
                .await
                .gql()?
                .into_iter()
                .map(Event)
                .collect(),
        )
    }

    async fn event(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Event> {
        let id = parse_id(&id, "id")?;
        Ok(Event(
            events::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}

#[derive(Default)]
pub struct EventsMutation;

#[Object]
impl EventsMutation {
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        input: CreateEventInput,
    ) -> async_graphql::Result<Event> {
        let input = input.into_domain()?;
        Ok(Event(
            events::create(deps(ctx)?, tenant(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    /// An event for an accepted proposal: its client, title and total, and the date given.
    async fn create_event_from_proposal(
        &self,
        ctx: &Context<'_>,
        proposal_id: ID,
        input: CreateEventInput,
    ) -> async_graphql::Result<Event> {
        let proposal = parse_id(&proposal_id, "proposalId")?;
        let input = input.into_domain()?;
        Ok(Event(
            events::create_from_proposal(deps(ctx)?, tenant(ctx)?, proposal, input)
                .await
                .gql()?,
        ))
    }

    /// Changes an event; new hours move its staff and equipment, which must still be free.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        input: UpdateEventInput,
    ) -> async_graphql::Result<Event> {
        let id = parse_id(&input.id, "id")?;
        let change = events::EventInput {
            title: input.title,
            kind: input.kind,
            contact_id: maybe_id(input.contact_id, "contactId")?,
            company_id: maybe_id(input.company_id, "companyId")?,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            travel_minutes: input.travel_minutes,
            venue: maybe(input.venue),
            address: maybe(input.address),
            package: maybe(input.package),
            price: input.price,
            deposit: input.deposit,
            deposit_due_on: maybe(input.deposit_due_on),
            balance_due_on: maybe(input.balance_due_on),
            notes: maybe(input.notes),
        };
        Ok(Event(
            events::update(deps(ctx)?, tenant(ctx)?, id, change)
                .await
                .gql()?,
        ))
    }

    /// tentative → confirmed → done → closed, or cancelled (which frees its staff and
    /// equipment).
    async fn set_event_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: EventStatus,
    ) -> async_graphql::Result<Event> {
        let id = parse_id(&id, "id")?;
        Ok(Event(
            events::set_status(deps(ctx)?, tenant(ctx)?, id, status.into())
                .await
                .gql()?,
        ))
    }

    /// Puts a person on an event in a role, or changes their role; they must be free for
    /// the event's hours and its travel either side.
    async fn assign_event_staff(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        resource_id: ID,
        role: String,
    ) -> async_graphql::Result<Vec<EventStaff>> {
        let event = parse_id(&event_id, "eventId")?;
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(
            events::assign_staff(deps(ctx)?, tenant(ctx)?, event, resource, &role)
                .await
                .gql()?
                .into_iter()
                .map(EventStaff)
                .collect(),
        )
    }

    async fn remove_event_staff(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        resource_id: ID,
    ) -> async_graphql::Result<Vec<EventStaff>> {
        let event = parse_id(&event_id, "eventId")?;
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(
            events::unassign_staff(deps(ctx)?, tenant(ctx)?, event, resource)
                .await
                .gql()?
                .into_iter()
                .map(EventStaff)
                .collect(),
        )
    }

    /// Reserves a quantity of a piece of equipment for the event (0 releases it), never
    /// more than the business owns free at that time.
    async fn reserve_event_equipment(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        resource_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<Vec<EventEquipment>> {
        let event = parse_id(&event_id, "eventId")?;
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(
            events::reserve_equipment(deps(ctx)?, tenant(ctx)?, event, resource, quantity)
                .await
                .gql()?
                .into_iter()
                .map(EventEquipment)
                .collect(),
        )
    }

    /// Money received by hand; the deposit in full confirms a tentative event.
    async fn record_event_payment(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        amount: Decimal,
        method: EventPaymentMethod,
        reference: Option<String>,
    ) -> async_graphql::Result<Event> {
        let event = parse_id(&event_id, "eventId")?;
        Ok(Event(
            events::record_payment(
                deps(ctx)?,
                tenant(ctx)?,
                event,
                amount,
                method.into(),
                reference,
            )
            .await
            .gql()?,
        ))
    }

    /// A Stripe Checkout link for what the event asks for now: the rest of the deposit,
    /// then the balance.
    async fn create_event_checkout_link(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Event> {
        let id = parse_id(&id, "id")?;
        Ok(Event(
            events::checkout_link(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    async fn add_event_task(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        title: String,
        due_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<EventTask> {
        let event = parse_id(&event_id, "eventId")?;
        Ok(EventTask(
            events::add_task(deps(ctx)?, tenant(ctx)?, event, &title, due_at)
                .await
                .gql()?,
        ))
    }

    async fn set_event_task_done(
        &self,
        ctx: &Context<'_>,
        id: ID,
        done: bool,
    ) -> async_graphql::Result<EventTask> {
        let id = parse_id(&id, "id")?;
        Ok(EventTask(
            events::set_task_done(deps(ctx)?, tenant(ctx)?, id, done)
                .await
                .gql()?,
        ))
    }

    async fn remove_event_task(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let id = parse_id(&id, "id")?;
        events::remove_task(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()
    }
}
