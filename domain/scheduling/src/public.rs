//! The business's public booking page: a customer with no account picks a service, a day
//! and a free time, leaves their name and phone (verified by a code sent on WhatsApp or SMS
//! when the business asks for it), and manages the booking later through its secret link.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use tianguis_entity::crm::contacts;
use tianguis_entity::scheduling::{appointments, phone_verifications, resources, services};
use tianguis_entity::tenancy::tenants;
use tianguis_kernel::db::Touched;
use tianguis_kernel::rules::{optional_email, phone_e164, required_text};
use tianguis_kernel::secrets::{constant_time_eq, sha256_hex};
use tianguis_messaging::ChannelKind;
use tianguis_messaging::messages::{self, Compose};
use uuid::Uuid;

use crate::appointments::{self as booking, Appointment, BookInput, BookedBy, Slot, Status};
use crate::db::TenantTx;
use crate::reminders::{self, Via};
use crate::settings::{self, Settings};
use crate::setup::{Resource, Service};
use crate::{Deps, Error, Result, TenantCtx};

/// A code lives this long, allows this many wrong tries, and a phone gets this many an hour.
const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);
const CODE_ATTEMPTS: i32 = 5;
const CODES_PER_HOUR: u64 = 3;

/// A business that takes bookings on its page, with its settings.
pub struct BookingPage {
    pub business: tenants::Model,
    pub settings: Settings,
}

/// The business a booking page's slug names; NOT_FOUND when it has no page.
pub async fn page(deps: &Deps, slug: &str) -> Result<BookingPage> {
    let business = tianguis_tenancy::tenants::by_slug(deps, slug).await?;
    let tx = TenantTx::begin(deps, business.id).await?;
    let settings = settings::current(&tx).await?;
    tx.commit().await?;
    if !settings.booking_page_enabled {
        return Err(Error::NotFound("booking page"));
    }
    Ok(BookingPage { business, settings })
}

