//! Staff pay: rules per person (a fee per event by role, per hour, or a percentage of the
//! work's value), weekly or fortnightly periods computed from completed events and
//! appointments, adjustments with a reason, approval and payment.
//!
//! A piece of work (a person's place at an event, an appointment) is paid once: its line
//! carries a key unique across all periods, so a later period, or two computed at once,
//! leaves out what another period already holds. Work completed late (after its week was
//! computed) falls into the next period computed, up to [`LATE_DAYS`] back.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tianguis_entity::scheduling::{
    appointments, event_staff, events, pay_rules, payroll_lines, payroll_periods, resources,
    services,
};
use tianguis_kernel::rules::{from_minor, money_minor, required_text};
use uuid::Uuid;

use crate::db::{TenantTx, stamped, tenant_region};
use crate::setup::Resource;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use pay_rules::Model as PayRule;
pub use payroll_lines::Model as PayLine;
pub use payroll_periods::Model as PayrollPeriod;

/// How far back unpaid work is picked up by a period.
pub const LATE_DAYS: i64 = 90;

tianguis_kernel::stored_enum! {
    pub enum PayBasis {
        /// A fee per event or appointment.
        Fixed = "fixed",
        Hourly = "hourly",
        /// A share of the event's or appointment's price.
        Percent = "percent",
    }
}

tianguis_kernel::stored_enum! {
    pub enum PayAppliesTo {
        Events = "events",
        Appointments = "appointments",
    }
}

tianguis_kernel::stored_enum! {
    pub enum PayrollFrequency {
        Weekly = "weekly",
        Fortnightly = "fortnightly",
    }
}

impl PayrollFrequency {
    fn days(self) -> i64 {
        match self {
            PayrollFrequency::Weekly => 7,
            PayrollFrequency::Fortnightly => 14,
        }
    }
}

tianguis_kernel::stored_enum! {
    pub enum PayrollStatus {
        Draft = "draft",
        Approved = "approved",
        Paid = "paid",
    }
}

tianguis_kernel::stored_enum! {
    pub enum PayLineKind {
        Event = "event",
        Appointment = "appointment",
        Bonus = "bonus",
        Deduction = "deduction",
    }
}

fn require_manage(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::PayrollManage)
}

// ---- rules ----

#[derive(Clone, Debug)]
pub struct PayRuleInput {
    pub resource_id: Uuid,
    pub applies_to: PayAppliesTo,
    /// The event role it pays; any role when absent.
    pub role: Option<String>,
    pub basis: PayBasis,
    /// The fee (fixed) or the rate per hour (hourly).
    pub amount: Option<Decimal>,
    /// Percent of the work's value (percent), e.g. 12.5.
    pub percent: Option<Decimal>,
}

