//! What a business books and with whom: services, resources (staff with or without a
//! login, rooms, equipment counted by quantity), each resource's weekly hours in the
//! business's time zone, and its time off.

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Timelike, Utc, Weekday};
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TryIntoModel};
use tianguis_entity::scheduling::{
    resources, service_resources, services, time_off, working_hours,
};
use tianguis_kernel::rules::{money_minor, optional_email, optional_text, required_text};
use uuid::Uuid;

use crate::db::{TenantTx, stamped, tenant_region};
use crate::error::conflict_on;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use resources::Model as Resource;
pub use services::Model as Service;
pub use time_off::Model as TimeOff;
pub use working_hours::Model as WorkingHours;

tianguis_kernel::stored_enum! {
    pub enum ResourceKind {
        /// A person: a member with a login, or someone without one (a DJ, a technician).
        Staff = "staff",
        Room = "room",
        /// Counted by quantity.
        Equipment = "equipment",
    }
}

/// Reading schedules is for whoever sees or manages them.
pub(crate) fn require_read(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::SchedulingRead)
        .or_else(|_| ctx.require(Permission::SchedulingWrite))
}

/// What lets a caller read services and resources by id: the names a person who sees only
/// their own schedule needs too.
fn naming(ctx: &TenantCtx) -> Permission {
    if ctx.require(Permission::SchedulingRead).is_ok() {
        Permission::SchedulingRead
    } else {
        Permission::SchedulingOwn
    }
}

fn minutes(value: i32, field: &'static str, range: std::ops::RangeInclusive<i32>) -> Result<i32> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            format!("{} to {} minutes", range.start(), range.end()),
        ))
    }
}

// ---- services ----

#[derive(Clone, Debug, Default)]
pub struct ServiceInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub duration_minutes: Option<i32>,
    pub buffer_before_minutes: Option<i32>,
    pub buffer_after_minutes: Option<i32>,
    pub interval_minutes: Option<i32>,
    pub price: Option<Decimal>,
    pub min_notice_minutes: Option<i32>,
    pub max_advance_days: Option<i32>,
    pub active: Option<bool>,
    /// Replaces who performs it.
    pub resource_ids: Option<Vec<Uuid>>,
}

fn service_name_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_services_name",
        "services.tenant_id, services.name",
        "name",
        "a service with this name exists",
    )
}

fn apply_service(
    model: &mut services::ActiveModel,
    input: &ServiceInput,
    currency: &str,
) -> Result<()> {
    if let Some(name) = &input.name {
        model.name = Set(required_text(name, "name", 120)?);
    }
    if let Some(description) = &input.description {
        model.description = Set(optional_text(description.as_deref(), "description", 2_000)?);
    }
    if let Some(v) = input.duration_minutes {
        model.duration_minutes = Set(minutes(v, "durationMinutes", 5..=24 * 60)?);
    }
    if let Some(v) = input.buffer_before_minutes {
        model.buffer_before_minutes = Set(minutes(v, "bufferBeforeMinutes", 0..=240)?);
    }
    if let Some(v) = input.buffer_after_minutes {
        model.buffer_after_minutes = Set(minutes(v, "bufferAfterMinutes", 0..=240)?);
    }
    if let Some(v) = input.interval_minutes {
        model.interval_minutes = Set(minutes(v, "intervalMinutes", 5..=24 * 60)?);
    }
    if let Some(price) = input.price {
        model.price_minor = Set(money_minor(price, currency, "price")?);
    }
    if let Some(v) = input.min_notice_minutes {
        model.min_notice_minutes = Set(minutes(v, "minNoticeMinutes", 0..=30 * 24 * 60)?);
    }
    if let Some(days) = input.max_advance_days {
        if !(1..=730).contains(&days) {
            return Err(Error::invalid("maxAdvanceDays", "1 to 730 days"));
        }
        model.max_advance_days = Set(days);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

/// Replaces who performs a service.
async fn set_performers(tx: &TenantTx, service: Uuid, resource_ids: &[Uuid]) -> Result<()> {
    tx.check_references::<resources::Entity>(resource_ids, "resourceIds", "resource")
        .await?;
    service_resources::Entity::delete_many()
        .filter(service_resources::Column::TenantId.eq(tx.tenant_id()))
        .filter(service_resources::Column::ServiceId.eq(service))
        .exec(&**tx)
        .await?;
    let mut unique = resource_ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    service_resources::Entity::insert_many(unique.into_iter().map(|resource| {
        stamped(
            tx.now(),
            service_resources::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tx.tenant_id()),
                service_id: Set(service),
                resource_id: Set(resource),
                ..Default::default()
            },
        )
    }))
    .exec_without_returning(&**tx)
    .await?;
    Ok(())
}

