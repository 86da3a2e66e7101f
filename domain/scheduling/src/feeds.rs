//! Calendar feeds at secret addresses: the business's whole schedule, and each staff
//! member's own, which Google and Apple calendars subscribe to and poll.

use std::collections::HashMap;

use chrono::TimeDelta;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tianguis_entity::crm::contacts;
use tianguis_entity::scheduling::{appointments, resources, services};
use tianguis_kernel::secrets::random_token;
use uuid::Uuid;

use crate::appointments::{Appointment, Status};
use crate::db::{TenantTx, tenant_region};
use crate::ical::{self, Event};
use crate::settings::{self, TOKEN_LENGTH};
use crate::setup::Resource;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

/// What a feed shows: from a month back to a year ahead, at most this many events.
const PAST: TimeDelta = TimeDelta::days(31);
const AHEAD: TimeDelta = TimeDelta::days(366);
const MAX_EVENTS: u64 = 5_000;

pub(crate) fn event_of<'a>(
    a: &'a Appointment,
    summary: &'a str,
    location: Option<&'a str>,
) -> Event<'a> {
    let status = match Status::from_stored(&a.status) {
        Ok(Status::Cancelled | Status::NoShow) => "CANCELLED",
        Ok(Status::Booked) => "TENTATIVE",
        _ => "CONFIRMED",
    };
    Event {
        uid: format!("{}@tianguis", a.id),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        summary,
        description: a.notes.as_deref(),
        location,
        status,
        stamp: a.updated_at,
        // Seconds since it was booked: grows with every change, as SEQUENCE must.
        sequence: (a.updated_at - a.created_at).num_seconds().max(0),
    }
}

/// A resource's own feed address, once issued.
pub fn resource_feed_url(deps: &Deps, resource: &Resource) -> Option<String> {
    resource
        .feed_token
        .as_deref()
        .map(|t| settings::feed_url(deps, t))
}

/// Issues (or replaces) a resource's feed secret: the old address stops.
pub async fn issue_resource_feed(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Resource> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: resources::ActiveModel =
        tx.get::<resources::Entity>(id, "resource").await?.into();
    model.feed_token = Set(Some(random_token(TOKEN_LENGTH)));
    let resource = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.resource.feed_issued",
        ("resource", Some(id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(resource)
}

/// The feed a secret names, as an iCalendar document; NOT_FOUND for any other string.
pub async fn feed(deps: &Deps, token: &str) -> Result<String> {
    if token.len() != TOKEN_LENGTH || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::NotFound("calendar"));
    }
    let (tenant_id, resource) = match settings::by_feed_token(deps, token).await? {
        Some(found) => (found.tenant_id, None),
        None => {
            let resource = resources::Entity::find()
                .filter(resources::Column::FeedToken.eq(token))
                .one(&deps.db)
                .await?
                .ok_or(Error::NotFound("calendar"))?;
            (resource.tenant_id, Some(resource))
        }
    };
    let tx = TenantTx::begin(deps, tenant_id).await?;
    let business = tenant_region(&*tx, tenant_id).await?;
    let now = tx.now();
    let mut select = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::StartsAt.gte(now - PAST))
        .filter(appointments::Column::StartsAt.lt(now + AHEAD));
    if let Some(resource) = &resource {
        select = select.filter(appointments::Column::ResourceId.eq(resource.id));
    }
    let found = select
        .order_by_asc(appointments::Column::StartsAt)
        .limit(MAX_EVENTS)
        .all(&*tx)
        .await?;
    let names = |rows: Vec<(Uuid, String)>| rows.into_iter().collect::<HashMap<_, _>>();
    let services = names(
        tx.select::<services::Entity>()
            .select_only()
            .columns([services::Column::Id, services::Column::Name])
            .filter(services::Column::Id.is_in(found.iter().map(|a| a.service_id)))
            .into_tuple()
            .all(&*tx)
            .await?,
    );
    let staff = names(
        tx.select::<resources::Entity>()
            .select_only()
            .columns([resources::Column::Id, resources::Column::Name])
            .filter(resources::Column::Id.is_in(found.iter().map(|a| a.resource_id)))
            .into_tuple()
            .all(&*tx)
            .await?,
    );
    let people: HashMap<Uuid, String> = tx
        .select::<contacts::Entity>()
        .filter(contacts::Column::Id.is_in(found.iter().filter_map(|a| a.contact_id)))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                format!("{} {}", c.first_name, c.last_name)
                    .trim()
                    .to_owned(),
            )
        })
        .collect();
    tx.commit().await?;
    let summaries: Vec<String> = found
        .iter()
        .map(|a| {
            let mut parts = vec![services.get(&a.service_id).cloned().unwrap_or_default()];
            if let Some(person) = a.contact_id.and_then(|c| people.get(&c)) {
                parts.push(person.clone());
            }
            if resource.is_none() {
                parts.push(staff.get(&a.resource_id).cloned().unwrap_or_default());
            }
            parts.join(" · ")
        })
        .collect();
    let events: Vec<Event<'_>> = found
        .iter()
        .zip(&summaries)
        .map(|(a, summary)| event_of(a, summary, None))
        .collect();
    let name = match &resource {
        Some(r) => format!("{} · {}", r.name, business.name),
        None => business.name.clone(),
    };
    Ok(ical::calendar(&name, None, &events))
}