pub async fn create_rule(deps: &Deps, ctx: &TenantCtx, input: PayRuleInput) -> Result<PayRule> {
    require_manage(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let resource = tx
        .get::<resources::Entity>(input.resource_id, "resource")
        .await
        .map_err(|_| Error::invalid("resourceId", "no such resource"))?;
    if resource.kind != crate::setup::ResourceKind::Staff.key() {
        return Err(Error::invalid("resourceId", "only people are paid"));
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let role = match input.role.as_deref() {
        Some(role) if input.applies_to == PayAppliesTo::Events => {
            Some(required_text(role, "role", 60)?.to_lowercase())
        }
        Some(_) => return Err(Error::invalid("role", "roles belong to events")),
        None => None,
    };
    let (amount_minor, percent_bp) = match input.basis {
        PayBasis::Fixed | PayBasis::Hourly => {
            let amount = input.amount.ok_or_else(|| {
                Error::invalid("amount", "a fee or an hourly rate needs an amount")
            })?;
            (money_minor(amount, &currency, "amount")?, 0)
        }
        PayBasis::Percent => {
            let percent = input
                .percent
                .ok_or_else(|| Error::invalid("percent", "a percentage rule needs a percent"))?;
            if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                return Err(Error::invalid("percent", "more than 0 and at most 100"));
            }
            let bp = (percent * Decimal::ONE_HUNDRED).round();
            (0, bp.to_i32().unwrap_or(10_000))
        }
    };
    let rule = tx
        .insert(pay_rules::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            resource_id: Set(resource.id),
            applies_to: Set(input.applies_to.key().into()),
            role: Set(role),
            basis: Set(input.basis.key().into()),
            amount_minor: Set(amount_minor),
            percent_bp: Set(percent_bp),
            active: Set(true),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.pay_rule.created",
        ("pay_rule", Some(rule.id)),
        serde_json::json!({
            "resourceId": rule.resource_id,
            "appliesTo": rule.applies_to,
            "role": rule.role,
            "basis": rule.basis,
            "amountMinor": rule.amount_minor,
            "percentBp": rule.percent_bp,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

/// Stops a rule paying future periods; periods computed already keep their lines.
pub async fn retire_rule(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PayRule> {
    require_manage(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rule = tx.get::<pay_rules::Entity>(id, "pay rule").await?;
    let mut model: pay_rules::ActiveModel = rule.into();
    model.active = Set(false);
    let rule = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.pay_rule.retired",
        ("pay_rule", Some(id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn rules(deps: &Deps, ctx: &TenantCtx, resource: Option<Uuid>) -> Result<Vec<PayRule>> {
    require_manage(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx
        .select::<pay_rules::Entity>()
        .filter(pay_rules::Column::Active.eq(true));
    if let Some(resource) = resource {
        select = select.filter(pay_rules::Column::ResourceId.eq(resource));
    }
    let found = select.order_by_asc(pay_rules::Column::Id).all(&*tx).await?;
    tx.commit().await?;
    Ok(found)
}

// ---- computing ----

/// What a rule pays for work of `minutes` worth `value`.
fn pay_for(rule: &PayRule, minutes: i64, value: i64) -> Result<i64> {
    Ok(match PayBasis::from_stored(&rule.basis)? {
        PayBasis::Fixed => rule.amount_minor,
        PayBasis::Hourly => (Decimal::from(rule.amount_minor) * Decimal::from(minutes)
            / Decimal::from(60))
        .round()
        .try_into()
        .unwrap_or(i64::MAX),
        PayBasis::Percent => (Decimal::from(value) * Decimal::from(rule.percent_bp)
            / Decimal::from(10_000))
        .round()
        .try_into()
        .unwrap_or(i64::MAX),
    })
}

/// The rule that pays a person's work: for an event, the one for their role before one
/// for any role.
fn rule_for<'a>(
    rules: &'a [PayRule],
    resource: Uuid,
    applies_to: PayAppliesTo,
    role: Option<&str>,
) -> Option<&'a PayRule> {
    let mine = || {
        rules
            .iter()
            .filter(move |r| r.resource_id == resource && r.applies_to == applies_to.key())
    };
    mine()
        .find(|r| r.role.is_some() && r.role.as_deref() == role)
        .or_else(|| mine().find(|r| r.role.is_none()))
}

/// The UTC instants that bound the business's calendar days `from..=to`.
fn local_bounds(
    zone: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_local_timezone(zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    };
    (midnight(from), midnight(to + TimeDelta::days(1)))
}

/// Replaces a draft period's computed lines with the unpaid work done up to its end.
async fn compute(tx: &TenantTx, period: &PayrollPeriod) -> Result<()> {
    payroll_lines::Entity::delete_many()
        .filter(payroll_lines::Column::TenantId.eq(tx.tenant_id()))
        .filter(payroll_lines::Column::PeriodId.eq(period.id))
        .filter(payroll_lines::Column::WorkKey.is_not_null())
        .exec(&**tx)
        .await?;
    let zone: chrono_tz::Tz = tenant_region(&**tx, tx.tenant_id())
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let (_, until) = local_bounds(zone, period.starts_on, period.ends_on);
    let since = until - TimeDelta::days(period_days(period) + LATE_DAYS);
    let rules = tx
        .select::<pay_rules::Entity>()
        .filter(pay_rules::Column::Active.eq(true))
        .all(&**tx)
        .await?;
    if rules.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    let worked = tx
        .select::<events::Entity>()
        .filter(events::Column::Status.is_in(["done", "closed"]))
        .filter(events::Column::StartsAt.gte(since))
        .filter(events::Column::StartsAt.lt(until))
        .all(&**tx)
        .await?;
    let by_id: HashMap<Uuid, &events::Model> = worked.iter().map(|e| (e.id, e)).collect();
    let staff = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::EventId.is_in(by_id.keys().copied()))
        .filter(event_staff::Column::Active.eq(true))
        .all(&**tx)
        .await?;
    for person in staff {
        let Some(event) = by_id.get(&person.event_id) else {
            continue;
        };
        let Some(rule) = rule_for(
            &rules,
            person.resource_id,
            PayAppliesTo::Events,
            Some(&person.role),
        ) else {
            continue;
        };
        let minutes = (event.ends_at - event.starts_at).num_minutes();
        lines.push(Line {
            resource_id: person.resource_id,
            kind: PayLineKind::Event,
            work_key: format!("event_staff:{}", person.id),
            event_id: Some(event.id),
            appointment_id: None,
            worked_on: event.starts_at.with_timezone(&zone).date_naive(),
            description: format!("{} · {}", event.title, person.role),
            minutes,
            amount: pay_for(rule, minutes, event.price_minor)?,
            rule_id: rule.id,
        });
    }
    let done = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::Status.eq("completed"))
        .filter(appointments::Column::StartsAt.gte(since))
        .filter(appointments::Column::StartsAt.lt(until))
        .all(&**tx)
        .await?;
    let service_ids: Vec<Uuid> = done.iter().map(|a| a.service_id).collect();
    let names = tx.get_many::<services::Entity>(&service_ids).await?;
    for a in done {
        let Some(rule) = rule_for(&rules, a.resource_id, PayAppliesTo::Appointments, None) else {
            continue;
        };
        let minutes = (a.ends_at - a.starts_at).num_minutes();
        lines.push(Line {
            resource_id: a.resource_id,
            kind: PayLineKind::Appointment,
            work_key: format!("appointment:{}", a.id),
            event_id: None,
            appointment_id: Some(a.id),
            worked_on: a.starts_at.with_timezone(&zone).date_naive(),
            description: names
                .get(&a.service_id)
                .map_or_else(|| "Cita".to_owned(), |s| s.name.clone()),
            minutes,
            amount: pay_for(rule, minutes, a.price_minor)?,
            rule_id: rule.id,
        });
    }
    if lines.is_empty() {
        return Ok(());
    }
    // Work another period holds is skipped by its key, also when that period is being
    // computed at this moment.
    for chunk in lines.chunks(500) {
        payroll_lines::Entity::insert_many(chunk.iter().map(|l| {
            stamped(
                tx.now(),
                payroll_lines::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    period_id: Set(period.id),
                    resource_id: Set(l.resource_id),
                    kind: Set(l.kind.key().into()),
                    work_key: Set(Some(l.work_key.clone())),
                    event_id: Set(l.event_id),
                    appointment_id: Set(l.appointment_id),
                    worked_on: Set(l.worked_on),
                    description: Set(l.description.clone()),
                    minutes: Set(i32::try_from(l.minutes).ok()),
                    amount_minor: Set(l.amount),
                    rule_id: Set(Some(l.rule_id)),
                    reason: Set(None),
                    created_by: Set(None),
                    ..Default::default()
                },
            )
        }))
        .on_conflict(
            OnConflict::columns([
                payroll_lines::Column::TenantId,
                payroll_lines::Column::WorkKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&**tx)
        .await?;
    }
    Ok(())
}

struct Line {
    resource_id: Uuid,
    kind: PayLineKind,
    work_key: String,
    event_id: Option<Uuid>,
    appointment_id: Option<Uuid>,
    worked_on: NaiveDate,
    description: String,
    minutes: i64,
    amount: i64,
    rule_id: Uuid,
}

fn period_days(period: &PayrollPeriod) -> i64 {
    (period.ends_on - period.starts_on).num_days() + 1
}

/// Sets the period's total from its lines.
async fn total(tx: &TenantTx, period: PayrollPeriod) -> Result<PayrollPeriod> {
    let sum: i64 = lines_in(tx, period.id)
        .await?
        .iter()
        .map(|l| l.amount_minor)
        .sum();
    let mut model: payroll_periods::ActiveModel = period.into();
    model.total_minor = Set(sum);
    tx.update(model).await.map_err(Into::into)
}

async fn lines_in(tx: &TenantTx, period: Uuid) -> Result<Vec<PayLine>> {
    Ok(tx
        .select::<payroll_lines::Entity>()
        .filter(payroll_lines::Column::PeriodId.eq(period))
        .order_by_asc(payroll_lines::Column::ResourceId)
        .order_by_asc(payroll_lines::Column::WorkedOn)
        .order_by_asc(payroll_lines::Column::Id)
        .all(&**tx)
        .await?)
}

async fn record(tx: &mut TenantTx, ctx: &TenantCtx, action: &str, p: &PayrollPeriod) -> Result<()> {
    audit::record(
        tx,
        ctx,
        action,
        ("payroll_period", Some(p.id)),
        serde_json::json!({
            "startsOn": p.starts_on,
            "endsOn": p.ends_on,
            "status": p.status,
            "totalMinor": p.total_minor,
            "paymentReference": p.payment_reference,
        }),
    )
    .await
}

// ---- periods ----

/// Opens the period starting `starts_on` and computes it; periods do not overlap.
pub async fn open_period(
    deps: &Deps,
    ctx: &TenantCtx,
    frequency: PayrollFrequency,
    starts_on: NaiveDate,
) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let ends_on = starts_on + TimeDelta::days(frequency.days() - 1);
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let overlapping = tx
        .select::<payroll_periods::Entity>()
        .filter(payroll_periods::Column::StartsOn.lte(ends_on))
        .filter(payroll_periods::Column::EndsOn.gte(starts_on))
        .one(&*tx)
        .await?;
    if let Some(other) = overlapping {
        return Err(Error::conflict(
            "startsOn",
            format!(
                "the period {} to {} covers some of these days",
                other.starts_on, other.ends_on
            ),
        ));
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let period = tx
        .insert(payroll_periods::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            frequency: Set(frequency.key().into()),
            starts_on: Set(starts_on),
            ends_on: Set(ends_on),
            status: Set(PayrollStatus::Draft.key().into()),
            currency: Set(currency),
            total_minor: Set(0),
            approved_at: Set(None),
            approved_by: Set(None),
            paid_at: Set(None),
            payment_reference: Set(None),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            crate::error::conflict_on(
                e,
                "ux_payroll_periods_start",
                "payroll_periods.tenant_id, payroll_periods.starts_on",
                "startsOn",
                "a period starts on that day",
            )
        })?;
    compute(&tx, &period).await?;
    let period = total(&tx, period).await?;
    record(&mut tx, ctx, "scheduling.payroll.opened", &period).await?;
    tx.commit().await?;
    Ok(period)
}

async fn draft(tx: &TenantTx, id: Uuid) -> Result<PayrollPeriod> {
    let period = tx
        .get::<payroll_periods::Entity>(id, "payroll period")
        .await?;
    if period.status != PayrollStatus::Draft.key() {
        return Err(Error::conflict(
            "id",
            format!("a {} period stays as it is", period.status),
        ));
    }
    Ok(period)
}

/// Computes a draft period again, after work was completed or rules changed.
pub async fn recompute(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = draft(&tx, id).await?;
    compute(&tx, &period).await?;
    let period = total(&tx, period).await?;
    record(&mut tx, ctx, "scheduling.payroll.recomputed", &period).await?;
    tx.commit().await?;
    Ok(period)
}

/// A bonus or a deduction for a person in a draft period, with its reason.
pub async fn adjust(
    deps: &Deps,
    ctx: &TenantCtx,
    period_id: Uuid,
    resource_id: Uuid,
    kind: PayLineKind,
    amount: Decimal,
    reason: &str,
) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    if !matches!(kind, PayLineKind::Bonus | PayLineKind::Deduction) {
        return Err(Error::invalid(
            "kind",
            "an adjustment is a bonus or a deduction",
        ));
    }
    let reason = required_text(reason, "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = draft(&tx, period_id).await?;
    tx.get::<resources::Entity>(resource_id, "resource")
        .await
        .map_err(|_| Error::invalid("resourceId", "no such resource"))?;
    let minor = money_minor(amount, &period.currency, "amount")?;
    if minor <= 0 {
        return Err(Error::invalid(
            "amount",
            "more than zero; the kind says which way",
        ));
    }
    tx.insert(payroll_lines::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        period_id: Set(period.id),
        resource_id: Set(resource_id),
        kind: Set(kind.key().into()),
        work_key: Set(None),
        event_id: Set(None),
        appointment_id: Set(None),
        worked_on: Set(period.ends_on),
        description: Set(match kind {
            PayLineKind::Bonus => "Bono".into(),
            _ => "Descuento".into(),
        }),
        minutes: Set(None),
        amount_minor: Set(if kind == PayLineKind::Deduction {
            -minor
        } else {
            minor
        }),
        rule_id: Set(None),
        reason: Set(Some(reason)),
        created_by: Set(ctx.actor_user()),
        ..Default::default()
    })
    .await?;
    let period = total(&tx, period).await?;
    record(&mut tx, ctx, "scheduling.payroll.adjusted", &period).await?;
    tx.commit().await?;
    Ok(period)
}

/// Removes an adjustment from a draft period; computed work stays until the period is
/// computed again.
pub async fn remove_adjustment(
    deps: &Deps,
    ctx: &TenantCtx,
    line_id: Uuid,
) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let line = tx
        .get::<payroll_lines::Entity>(line_id, "payroll line")
        .await?;
    if line.work_key.is_some() {
        return Err(Error::invalid("id", "only adjustments are removed"));
    }
    let period = draft(&tx, line.period_id).await?;
    payroll_lines::Entity::delete_many()
        .filter(payroll_lines::Column::TenantId.eq(ctx.tenant_id))
        .filter(payroll_lines::Column::Id.eq(line_id))
        .exec(&*tx)
        .await?;
    let period = total(&tx, period).await?;
    record(&mut tx, ctx, "scheduling.payroll.adjusted", &period).await?;
    tx.commit().await?;
    Ok(period)
}

pub async fn approve(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = draft(&tx, id).await?;
    let period = total(&tx, period).await?;
    let mut model: payroll_periods::ActiveModel = period.into();
    model.status = Set(PayrollStatus::Approved.key().into());
    model.approved_at = Set(Some(tx.now()));
    model.approved_by = Set(ctx.actor_user());
    let period = tx.update(model).await?;
    record(&mut tx, ctx, "scheduling.payroll.approved", &period).await?;
    tx.commit().await?;
    Ok(period)
}

pub async fn mark_paid(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    reference: &str,
) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let reference = required_text(reference, "reference", 120)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = tx
        .get::<payroll_periods::Entity>(id, "payroll period")
        .await?;
    if period.status != PayrollStatus::Approved.key() {
        return Err(Error::conflict(
            "id",
            "a period is paid once it is approved",
        ));
    }
    let mut model: payroll_periods::ActiveModel = period.into();
    model.status = Set(PayrollStatus::Paid.key().into());
    model.paid_at = Set(Some(tx.now()));
    model.payment_reference = Set(Some(reference));
    let period = tx.update(model).await?;
    record(&mut tx, ctx, "scheduling.payroll.paid", &period).await?;
    tx.commit().await?;
    Ok(period)
}

pub async fn periods(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<PayrollPeriod>> {
    require_manage(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<payroll_periods::Entity>()
        .order_by_desc(payroll_periods::Column::StartsOn)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn period(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<PayrollPeriod> {
    require_manage(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .get::<payroll_periods::Entity>(id, "payroll period")
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// The lines of periods, for a loader: all of them for a payroll manager, a person's own
/// otherwise.
pub async fn lines_of(
    deps: &Deps,
    ctx: &TenantCtx,
    periods: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PayLine>>> {
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx
        .select::<payroll_lines::Entity>()
        .filter(payroll_lines::Column::PeriodId.is_in(periods.iter().copied()));
    if require_manage(ctx).is_err() {
        let mine = own_resources(&tx, ctx).await?;
        select = select.filter(payroll_lines::Column::ResourceId.is_in(mine.iter().map(|r| r.id)));
    }
    let rows = select
        .order_by_asc(payroll_lines::Column::ResourceId)
        .order_by_asc(payroll_lines::Column::WorkedOn)
        .order_by_asc(payroll_lines::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |l| Some(l.period_id)))
}

fn csv_field(value: &str) -> String {
    // A leading formula sign would run in a spreadsheet; a quote keeps it text.
    let value = if value.starts_with(['=', '+', '-', '@']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The period as CSV: one row per line, by person and date, then each person's total.
pub async fn csv(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<String> {
    require_manage(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = tx
        .get::<payroll_periods::Entity>(id, "payroll period")
        .await?;
    let lines = lines_in(&tx, id).await?;
    let people = tx
        .get_many::<resources::Entity>(&lines.iter().map(|l| l.resource_id).collect::<Vec<_>>())
        .await?;
    tx.commit().await?;
    let name = |id: Uuid| people.get(&id).map_or("", |r: &Resource| r.name.as_str());
    let mut sorted = lines;
    sorted.sort_by(|a, b| {
        (name(a.resource_id), a.worked_on, a.id).cmp(&(name(b.resource_id), b.worked_on, b.id))
    });
    let mut out = String::from("persona,fecha,tipo,concepto,minutos,importe,motivo\r\n");
    let mut totals: Vec<(Uuid, i64)> = Vec::new();
    for line in &sorted {
        match totals.last_mut() {
            Some((who, sum)) if *who == line.resource_id => *sum += line.amount_minor,
            _ => totals.push((line.resource_id, line.amount_minor)),
        }
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            csv_field(name(line.resource_id)),
            line.worked_on,
            line.kind,
            csv_field(&line.description),
            line.minutes.map(|m| m.to_string()).unwrap_or_default(),
            from_minor(line.amount_minor, &period.currency),
            csv_field(line.reason.as_deref().unwrap_or_default()),
        ));
    }
    for (who, sum) in totals {
        out.push_str(&format!(
            "{},,total,,,{},\r\n",
            csv_field(name(who)),
            from_minor(sum, &period.currency)
        ));
    }
    Ok(out)
}

/// A person's pay statement for a period as a PDF, kept among the period's files: for a
/// payroll manager, or for the person once the period is approved. Anyone else finds no
/// such statement.
pub async fn statement_pdf(
    deps: &Deps,
    ctx: &TenantCtx,
    period_id: Uuid,
    resource_id: Uuid,
) -> Result<tianguis_documents::files::Printed> {
    use tianguis_documents::files;
    use tianguis_documents::pdf::{Column, Document, PageSize, money};
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let period = tx
        .get::<payroll_periods::Entity>(period_id, "payroll statement")
        .await?;
    let person = tx
        .get::<resources::Entity>(resource_id, "payroll statement")
        .await?;
    if require_manage(ctx).is_err() {
        require_own(ctx)?;
        let own = own_resources(&tx, ctx).await?;
        if period.status == PayrollStatus::Draft.key() || !own.iter().any(|r| r.id == person.id) {
            return Err(Error::NotFound("payroll statement"));
        }
    }
    let lines: Vec<PayLine> = lines_in(&tx, period.id)
        .await?
        .into_iter()
        .filter(|l| l.resource_id == person.id)
        .collect();
    let business = tianguis_tenancy::tenants::branding(&*tx, ctx.tenant_id)
        .await?
        .0
        .name;
    let currency = period.currency.as_str();
    let amount = |minor: i64| money(from_minor(minor, currency), currency);
    let span = format!("{} a {}", period.starts_on, period.ends_on);
    let title = format!("Recibo de pago {span}");
    let mut doc = Document::new(PageSize::Letter, &title);
    doc.title("Recibo de pago");
    doc.strong(&business);
    doc.space(6.0);
    let status = match PayrollStatus::from_stored(&period.status)? {
        PayrollStatus::Draft => "Borrador",
        PayrollStatus::Approved => "Aprobado",
        PayrollStatus::Paid => "Pagado",
    };
    doc.fields(&[
        ("Persona", person.name.as_str()),
        ("Periodo", &span),
        ("Estado", status),
        (
            "Referencia de pago",
            period.payment_reference.as_deref().unwrap_or_default(),
        ),
    ]);
    doc.heading("Conceptos");
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let concept = match l.reason.as_deref() {
                Some(reason) if !reason.is_empty() => format!("{} ({reason})", l.description),
                _ => l.description.clone(),
            };
            vec![
                l.worked_on.to_string(),
                concept,
                l.minutes
                    .map(|m| format!("{}:{:02}", m / 60, m % 60))
                    .unwrap_or_default(),
                money(from_minor(l.amount_minor, currency), ""),
            ]
        })
        .collect();
    doc.table(
        &[
            Column::left("Fecha", 1.3),
            Column::left("Concepto", 5.0),
            Column::right("Horas", 0.9),
            Column::right("Importe", 1.5),
        ],
        &rows,
    );
    let total = amount(lines.iter().map(|l| l.amount_minor).sum());
    doc.totals(&[("Total", &total)]);
    let document = files::Generated {
        folder_kind: files::FolderKind::PayrollPeriod,
        folder_id: period.id,
        name: format!("Recibo de pago {span} {}.pdf", person.name),
        content_type: "application/pdf",
        bytes: doc.finish(),
    };
    let file = files::keep_generated(deps, &mut tx, &document).await?;
    tx.commit().await?;
    Ok(tianguis_documents::files::printed(deps, ctx, file))
}

// ---- a person's own ----

/// The staff resources behind the caller's login.
pub(crate) async fn own_resources(tx: &TenantTx, ctx: &TenantCtx) -> Result<Vec<Resource>> {
    let Some(user) = ctx.actor_user() else {
        return Ok(Vec::new());
    };
    Ok(tx
        .select::<resources::Entity>()
        .filter(resources::Column::UserId.eq(user))
        .all(&**tx)
        .await?)
}

/// Whoever may see their own schedule and pay.
pub(crate) fn require_own(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::SchedulingOwn)
        .or_else(|_| crate::setup::require_read(ctx))
}

/// A person's pay in one period.
#[derive(Clone, Debug)]
pub struct Statement {
    pub period: PayrollPeriod,
    pub resource: Resource,
    pub lines: Vec<PayLine>,
    pub total_minor: i64,
}

/// The caller's pay statements from approved and paid periods, newest first.
pub async fn my_statements(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Statement>> {
    require_own(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mine = own_resources(&tx, ctx).await?;
    let lines = tx
        .select::<payroll_lines::Entity>()
        .filter(payroll_lines::Column::ResourceId.is_in(mine.iter().map(|r| r.id)))
        .order_by_asc(payroll_lines::Column::WorkedOn)
        .order_by_asc(payroll_lines::Column::Id)
        .all(&*tx)
        .await?;
    let period_ids: Vec<Uuid> = lines.iter().map(|l| l.period_id).collect();
    let periods = tx.get_many::<payroll_periods::Entity>(&period_ids).await?;
    tx.commit().await?;
    let mut grouped: HashMap<(Uuid, Uuid), Vec<PayLine>> = HashMap::new();
    for line in lines {
        grouped
            .entry((line.period_id, line.resource_id))
            .or_default()
            .push(line);
    }
    let mut statements: Vec<Statement> = grouped
        .into_iter()
        .filter_map(|((period, resource), lines)| {
            let period = periods.get(&period)?.clone();
            if period.status == PayrollStatus::Draft.key() {
                return None;
            }
            let resource = mine.iter().find(|r| r.id == resource)?.clone();
            let total_minor = lines.iter().map(|l| l.amount_minor).sum();
            Some(Statement {
                period,
                resource,
                lines,
                total_minor,
            })
        })
        .collect();
    statements.sort_by_key(|s| std::cmp::Reverse(s.period.starts_on));
    Ok(statements)
}

/// What the caller works in `[from, to)`: their appointments and their events.
pub struct MySchedule {
    pub appointments: Vec<appointments::Model>,
    pub events: Vec<(event_staff::Model, events::Model)>,
}

pub async fn my_schedule(
    deps: &Deps,
    ctx: &TenantCtx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MySchedule> {
    require_own(ctx)?;
    if to <= from || to - from > TimeDelta::days(crate::appointments::MAX_DAYS) {
        return Err(Error::invalid(
            "to",
            format!(
                "a range of up to {} days that ends after it starts",
                crate::appointments::MAX_DAYS
            ),
        ));
    }
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mine: Vec<Uuid> = own_resources(&tx, ctx)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    let appointments = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::ResourceId.is_in(mine.iter().copied()))
        .filter(appointments::Column::StartsAt.gte(from))
        .filter(appointments::Column::StartsAt.lt(to))
        .order_by_asc(appointments::Column::StartsAt)
        .all(&*tx)
        .await?;
    let places = tx
        .select::<event_staff::Entity>()
        .filter(event_staff::Column::ResourceId.is_in(mine.iter().copied()))
        .filter(event_staff::Column::Active.eq(true))
        .filter(event_staff::Column::BlockStartsAt.lt(to))
        .filter(event_staff::Column::BlockEndsAt.gt(from))
        .all(&*tx)
        .await?;
    let found = tx
        .get_many::<events::Entity>(&places.iter().map(|p| p.event_id).collect::<Vec<_>>())
        .await?;
    tx.commit().await?;
    let mut events: Vec<_> = places
        .into_iter()
        .filter_map(|p| found.get(&p.event_id).cloned().map(|e| (p, e)))
        .collect();
    events.sort_by_key(|(_, e)| e.starts_at);
    Ok(MySchedule {
        appointments,
        events,
    })
}