/// The services offered on the page, by name.
pub async fn services(deps: &Deps, page: &BookingPage) -> Result<Vec<Service>> {
    let tx = TenantTx::begin(deps, page.business.id).await?;
    let found = tx
        .select::<services::Entity>()
        .filter(services::Column::Active.eq(true))
        .order_by_asc(services::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// A service's free times on a day, with who takes each, as a customer may book them.
pub async fn day(
    deps: &Deps,
    business: &tenants::Model,
    service_id: Uuid,
    day: NaiveDate,
) -> Result<(Service, Vec<(Slot, Resource)>)> {
    let ctx = TenantCtx::system(business.id);
    let slots = booking::availability(deps, &ctx, service_id, day, day, None).await?;
    let tx = TenantTx::begin(deps, business.id).await?;
    let service = tx.get::<services::Entity>(service_id, "service").await?;
    let ids: Vec<Uuid> = slots.iter().map(|s| s.resource_id).collect();
    let staff = tx.get_many::<resources::Entity>(&ids).await?;
    tx.commit().await?;
    let with_staff = slots
        .into_iter()
        .filter_map(|slot| {
            let who = staff.get(&slot.resource_id)?.clone();
            Some((slot, who))
        })
        .collect();
    Ok((service, with_staff))
}

fn code_hash(verification: Uuid, code: &str) -> String {
    sha256_hex(&format!("{verification}:{code}"))
}

/// Sends a six-digit code to the phone: by the business's WhatsApp authentication template
/// when it has one, by SMS otherwise. Returns the verification the code answers.
pub async fn send_code(deps: &Deps, page: &BookingPage, phone: &str, name: &str) -> Result<Uuid> {
    let phone = phone_e164(phone, &page.business.country, "phone")?;
    let mut tx = TenantTx::begin(deps, page.business.id).await?;
    let now = tx.now();
    let recent = tx
        .select::<phone_verifications::Entity>()
        .filter(phone_verifications::Column::Phone.eq(phone.as_str()))
        .filter(phone_verifications::Column::CreatedAt.gt(now - TimeDelta::hours(1)))
        .count(&*tx)
        .await?;
    if recent >= CODES_PER_HOUR {
        return Err(Error::RateLimited {
            retry_after_secs: 3_600,
        });
    }
    let id = Uuid::now_v7();
    let code = format!("{:06}", rand_code());
    tx.insert(phone_verifications::ActiveModel {
        id: Set(id),
        tenant_id: Set(page.business.id),
        phone: Set(phone.clone()),
        code_hash: Set(code_hash(id, &code)),
        expires_at: Set(now + CODE_LIFETIME),
        attempts: Set(0),
        verified_at: Set(None),
        ..Default::default()
    })
    .await?;
    let contact = customer(&tx, name, "", &phone, None).await?;
    let sent = match page.settings.verification_template_id {
        Some(template_id) => {
            messages::queue_to_contact(
                &mut tx,
                contact.id,
                ChannelKind::Whatsapp,
                Compose::Template {
                    template_id,
                    variables: vec![code.clone()],
                },
            )
            .await
        }
        None => Err(Error::conflict("phone", "no WhatsApp code template")),
    };
    if sent.is_err() {
        messages::queue_to_contact(
            &mut tx,
            contact.id,
            ChannelKind::Sms,
            Compose::Text(format!(
                "Tu código de {} es {code}. Vence en 10 minutos.",
                page.business.name
            )),
        )
        .await
        .map_err(|_| {
            Error::conflict(
                "phone",
                "the business cannot send codes right now; call them to book",
            )
        })?;
    }
    tx.commit().await?;
    Ok(id)
}

fn rand_code() -> u32 {
    // Six digits from the OS's generator, through the kernel's token (base 62).
    let token = tianguis_kernel::secrets::random_token(12);
    token
        .bytes()
        .fold(0u64, |acc, b| {
            acc.wrapping_mul(62).wrapping_add(u64::from(b))
        })
        .rem_euclid(1_000_000) as u32
}

/// Checks a code against its verification; each wrong code counts, and the fifth ends it.
async fn verify(tx: &TenantTx, id: Uuid, phone: &str, code: &str) -> Result<()> {
    let wrong = || Error::invalid("code", "that code is not right or has expired");
    let found = tx
        .select::<phone_verifications::Entity>()
        .filter(phone_verifications::Column::Id.eq(id))
        .one(&**tx)
        .await?
        .ok_or_else(wrong)?;
    if found.phone != phone
        || found.verified_at.is_some()
        || found.expires_at <= tx.now()
        || found.attempts >= CODE_ATTEMPTS
    {
        return Err(wrong());
    }
    if !constant_time_eq(&found.code_hash, &code_hash(id, code.trim())) {
        // Counted in its own statement, which the caller commits with the refusal.
        phone_verifications::Entity::update_many()
            .col_expr(
                phone_verifications::Column::Attempts,
                Expr::col(phone_verifications::Column::Attempts).add(1),
            )
            .touched(tx.now())
            .filter(phone_verifications::Column::TenantId.eq(tx.tenant_id()))
            .filter(phone_verifications::Column::Id.eq(id))
            .exec(&**tx)
            .await?;
        return Err(wrong());
    }
    let mut model: phone_verifications::ActiveModel = found.into();
    model.verified_at = Set(Some(tx.now()));
    tx.update(model).await?;
    Ok(())
}

/// The contact a customer on the page is: found by phone, else by email, else created.
async fn customer(
    tx: &TenantTx,
    first_name: &str,
    last_name: &str,
    phone: &str,
    email: Option<&str>,
) -> Result<contacts::Model> {
    if let Some(found) = tx
        .select::<contacts::Entity>()
        .filter(contacts::Column::Phone.eq(phone))
        .order_by_asc(contacts::Column::Id)
        .one(&**tx)
        .await?
    {
        return Ok(found);
    }
    if let Some(email) = email
        && let Some(found) = tx
            .select::<contacts::Entity>()
            .filter(contacts::Column::Email.eq(email))
            .order_by_asc(contacts::Column::Id)
            .one(&**tx)
            .await?
    {
        return Ok(found);
    }
    let first = if first_name.trim().is_empty() {
        phone
    } else {
        first_name.trim()
    };
    Ok(tx
        .insert(contacts::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            first_name: Set(first.chars().take(100).collect()),
            last_name: Set(last_name.trim().chars().take(100).collect()),
            email: Set(email.map(str::to_owned)),
            phone: Set(Some(phone.to_owned())),
            rfc: Set(None),
            job_title: Set(None),
            city: Set(None),
            company_id: Set(None),
            owner_id: Set(None),
            tags: Set(json!(["reserva-en-linea"])),
            custom_fields: Set(json!({})),
            is_customer: Set(false),
            customer_since: Set(None),
            search_text: Set(tianguis_kernel::search::search_text(&[
                Some(first),
                Some(last_name),
                Some(phone),
                email,
            ])),
            ..Default::default()
        })
        .await?)
}

/// What a customer submits on the page.
#[derive(Clone, Debug, Default)]
pub struct PublicBooking {
    pub service_id: Uuid,
    pub resource_id: Option<Uuid>,
    pub starts_at: Option<DateTime<Utc>>,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub remind_via: Option<Via>,
    /// The verification a code was sent for, and the code typed.
    pub verification: Option<(Uuid, String)>,
}

/// Books from the page, as the customer: within the service's notice and horizon, with the
/// phone verified first when the business asks for it.
pub async fn book(deps: &Deps, page: &BookingPage, input: PublicBooking) -> Result<Appointment> {
    let first_name = required_text(&input.first_name, "firstName", 100)?;
    let last_name = input.last_name.trim().chars().take(100).collect::<String>();
    let phone = phone_e164(&input.phone, &page.business.country, "phone")?;
    let email = optional_email(input.email.as_deref(), "email")?;
    let starts_at = input
        .starts_at
        .ok_or_else(|| Error::invalid("startsAt", "choose a time"))?;
    let mut tx = TenantTx::begin(deps, page.business.id).await?;
    if page.settings.verify_phone {
        let Some((id, code)) = &input.verification else {
            return Err(Error::invalid(
                "code",
                "type the code we sent to your phone",
            ));
        };
        if let Err(refused) = verify(&tx, *id, &phone, code).await {
            // Keep the counted attempt.
            tx.commit().await?;
            return Err(refused);
        }
    }
    let contact = customer(&tx, &first_name, &last_name, &phone, email.as_deref()).await?;
    if contact.email.is_none() && email.is_some() {
        let mut model: contacts::ActiveModel = contact.clone().into();
        model.email = Set(email.clone());
        tx.update(model).await?;
    }
    let ctx = TenantCtx::system(page.business.id);
    let appointment = booking::book_in(
        deps,
        &mut tx,
        &ctx,
        BookInput {
            service_id: input.service_id,
            resource_id: input.resource_id,
            contact_id: Some(contact.id),
            starts_at,
            notes: None,
            remind_via: input.remind_via,
        },
        BookedBy::Customer,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(appointment)
}

/// A booking as its customer sees it through the link.
pub struct Managed {
    pub appointment: Appointment,
    pub business: tenants::Model,
    pub service: Service,
    pub staff: String,
}

async fn by_token(deps: &Deps, token: &str) -> Result<Appointment> {
    if token.len() != settings::TOKEN_LENGTH {
        return Err(Error::NotFound("appointment"));
    }
    appointments::Entity::find()
        .filter(appointments::Column::ManageToken.eq(token))
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("appointment"))
}

pub async fn managed(deps: &Deps, token: &str) -> Result<Managed> {
    let found = by_token(deps, token).await?;
    let tx = TenantTx::begin(deps, found.tenant_id).await?;
    let business = crate::db::tenant_region(&*tx, found.tenant_id).await?;
    let service = tx
        .get::<services::Entity>(found.service_id, "service")
        .await?;
    let staff = tx
        .get::<resources::Entity>(found.resource_id, "resource")
        .await?;
    tx.commit().await?;
    Ok(Managed {
        appointment: found,
        business,
        service,
        staff: staff.name,
    })
}

/// What a customer does through the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerAction {
    Confirm,
    Cancel,
    Move(DateTime<Utc>),
}

