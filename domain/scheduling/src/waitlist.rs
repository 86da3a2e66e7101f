//! The waitlist: customers waiting for a service on a day. When a booking of that service
//! on that day is cancelled or moved away, the first in line is offered its time, held
//! for them for the business's hold; unanswered, the offer passes to the next.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tianguis_entity::scheduling::{service_resources, services, waitlist_entries};
use tianguis_kernel::db::Touched;
use tianguis_kernel::rules::optional_text;
use tianguis_kernel::secrets::random_token;
use uuid::Uuid;

use crate::appointments::{self, Appointment, BookInput, BookedBy};
use crate::db::{TenantTx, tenant_region};
use crate::emails::WaitlistOffer;
use crate::reminders::{self, Details};
use crate::settings::{self, TOKEN_LENGTH};
use crate::setup::require_read;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use waitlist_entries::Model as WaitlistEntry;

tianguis_kernel::stored_enum! {
    pub enum WaitStatus {
        Waiting = "waiting",
        /// A freed time is held for them until the offer expires.
        Offered = "offered",
        Booked = "booked",
        /// The offer went unanswered; the time passed to the next in line.
        Expired = "expired",
        Removed = "removed",
    }
}

/// Where a customer takes an offered time.
pub fn offer_url(deps: &Deps, token: &str) -> String {
    format!(
        "{}/lista/{token}",
        deps.mail.public_url.trim_end_matches('/')
    )
}

#[derive(Clone, Debug)]
pub struct JoinInput {
    pub service_id: Uuid,
    pub day: NaiveDate,
    pub contact_id: Uuid,
    pub resource_id: Option<Uuid>,
    pub notes: Option<String>,
}