pub async fn create_service(deps: &Deps, ctx: &TenantCtx, input: ServiceInput) -> Result<Service> {
    ctx.require(Permission::SchedulingWrite)?;
    if input.name.is_none() || input.duration_minutes.is_none() {
        return Err(Error::invalid(
            "name",
            "a service has a name and a duration",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let mut model = services::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        description: Set(None),
        buffer_before_minutes: Set(0),
        buffer_after_minutes: Set(0),
        interval_minutes: Set(30),
        price_minor: Set(0),
        currency: Set(currency.clone()),
        min_notice_minutes: Set(60),
        max_advance_days: Set(60),
        active: Set(true),
        ..Default::default()
    };
    apply_service(&mut model, &input, &currency)?;
    let service = tx.insert(model).await.map_err(service_name_taken)?;
    if let Some(resource_ids) = &input.resource_ids {
        set_performers(&tx, service.id, resource_ids).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "scheduling.service.created",
        ("service", Some(service.id)),
        serde_json::json!({ "name": service.name, "durationMinutes": service.duration_minutes }),
    )
    .await?;
    tx.commit().await?;
    Ok(service)
}

pub async fn update_service(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ServiceInput,
) -> Result<Service> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let service = tx.get::<services::Entity>(id, "service").await?;
    let currency = service.currency.clone();
    let mut model: services::ActiveModel = service.into();
    apply_service(&mut model, &input, &currency)?;
    let service = tx.update(model).await.map_err(service_name_taken)?;
    if let Some(resource_ids) = &input.resource_ids {
        set_performers(&tx, service.id, resource_ids).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "scheduling.service.updated",
        ("service", Some(service.id)),
        serde_json::json!({ "name": service.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(service)
}

pub async fn list_services(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Service>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<services::Entity>()
        .order_by_asc(services::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn services_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Service>> {
    TenantTx::read_many::<services::Entity>(deps, ctx, naming(ctx), ids).await
}

/// The resources that perform each service: one statement per batch.
pub async fn performers_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<service_resources::Entity>()
        .filter(service_resources::Column::ServiceId.is_in(ids.iter().copied()))
        .order_by_asc(service_resources::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut found: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for row in rows {
        found
            .entry(row.service_id)
            .or_default()
            .push(row.resource_id);
    }
    Ok(found)
}

// ---- resources ----

#[derive(Clone, Debug, Default)]
pub struct ResourceInput {
    pub kind: Option<ResourceKind>,
    pub name: Option<String>,
    pub user_id: Option<Option<Uuid>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub quantity: Option<i32>,
    pub active: Option<bool>,
}

fn resource_name_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_resources_name",
        "resources.tenant_id, resources.name",
        "name",
        "a resource with this name exists",
    )
}

async fn apply_resource(
    tx: &TenantTx,
    model: &mut resources::ActiveModel,
    input: &ResourceInput,
) -> Result<()> {
    if let Some(kind) = input.kind {
        model.kind = Set(kind.key().into());
    }
    if let Some(name) = &input.name {
        model.name = Set(required_text(name, "name", 120)?);
    }
    if let Some(user) = input.user_id {
        if let Some(user) = user {
            // A login of this business: one of its members.
            let member = tianguis_entity::tenancy::memberships::Entity::find()
                .filter(tianguis_entity::tenancy::memberships::Column::TenantId.eq(tx.tenant_id()))
                .filter(tianguis_entity::tenancy::memberships::Column::UserId.eq(user))
                .one(&**tx)
                .await?;
            if member.is_none() {
                return Err(Error::invalid("userId", "not a member of this business"));
            }
        }
        model.user_id = Set(user);
    }
    if let Some(email) = &input.email {
        model.email = Set(optional_email(email.as_deref(), "email")?);
    }
    if let Some(phone) = &input.phone {
        model.phone = Set(optional_text(phone.as_deref(), "phone", 30)?);
    }
    if let Some(quantity) = input.quantity {
        if !(1..=10_000).contains(&quantity) {
            return Err(Error::invalid("quantity", "1 to 10,000"));
        }
        model.quantity = Set(quantity);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    Ok(())
}

pub async fn create_resource(
    deps: &Deps,
    ctx: &TenantCtx,
    input: ResourceInput,
) -> Result<Resource> {
    ctx.require(Permission::SchedulingWrite)?;
    if input.name.is_none() {
        return Err(Error::invalid("name", "name is required"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model = resources::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id),
        kind: Set(ResourceKind::Staff.key().into()),
        user_id: Set(None),
        email: Set(None),
        phone: Set(None),
        quantity: Set(1),
        active: Set(true),
        ..Default::default()
    };
    apply_resource(&tx, &mut model, &input).await?;
    let resource = tx.insert(model).await.map_err(resource_name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.resource.created",
        ("resource", Some(resource.id)),
        serde_json::json!({ "name": resource.name, "kind": resource.kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(resource)
}

pub async fn update_resource(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    input: ResourceInput,
) -> Result<Resource> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let resource = tx.get::<resources::Entity>(id, "resource").await?;
    let mut model: resources::ActiveModel = resource.into();
    apply_resource(&tx, &mut model, &input).await?;
    let resource = tx.update(model).await.map_err(resource_name_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.resource.updated",
        ("resource", Some(resource.id)),
        serde_json::json!({ "name": resource.name, "active": resource.active }),
    )
    .await?;
    tx.commit().await?;
    Ok(resource)
}

pub async fn list_resources(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Resource>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<resources::Entity>()
        .order_by_asc(resources::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn resources_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Resource>> {
    TenantTx::read_many::<resources::Entity>(deps, ctx, naming(ctx), ids).await
}

/// The names of the clients of appointments and events, for whoever sees their schedule:
/// staff who may not read the customer records still need to know who is coming.
pub async fn client_names(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let found =
        TenantTx::read_many::<tianguis_entity::crm::contacts::Entity>(deps, ctx, naming(ctx), ids)
            .await?;
    Ok(found
        .into_iter()
        .map(|(id, c)| {
            (
                id,
                format!("{} {}", c.first_name, c.last_name)
                    .trim()
                    .to_owned(),
            )
        })
        .collect())
}

// ---- hours and time off ----

#[derive(Clone, Copy, Debug)]
pub struct HoursInput {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

pub fn weekday_of(hours: &WorkingHours) -> Weekday {
    match hours.weekday {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

pub fn time_of(minute: i32) -> NaiveTime {
    let minute = u32::try_from(minute.clamp(0, 24 * 60 - 1)).unwrap_or_default();
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or_default()
}

fn minute_of(time: NaiveTime) -> i32 {
    i32::try_from(time.hour() * 60 + time.minute()).unwrap_or_default()
}

/// Replaces a resource's weekly hours: several spans a day are allowed (a lunch break),
/// overlapping ones are not.
pub async fn set_hours(
    deps: &Deps,
    ctx: &TenantCtx,
    resource_id: Uuid,
    hours: Vec<HoursInput>,
) -> Result<Vec<WorkingHours>> {
    ctx.require(Permission::SchedulingWrite)?;
    if hours.len() > 50 {
        return Err(Error::invalid("hours", "at most 50 spans a week"));
    }
    for (i, h) in hours.iter().enumerate() {
        if h.opens >= h.closes {
            return Err(Error::invalid("hours", "each span closes after it opens"));
        }
        if hours[..i]
            .iter()
            .any(|o| o.weekday == h.weekday && o.opens < h.closes && h.opens < o.closes)
        {
            return Err(Error::invalid("hours", "spans of one day may not overlap"));
        }
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let resource = tx.get::<resources::Entity>(resource_id, "resource").await?;
    working_hours::Entity::delete_many()
        .filter(working_hours::Column::TenantId.eq(ctx.tenant_id))
        .filter(working_hours::Column::ResourceId.eq(resource.id))
        .exec(&*tx)
        .await?;
    let rows: Vec<WorkingHours> = hours
        .iter()
        .map(|h| {
            Ok(stamped(
                tx.now(),
                working_hours::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    resource_id: Set(resource.id),
                    weekday: Set(
                        i32::try_from(h.weekday.num_days_from_monday()).unwrap_or_default()
                    ),
                    opens_minute: Set(minute_of(h.opens)),
                    closes_minute: Set(minute_of(h.closes)),
                    ..Default::default()
                },
            )
            .try_into_model()?)
        })
        .collect::<Result<_>>()?;
    if !rows.is_empty() {
        working_hours::Entity::insert_many(
            rows.iter().cloned().map(working_hours::ActiveModel::from),
        )
        .exec_without_returning(&*tx)
        .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "scheduling.hours.set",
        ("resource", Some(resource.id)),
        serde_json::json!({ "spans": rows.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Each resource's weekly hours: one statement per batch.
pub async fn hours_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<WorkingHours>>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = hours_in(&tx, ids).await?;
    tx.commit().await?;
    Ok(found)
}

pub(crate) async fn hours_in(
    tx: &TenantTx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<WorkingHours>>> {
    let rows = tx
        .select::<working_hours::Entity>()
        .filter(working_hours::Column::ResourceId.is_in(ids.iter().copied()))
        .order_by_asc(working_hours::Column::Weekday)
        .order_by_asc(working_hours::Column::OpensMinute)
        .all(&**tx)
        .await?;
    Ok(crate::page::group_by(rows, |row| Some(row.resource_id)))
}

pub async fn add_time_off(
    deps: &Deps,
    ctx: &TenantCtx,
    resource_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: Option<String>,
) -> Result<TimeOff> {
    ctx.require(Permission::SchedulingWrite)?;
    if ends_at <= starts_at {
        return Err(Error::invalid("endsAt", "time off ends after it starts"));
    }
    let reason = optional_text(reason.as_deref(), "reason", 200)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let resource = tx.get::<resources::Entity>(resource_id, "resource").await?;
    let off = tx
        .insert(time_off::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            resource_id: Set(resource.id),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            reason: Set(reason),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.time_off.added",
        ("resource", Some(resource.id)),
        serde_json::json!({ "startsAt": starts_at, "endsAt": ends_at }),
    )
    .await?;
    tx.commit().await?;
    Ok(off)
}

pub async fn remove_time_off(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Uuid> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let off = tx.get::<time_off::Entity>(id, "time off").await?;
    time_off::Entity::delete_many()
        .filter(time_off::Column::TenantId.eq(ctx.tenant_id))
        .filter(time_off::Column::Id.eq(off.id))
        .exec(&*tx)
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.time_off.removed",
        ("resource", Some(off.resource_id)),
        serde_json::json!({ "startsAt": off.starts_at, "endsAt": off.ends_at }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Time off of the resources that overlaps `[from, to)`.
pub(crate) async fn time_off_in(
    tx: &TenantTx,
    ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TimeOff>> {
    Ok(tx
        .select::<time_off::Entity>()
        .filter(time_off::Column::ResourceId.is_in(ids.iter().copied()))
        .filter(time_off::Column::StartsAt.lt(to))
        .filter(time_off::Column::EndsAt.gt(from))
        .order_by_asc(time_off::Column::StartsAt)
        .all(&**tx)
        .await?)
}

pub async fn time_off_of(
    deps: &Deps,
    ctx: &TenantCtx,
    resource_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TimeOff>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = time_off_in(&tx, &[resource_id], from, to).await?;
    tx.commit().await?;
    Ok(found)
}
