//! GraphQL of staff pay: rules, payroll periods, and each person's own schedule and
//! statements.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::scheduling::payroll;

use crate::graphql::common::{Money, money, stored, user};
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::loaders::{EventLoader, PayrollLinesLoader, ResourceLoader, load};
use crate::graphql::scheduling::{Appointment, Event, EventStaff, Resource};
use crate::graphql::tenancy::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payroll::PayBasis")]
pub enum PayBasis {
    /// A fee per event or appointment.
    Fixed,
    Hourly,
    /// A share of the event's or appointment's price.
    Percent,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payroll::PayAppliesTo")]
pub enum PayAppliesTo {
    Events,
    Appointments,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payroll::PayrollFrequency")]
pub enum PayrollFrequency {
    Weekly,
    Fortnightly,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payroll::PayrollStatus")]
pub enum PayrollStatus {
    Draft,
    Approved,
    Paid,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "payroll::PayLineKind")]
pub enum PayLineKind {
    Event,
    Appointment,
    Bonus,
    Deduction,
}

pub struct PayRule(pub payroll::PayRule);

#[Object]
impl PayRule {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    async fn applies_to(&self) -> async_graphql::Result<PayAppliesTo> {
        stored(payroll::PayAppliesTo::from_stored, &self.0.applies_to)
    }
    /// The event role it pays; any role when null.
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    async fn basis(&self) -> async_graphql::Result<PayBasis> {
        stored(payroll::PayBasis::from_stored, &self.0.basis)
    }
    /// The fee (fixed) or the rate per hour (hourly), in minor units of the business's
    /// currency.
    async fn amount_minor(&self) -> i64 {
        self.0.amount_minor
    }
    /// Percent of the work's value (percent).
    async fn percent(&self) -> Decimal {
        Decimal::new(i64::from(self.0.percent_bp), 2)
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

pub struct PayrollPeriod(pub payroll::PayrollPeriod);

#[Object]
impl PayrollPeriod {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn frequency(&self) -> async_graphql::Result<PayrollFrequency> {
        stored(payroll::PayrollFrequency::from_stored, &self.0.frequency)
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    async fn status(&self) -> async_graphql::Result<PayrollStatus> {
        stored(payroll::PayrollStatus::from_stored, &self.0.status)
    }
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }
    async fn approved_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.approved_by).await
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn payment_reference(&self) -> Option<&str> {
        self.0.payment_reference.as_deref()
    }
    /// Every line, by person and date (a person's own, for someone who only sees theirs).
    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PayLine>> {
        let currency = &self.0.currency;
        Ok(load::<PayrollLinesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|l| PayLine(l, currency.clone()))
            .collect())
    }
    /// The period as CSV: one row per line, then each person's total.
    async fn csv(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        payroll::csv(deps(ctx)?, tenant(ctx)?, self.0.id)
            .await
            .gql()
    }
}

/// A line of pay, with the period's currency.
pub struct PayLine(pub payroll::PayLine, pub String);

#[Object]
impl PayLine {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn resource(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resource>> {
        Ok(load::<ResourceLoader>(ctx, self.0.resource_id)
            .await?
            .map(Resource))
    }
    async fn kind(&self) -> async_graphql::Result<PayLineKind> {
        stored(payroll::PayLineKind::from_stored, &self.0.kind)
    }
    async fn event(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Event>> {
        Ok(match self.0.event_id {
            Some(id) => load::<EventLoader>(ctx, id).await?.map(Event),
            None => None,
        })
    }
    async fn appointment_id(&self) -> Option<ID> {
        self.0.appointment_id.map(Into::into)
    }
    async fn worked_on(&self) -> NaiveDate {
        self.0.worked_on
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn minutes(&self) -> Option<i32> {
        self.0.minutes
    }
    /// Negative for a deduction.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    /// Why an adjustment was made.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

/// A person's pay in one approved or paid period.
pub struct PayStatement(payroll::Statement);

#[Object]
impl PayStatement {
    async fn period(&self) -> PayrollPeriod {
        PayrollPeriod(self.0.period.clone())
    }
    async fn resource(&self) -> Resource {
        Resource(self.0.resource.clone())
    }
    async fn lines(&self) -> Vec<PayLine> {
        self.0
            .lines
            .iter()
            .map(|l| PayLine(l.clone(), self.0.period.currency.clone()))
            .collect()
    }
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.period.currency)
    }
}

/// What the caller works: their appointments and their places at events.
pub struct MySchedule(payroll::MySchedule);

#[Object]
impl MySchedule {
    async fn appointments(&self) -> Vec<Appointment> {
        self.0
            .appointments
            .iter()
            .cloned()
            .map(Appointment)
            .collect()
    }
    async fn events(&self) -> Vec<ScheduledEvent> {
        self.0
            .events
            .iter()
            .map(|(place, event)| ScheduledEvent {
                place: place.clone(),
                event: event.clone(),
            })
            .collect()
    }
}

/// A place at an event, with the event.
pub struct ScheduledEvent {
    place: tianguis_domain::scheduling::events::EventStaff,
    event: tianguis_domain::scheduling::events::Event,
}

#[Object]
impl ScheduledEvent {
    async fn assignment(&self) -> EventStaff {
        EventStaff(self.place.clone())
    }
    async fn event(&self) -> Event {
        Event(self.event.clone())
    }
}

#[derive(InputObject)]
pub struct CreatePayRuleInput {
    /// A staff resource.
    pub resource_id: ID,
    pub applies_to: PayAppliesTo,
    /// The event role it pays (dj, technician…); any role when absent.
    pub role: Option<String>,
    pub basis: PayBasis,
    /// The fee (fixed) or the rate per hour (hourly).
    pub amount: Option<Decimal>,
    /// Percent of the work's value (percent), e.g. 12.5.
    pub percent: Option<Decimal>,
}

#[derive(Default)]
pub struct PayrollQuery;

#[Object]
impl PayrollQuery {
    /// Active pay rules, of one person or everyone.
    async fn pay_rules(
        &self,
        ctx: &Context<'_>,
        resource_id: Option<ID>,
    ) -> async_graphql::Result<Vec<PayRule>> {
        let resource = resource_id
            .map(|id| parse_id(&id, "resourceId"))
            .transpose()?;
        Ok(payroll::rules(deps(ctx)?, tenant(ctx)?, resource)
            .await
            .gql()?
            .into_iter()
            .map(PayRule)
            .collect())
    }

    /// Payroll periods, newest first.
    async fn payroll_periods(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PayrollPeriod>> {
        Ok(payroll::periods(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(PayrollPeriod)
            .collect())
    }

    async fn payroll_period(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PayrollPeriod> {
        let id = parse_id(&id, "id")?;
        Ok(PayrollPeriod(
            payroll::period(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// The caller's own pay from approved and paid periods, newest first.
    async fn my_pay_statements(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PayStatement>> {
        Ok(payroll::my_statements(deps(ctx)?, tenant(ctx)?)
            .await
            .gql()?
            .into_iter()
            .map(PayStatement)
            .collect())
    }

    /// What the caller works in `[from, to)`: appointments and events.
    async fn my_schedule(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<MySchedule> {
        Ok(MySchedule(
            payroll::my_schedule(deps(ctx)?, tenant(ctx)?, from, to)
                .await
                .gql()?,
        ))
    }
}

#[derive(Default)]
pub struct PayrollMutation;

#[Object]
impl PayrollMutation {
    async fn create_pay_rule(
        &self,
        ctx: &Context<'_>,
        input: CreatePayRuleInput,
    ) -> async_graphql::Result<PayRule> {
        let rule = payroll::PayRuleInput {
            resource_id: parse_id(&input.resource_id, "resourceId")?,
            applies_to: input.applies_to.into(),
            role: input.role,
            basis: input.basis.into(),
            amount: input.amount,
            percent: input.percent,
        };
        Ok(PayRule(
            payroll::create_rule(deps(ctx)?, tenant(ctx)?, rule)
                .await
                .gql()?,
        ))
    }

    /// Stops a rule paying future periods.
    async fn retire_pay_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PayRule> {
        let id = parse_id(&id, "id")?;
        Ok(PayRule(
            payroll::retire_rule(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Opens the period starting `startsOn` and computes it from completed events and
    /// appointments not paid in another period.
    async fn open_payroll_period(
        &self,
        ctx: &Context<'_>,
        frequency: PayrollFrequency,
        starts_on: NaiveDate,
    ) -> async_graphql::Result<PayrollPeriod> {
        Ok(PayrollPeriod(
            payroll::open_period(deps(ctx)?, tenant(ctx)?, frequency.into(), starts_on)
                .await
                .gql()?,
        ))
    }

    /// Computes a draft period again.
    async fn recompute_payroll_period(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PayrollPeriod> {
        let id = parse_id(&id, "id")?;
        Ok(PayrollPeriod(
            payroll::recompute(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// A bonus or a deduction, with its reason, in a draft period.
    async fn add_payroll_adjustment(
        &self,
        ctx: &Context<'_>,
        period_id: ID,
        resource_id: ID,
        kind: PayLineKind,
        amount: Decimal,
        reason: String,
    ) -> async_graphql::Result<PayrollPeriod> {
        let period = parse_id(&period_id, "periodId")?;
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(PayrollPeriod(
            payroll::adjust(
                deps(ctx)?,
                tenant(ctx)?,
                period,
                resource,
                kind.into(),
                amount,
                &reason,
            )
            .await
            .gql()?,
        ))
    }

    async fn remove_payroll_adjustment(
        &self,
        ctx: &Context<'_>,
        line_id: ID,
    ) -> async_graphql::Result<PayrollPeriod> {
        let line = parse_id(&line_id, "lineId")?;
        Ok(PayrollPeriod(
            payroll::remove_adjustment(deps(ctx)?, tenant(ctx)?, line)
                .await
                .gql()?,
        ))
    }

    async fn approve_payroll_period(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PayrollPeriod> {
        let id = parse_id(&id, "id")?;
        Ok(PayrollPeriod(
            payroll::approve(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Records an approved period as paid, with the transfer's reference.
    async fn mark_payroll_paid(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reference: String,
    ) -> async_graphql::Result<PayrollPeriod> {
        let id = parse_id(&id, "id")?;
        Ok(PayrollPeriod(
            payroll::mark_paid(deps(ctx)?, tenant(ctx)?, id, &reference)
                .await
                .gql()?,
        ))
    }

    /// A person's pay statement for the period as a PDF, kept among the period's files:
    /// for a payroll manager, or for the person once the period is approved.
    async fn render_payroll_statement_pdf(
        &self,
        ctx: &Context<'_>,
        period_id: ID,
        resource_id: ID,
    ) -> async_graphql::Result<crate::graphql::documents::PrintedFile> {
        let period = parse_id(&period_id, "periodId")?;
        let resource = parse_id(&resource_id, "resourceId")?;
        Ok(crate::graphql::documents::PrintedFile(
            payroll::statement_pdf(deps(ctx)?, tenant(ctx)?, period, resource)
                .await
                .gql()?,
        ))
    }
}