pub async fn join(deps: &Deps, ctx: &TenantCtx, input: JoinInput) -> Result<WaitlistEntry> {
    ctx.require(Permission::SchedulingWrite)?;
    let notes = optional_text(input.notes.as_deref(), "notes", 1_000)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<tianguis_entity::crm::contacts::Entity>(input.contact_id, "contact")
        .await
        .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    let service = tx
        .get::<services::Entity>(input.service_id, "service")
        .await
        .map_err(|_| Error::invalid("serviceId", "no such service"))?;
    if let Some(resource) = input.resource_id {
        let performs = tx
            .select::<service_resources::Entity>()
            .filter(service_resources::Column::ServiceId.eq(service.id))
            .filter(service_resources::Column::ResourceId.eq(resource))
            .one(&*tx)
            .await?;
        if performs.is_none() {
            return Err(Error::invalid(
                "resourceId",
                "this resource does not perform the service",
            ));
        }
    }
    let zone: chrono_tz::Tz = tenant_region(&*tx, ctx.tenant_id)
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    if input.day < tx.now().with_timezone(&zone).date_naive() {
        return Err(Error::invalid("day", "the day has passed"));
    }
    let already = tx
        .select::<waitlist_entries::Entity>()
        .filter(waitlist_entries::Column::ServiceId.eq(service.id))
        .filter(waitlist_entries::Column::ContactId.eq(input.contact_id))
        .filter(waitlist_entries::Column::Day.eq(input.day))
        .filter(
            waitlist_entries::Column::Status
                .is_in([WaitStatus::Waiting.key(), WaitStatus::Offered.key()]),
        )
        .one(&*tx)
        .await?;
    if already.is_some() {
        return Err(Error::conflict(
            "contactId",
            "the contact is already waiting for this service on that day",
        ));
    }
    let entry = tx
        .insert(waitlist_entries::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            service_id: Set(service.id),
            resource_id: Set(input.resource_id),
            contact_id: Set(input.contact_id),
            day: Set(input.day),
            status: Set(WaitStatus::Waiting.key().into()),
            offered_starts_at: Set(None),
            offered_resource_id: Set(None),
            offer_expires_at: Set(None),
            offer_token: Set(None),
            appointment_id: Set(None),
            notes: Set(notes),
            ..Default::default()
        })
        .await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.waitlist.joined",
        ("waitlist_entry", Some(entry.id)),
        serde_json::json!({ "serviceId": entry.service_id, "day": entry.day, "contactId": entry.contact_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

pub async fn remove(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<WaitlistEntry> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let entry = tx
        .get::<waitlist_entries::Entity>(id, "waitlist entry")
        .await?;
    let status = WaitStatus::from_stored(&entry.status)?;
    if !matches!(status, WaitStatus::Waiting | WaitStatus::Offered) {
        return Err(Error::conflict(
            "id",
            format!("the entry is {}", status.key()),
        ));
    }
    let mut model: waitlist_entries::ActiveModel = entry.clone().into();
    model.status = Set(WaitStatus::Removed.key().into());
    let removed = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.waitlist.removed",
        ("waitlist_entry", Some(id)),
        serde_json::json!({}),
    )
    .await?;
    // A time held for them goes to the next in line.
    if status == WaitStatus::Offered {
        offer_next(deps, &mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// Who is waiting (and who holds an offer) for a service or a day, first in line first.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    service_id: Option<Uuid>,
    day: Option<NaiveDate>,
) -> Result<Vec<WaitlistEntry>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<waitlist_entries::Entity>().filter(
        waitlist_entries::Column::Status
            .is_in([WaitStatus::Waiting.key(), WaitStatus::Offered.key()]),
    );
    if let Some(service) = service_id {
        select = select.filter(waitlist_entries::Column::ServiceId.eq(service));
    }
    if let Some(day) = day {
        select = select.filter(waitlist_entries::Column::Day.eq(day));
    }
    let found = select
        .order_by_asc(waitlist_entries::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Offers the time `freed` kept to the first in line for its service and day, if it is
/// still ahead and free.
pub(crate) async fn offer_freed(deps: &Deps, tx: &mut TenantTx, freed: &Appointment) -> Result<()> {
    offer(
        deps,
        tx,
        freed.service_id,
        freed.resource_id,
        freed.starts_at,
    )
    .await
}

/// Passes a time an entry held to the next in line.
async fn offer_next(deps: &Deps, tx: &mut TenantTx, entry: &WaitlistEntry) -> Result<()> {
    match (entry.offered_resource_id, entry.offered_starts_at) {
        (Some(resource), Some(starts_at)) => {
            offer(deps, tx, entry.service_id, resource, starts_at).await
        }
        _ => Ok(()),
    }
}

async fn offer(
    deps: &Deps,
    tx: &mut TenantTx,
    service_id: Uuid,
    resource_id: Uuid,
    starts_at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let now = tx.now();
    if starts_at <= now {
        return Ok(());
    }
    let zone: chrono_tz::Tz = tenant_region(&**tx, tx.tenant_id())
        .await?
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let day = starts_at.with_timezone(&zone).date_naive();
    let waiting = tx
        .select::<waitlist_entries::Entity>()
        .filter(waitlist_entries::Column::ServiceId.eq(service_id))
        .filter(waitlist_entries::Column::Day.eq(day))
        .filter(waitlist_entries::Column::Status.eq(WaitStatus::Waiting.key()))
        .filter(
            sea_orm::Condition::any()
                .add(waitlist_entries::Column::ResourceId.is_null())
                .add(waitlist_entries::Column::ResourceId.eq(resource_id)),
        )
        .order_by_asc(waitlist_entries::Column::Id)
        .one(&**tx)
        .await?;
    let Some(entry) = waiting else {
        return Ok(());
    };
    if !appointments::is_free(tx, service_id, resource_id, starts_at, None).await? {
        return Ok(());
    }
    let settings = settings::current(tx).await?;
    let token = random_token(TOKEN_LENGTH);
    let mut model: waitlist_entries::ActiveModel = entry.clone().into();
    model.status = Set(WaitStatus::Offered.key().into());
    model.offered_starts_at = Set(Some(starts_at));
    model.offered_resource_id = Set(Some(resource_id));
    model.offer_expires_at = Set(Some(
        now + chrono::TimeDelta::minutes(i64::from(settings.waitlist_hold_minutes)),
    ));
    model.offer_token = Set(Some(token.clone()));
    let offered = tx.update(model).await?;
    let held = hold_as_appointment(&offered, tx).await?;
    let link = offer_url(deps, &token);
    let details = Details {
        manage_url: Some(link.clone()),
        ..reminders::details(deps, tx, &held).await?
    };
    let text = format!(
        "{}: se liberó {} con {} el {} a las {}. Te lo apartamos {} minutos; resérvalo aquí: {link}",
        details.business.name,
        details.service,
        details.staff,
        details.date_es,
        details.time,
        settings.waitlist_hold_minutes
    );
    let email = WaitlistOffer {
        when: details.when(),
        hold_minutes: settings.waitlist_hold_minutes,
        take_url: &link,
    };
    // WhatsApp first when the business has a template for it, then SMS, then email; an
    // offer that reaches no one stays offered for the team to call about.
    let reached = reminders::reach(
        tx,
        &details,
        &settings::waitlist_template(&settings),
        None,
        &text,
        &email,
    )
    .await
    .map(|(via, _)| via.key());
    let ctx = TenantCtx::system(tx.tenant_id());
    audit::record(
        tx,
        &ctx,
        "scheduling.waitlist.offered",
        ("waitlist_entry", Some(offered.id)),
        serde_json::json!({
            "startsAt": starts_at,
            "resourceId": resource_id,
            "contactId": offered.contact_id,
            "via": reached.as_ref().ok(),
        }),
    )
    .await
}

/// The offer seen as the appointment it would become, for the messages that describe it.
async fn hold_as_appointment(entry: &WaitlistEntry, tx: &TenantTx) -> Result<Appointment> {
    let service = tx
        .get::<services::Entity>(entry.service_id, "service")
        .await?;
    let starts_at = entry.offered_starts_at.unwrap_or_default();
    Ok(Appointment {
        id: entry.id,
        tenant_id: entry.tenant_id,
        service_id: entry.service_id,
        resource_id: entry.offered_resource_id.unwrap_or_default(),
        contact_id: Some(entry.contact_id),
        starts_at,
        ends_at: starts_at + chrono::TimeDelta::minutes(i64::from(service.duration_minutes)),
        block_starts_at: starts_at,
        block_ends_at: starts_at,
        status: appointments::Status::Booked.key().into(),
        booked_by: BookedBy::Customer.key().into(),
        notes: None,
        price_minor: service.price_minor,
        currency: service.currency,
        cancelled_at: None,
        cancel_reason: None,
        created_by: None,
        remind_via: None,
        manage_token: None,
        created_at: entry.created_at,
        updated_at: entry.updated_at,
    })
}

/// The offer a link names, before any tenant is known.
pub async fn offer_by_token(deps: &Deps, token: &str) -> Result<WaitlistEntry> {
    if token.len() != TOKEN_LENGTH {
        return Err(Error::NotFound("offer"));
    }
    waitlist_entries::Entity::find()
        .filter(waitlist_entries::Column::OfferToken.eq(token))
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("offer"))
}

/// The customer takes the time offered to them: it is booked for them, if the offer stands.
pub async fn take_offer(deps: &Deps, token: &str) -> Result<Appointment> {
    let found = offer_by_token(deps, token).await?;
    let ctx = TenantCtx::system(found.tenant_id);
    let mut tx = TenantTx::begin(deps, found.tenant_id).await?;
    let entry = tx
        .get::<waitlist_entries::Entity>(found.id, "offer")
        .await?;
    let open = entry.status == WaitStatus::Offered.key()
        && entry.offer_token.as_deref() == Some(token)
        && entry.offer_expires_at.is_some_and(|at| at > tx.now());
    let (Some(starts_at), true) = (entry.offered_starts_at, open) else {
        return Err(Error::conflict(
            "token",
            "this offer has ended; the time went to the next person waiting",
        ));
    };
    let appointment = appointments::book_in(
        deps,
        &mut tx,
        &ctx,
        BookInput {
            service_id: entry.service_id,
            resource_id: entry.offered_resource_id,
            contact_id: Some(entry.contact_id),
            starts_at,
            notes: entry.notes.clone(),
            remind_via: None,
        },
        BookedBy::Waitlist,
        Some(entry.id),
    )
    .await?;
    let mut model: waitlist_entries::ActiveModel = entry.into();
    model.status = Set(WaitStatus::Booked.key().into());
    model.appointment_id = Set(Some(appointment.id));
    model.offer_token = Set(None);
    tx.update(model).await?;
    tx.commit().await?;
    Ok(appointment)
}

/// Ends offers past their hold and passes each time to the next in line (the sweep).
pub async fn expire_offers(deps: &Deps) -> Result<usize> {
    let now = deps.clock.now();
    let due = waitlist_entries::Entity::find()
        .filter(waitlist_entries::Column::Status.eq(WaitStatus::Offered.key()))
        .filter(waitlist_entries::Column::OfferExpiresAt.lte(now))
        .all(&deps.db)
        .await?;
    let mut expired = 0;
    for entry in due {
        let mut tx = TenantTx::begin(deps, entry.tenant_id).await?;
        // Claimed by its status, so two sweeps expire it once.
        let claimed = waitlist_entries::Entity::update_many()
            .col_expr(
                waitlist_entries::Column::Status,
                Expr::value(WaitStatus::Expired.key()),
            )
            .col_expr(
                waitlist_entries::Column::OfferToken,
                Expr::value(Option::<String>::None),
            )
            .touched(tx.now())
            .filter(waitlist_entries::Column::TenantId.eq(entry.tenant_id))
            .filter(waitlist_entries::Column::Id.eq(entry.id))
            .filter(waitlist_entries::Column::Status.eq(WaitStatus::Offered.key()))
            .exec(&*tx)
            .await?
            .rows_affected
            == 1;
        if claimed {
            offer_next(deps, &mut tx, &entry).await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    Ok(expired)
}