/// Confirms, cancels or moves a booking through its link. A move keeps to the service's
/// notice and horizon, as booking does.
pub async fn act(deps: &Deps, token: &str, action: CustomerAction) -> Result<Appointment> {
    let found = by_token(deps, token).await?;
    let ctx = TenantCtx::system(found.tenant_id);
    let mut tx = TenantTx::begin(deps, found.tenant_id).await?;
    let appointment = tx
        .get::<appointments::Entity>(found.id, "appointment")
        .await?;
    if appointment.starts_at <= tx.now() {
        return Err(Error::conflict(
            "token",
            "the appointment has already started",
        ));
    }
    let changed = match action {
        CustomerAction::Confirm => {
            if Status::from_stored(&appointment.status)? == Status::Confirmed {
                appointment
            } else {
                booking::transition(deps, &mut tx, &ctx, appointment, Status::Confirmed, None)
                    .await?
            }
        }
        CustomerAction::Cancel => {
            booking::transition(
                deps,
                &mut tx,
                &ctx,
                appointment,
                Status::Cancelled,
                Some("cancelled by the customer".into()),
            )
            .await?
        }
        CustomerAction::Move(starts_at) => {
            booking::move_in(
                deps,
                &mut tx,
                &ctx,
                appointment,
                starts_at,
                None,
                BookedBy::Customer,
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(changed)
}

/// The link a booking's customer manages it with.
pub fn manage_link(deps: &Deps, appointment: &Appointment) -> Option<String> {
    appointment
        .manage_token
        .as_deref()
        .map(|t| reminders::manage_url(deps, t))
}
