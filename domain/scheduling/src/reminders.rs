//! Reminders before an appointment, by WhatsApp template, SMS or email as the contact
//! prefers, and the answers to them: 1 or CONFIRMAR confirms, 2 or CANCELAR cancels.
//!
//! Each reminder is a row written when the appointment is booked or moved. The sweep claims
//! a due one by moving it from pending to sent in the transaction that queues its message,
//! so with any number of workers it goes out at most once; a reminder written for a start
//! the appointment no longer has, or of an appointment no longer on, is skipped.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tianguis_entity::crm::contacts;
use tianguis_entity::scheduling::{appointment_reminders, appointments, resources, services};
use tianguis_entity::tenancy::tenants;
use tianguis_kernel::db::Touched;
use tianguis_kernel::email::{self, NewEmail};
use tianguis_messaging::messages::{self, Compose};
use tianguis_messaging::{ChannelKind, Reply, ReplyHandler};
use uuid::Uuid;

use crate::appointments::{Appointment, Status};
use crate::db::{TenantTx, stamped, tenant_region};
use crate::emails::{AppointmentReminder, AppointmentWhen};
use crate::settings;
use crate::{Deps, Error, Result, TenantCtx};

pub use appointment_reminders::Model as Reminder;

tianguis_kernel::stored_enum! {
    pub enum ReminderStatus {
        Pending = "pending",
        Sent = "sent",
        /// Not sent: the appointment moved or ended, or the contact cannot be reached.
        Skipped = "skipped",
    }
}

tianguis_kernel::stored_enum! {
    /// How a customer hears about their appointment.
    pub enum Via {
        Whatsapp = "whatsapp",
        Sms = "sms",
        Email = "email",
    }
}

/// Reminders the sweep sends per run; the rest wait for the next minute.
const SWEEP_BATCH: u64 = 500;

const WEEKDAYS_ES: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// "jueves 4 de diciembre", as a Mexican clinic writes it.
pub fn date_in_spanish(day: NaiveDate) -> String {
    format!(
        "{} {} de {}",
        WEEKDAYS_ES[day.weekday().num_days_from_monday() as usize],
        day.day(),
        MONTHS_ES[day.month0() as usize]
    )
}

fn date_in_english(day: NaiveDate) -> String {
    day.format("%A, %B %-d").to_string()
}

/// What messages about an appointment say of it: names, and its time in the business's zone.
pub(crate) struct Details {
    pub contact: Option<contacts::Model>,
    pub service: String,
    pub staff: String,
    pub business: tenants::Model,
    pub date_es: String,
    pub date_en: String,
    pub time: String,
    pub manage_url: Option<String>,
}

impl Details {
    pub(crate) fn when(&self) -> AppointmentWhen<'_> {
        AppointmentWhen {
            service: &self.service,
            staff: &self.staff,
            date_es: &self.date_es,
            date_en: &self.date_en,
            time: &self.time,
            manage_url: self.manage_url.as_deref(),
        }
    }

    /// `{name}`, `{service}`, `{staff}`, `{date}`, `{time}`, `{business}` and `{manageUrl}`
    /// in a template variable.
    fn fill(&self, text: &str) -> String {
        let name = self
            .contact
            .as_ref()
            .map(|c| c.first_name.as_str())
            .unwrap_or_default();
        text.replace("{name}", name)
            .replace("{service}", &self.service)
            .replace("{staff}", &self.staff)
            .replace("{date}", &self.date_es)
            .replace("{time}", &self.time)
            .replace("{business}", &self.business.name)
            .replace(
                "{manageUrl}",
                self.manage_url.as_deref().unwrap_or_default(),
            )
    }
}

/// Where a customer manages a booking: confirm, move or cancel it.
pub fn manage_url(deps: &Deps, token: &str) -> String {
    format!(
        "{}/cita/{token}",
        deps.mail.public_url.trim_end_matches('/')
    )
}

pub(crate) fn local(zone: Tz, at: DateTime<Utc>) -> (NaiveDate, String) {
    let local = at.with_timezone(&zone);
    (local.date_naive(), local.format("%H:%M").to_string())
}

pub(crate) async fn details(deps: &Deps, tx: &TenantTx, a: &Appointment) -> Result<Details> {
    let business = tenant_region(&**tx, tx.tenant_id()).await?;
    let zone: Tz = business.timezone.parse().unwrap_or(chrono_tz::UTC);
    let contact = match a.contact_id {
        Some(id) => {
            tx.select::<contacts::Entity>()
                .filter(contacts::Column::Id.eq(id))
                .one(&**tx)
                .await?
        }
        None => None,
    };
    let service = tx.get::<services::Entity>(a.service_id, "service").await?;
    let staff = tx
        .get::<resources::Entity>(a.resource_id, "resource")
        .await?;
    let (day, time) = local(zone, a.starts_at);
    Ok(Details {
        contact,
        service: service.name,
        staff: staff.name,
        business,
        date_es: date_in_spanish(day),
        date_en: date_in_english(day),
        time,
        manage_url: a.manage_token.as_deref().map(|t| manage_url(deps, t)),
    })
}

/// Brings an appointment's reminders in line with it: reminders of a start it no longer
/// has are skipped, and one per configured offset still ahead is written for its start;
/// an appointment no longer on keeps none pending.
pub(crate) async fn plan(tx: &TenantTx, appointment: &Appointment) -> Result<()> {
    let now = tx.now();
    let holds = Status::from_stored(&appointment.status)
        .map(|s| matches!(s, Status::Booked | Status::Confirmed))
        .unwrap_or(false);
    let mut void = appointment_reminders::Entity::update_many()
        .col_expr(
            appointment_reminders::Column::Status,
            Expr::value(ReminderStatus::Skipped.key()),
        )
        .col_expr(
            appointment_reminders::Column::Note,
            Expr::value(if holds { "moved" } else { "no longer on" }),
        )
        .touched(now)
        .filter(appointment_reminders::Column::TenantId.eq(tx.tenant_id()))
        .filter(appointment_reminders::Column::AppointmentId.eq(appointment.id))
        .filter(appointment_reminders::Column::Status.eq(ReminderStatus::Pending.key()));
    if holds {
        void = void.filter(appointment_reminders::Column::ForStartsAt.ne(appointment.starts_at));
    }
    void.exec(&**tx).await?;
    if !holds {
        return Ok(());
    }
    let settings = settings::current(tx).await?;
    let rows: Vec<_> = settings::reminder_offsets(&settings)
        .into_iter()
        .map(|offset| {
            (
                offset,
                appointment.starts_at - TimeDelta::minutes(i64::from(offset)),
            )
        })
        .filter(|(_, due)| *due > now)
        .map(|(offset, due)| {
            stamped(
                now,
                appointment_reminders::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    appointment_id: Set(appointment.id),
                    offset_minutes: Set(offset),
                    for_starts_at: Set(appointment.starts_at),
                    due_at: Set(due),
                    status: Set(ReminderStatus::Pending.key().into()),
                    channel: Set(None),
                    message_id: Set(None),
                    sent_at: Set(None),
                    note: Set(None),
                    ..Default::default()
                },
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Moved back to a start it had before: those reminders exist, skipped; they stay so.
    appointment_reminders::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                appointment_reminders::Column::TenantId,
                appointment_reminders::Column::AppointmentId,
                appointment_reminders::Column::ForStartsAt,
                appointment_reminders::Column::OffsetMinutes,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&**tx)
        .await?;
    Ok(())
}

/// The order to try: the appointment's choice first, then WhatsApp, SMS and email.
fn order(preferred: Option<Via>) -> Vec<Via> {
    let mut order: Vec<Via> = preferred.into_iter().collect();
    for via in [Via::Whatsapp, Via::Sms, Via::Email] {
        if !order.contains(&via) {
            order.push(via);
        }
    }
    order
}

/// Queues a message about an appointment on the first way that reaches the contact:
/// `whatsapp` with the business's approved template, `sms` with `text`, or `email`. Returns
/// how it went and the message or email id; a contact no way reaches is a conflict naming
/// why each failed.
pub(crate) async fn reach(
    tx: &mut TenantTx,
    details: &Details,
    template: &settings::WhatsappTemplate,
    preferred: Option<Via>,
    text: &str,
    email_template: &dyn tianguis_kernel::email::templates::EmailTemplate,
) -> Result<(Via, Uuid)> {
    let Some(contact) = details.contact.as_ref() else {
        return Err(Error::conflict(
            "contactId",
            "the appointment has no contact",
        ));
    };
    let mut why = Vec::new();
    for via in order(preferred) {
        let queued = match via {
            Via::Whatsapp | Via::Sms if contact.phone.is_none() => {
                why.push(format!("{}: no phone", via.key()));
                continue;
            }
            Via::Whatsapp => {
                let Some(template_id) = template.id else {
                    why.push("whatsapp: no template".into());
                    continue;
                };
                let variables = template.variables.iter().map(|v| details.fill(v)).collect();
                messages::queue_to_contact(
                    tx,
                    contact.id,
                    ChannelKind::Whatsapp,
                    Compose::Template {
                        template_id,
                        variables,
                    },
                )
                .await
                .map(|m| m.id)
            }
            Via::Sms => messages::queue_to_contact(
                tx,
                contact.id,
                ChannelKind::Sms,
                Compose::Text(text.into()),
            )
            .await
            .map(|m| m.id),
            Via::Email => {
                let Some(address) = contact.email.as_deref() else {
                    why.push("email: no address".into());
                    continue;
                };
                let (branding, locale) =
                    tianguis_tenancy::tenants::branding(&**tx, tx.tenant_id()).await?;
                let job = email::queue(
                    &**tx,
                    NewEmail {
                        tenant_id: Some(tx.tenant_id()),
                        to: address,
                        locale: &locale,
                        branding: &branding,
                        template: email_template,
                        at: tx.now(),
                    },
                )
                .await?;
                let id = email::email_of(&job).unwrap_or_default();
                tx.enqueue_after_commit(job).await?;
                Ok(id)
            }
        };
        match queued {
            Ok(id) => return Ok((via, id)),
            Err(
                Error::Invalid { message, .. }
                | Error::Conflict { message, .. }
                | Error::PlanLimit(message),
            ) => {
                why.push(format!("{}: {message}", via.key()));
            }
            Err(other) => return Err(other),
        }
    }
    Err(Error::conflict("remindVia", why.join("; ")))
}

/// Sends the reminders that are due (the sweep); returns how many went out.
pub async fn send_due(deps: &Deps) -> Result<usize> {
    let due = appointment_reminders::Entity::find()
        .filter(appointment_reminders::Column::Status.eq(ReminderStatus::Pending.key()))
        .filter(appointment_reminders::Column::DueAt.lte(deps.clock.now()))
        .order_by_asc(appointment_reminders::Column::DueAt)
        .limit(SWEEP_BATCH)
        .all(&deps.db)
        .await?;
    let mut sent = 0;
    for reminder in due {
        if send_one(deps, reminder.tenant_id, reminder.id).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Claims one reminder and queues its message in the same transaction; false when another
/// worker claimed it first or it was skipped.
async fn send_one(deps: &Deps, tenant_id: Uuid, id: Uuid) -> Result<bool> {
    let mut tx = TenantTx::begin(deps, tenant_id).await?;
    let now = tx.now();
    let claimed = appointment_reminders::Entity::update_many()
        .col_expr(
            appointment_reminders::Column::Status,
            Expr::value(ReminderStatus::Sent.key()),
        )
        .col_expr(appointment_reminders::Column::SentAt, Expr::value(now))
        .touched(now)
        .filter(appointment_reminders::Column::TenantId.eq(tenant_id))
        .filter(appointment_reminders::Column::Id.eq(id))
        .filter(appointment_reminders::Column::Status.eq(ReminderStatus::Pending.key()))
        .exec(&*tx)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(false);
    }
    let reminder = tx
        .get::<appointment_reminders::Entity>(id, "reminder")
        .await?;
    let appointment = tx
        .get::<appointments::Entity>(reminder.appointment_id, "appointment")
        .await?;
    let status = Status::from_stored(&appointment.status)?;
    let skip = if !matches!(status, Status::Booked | Status::Confirmed) {
        Some(format!("the appointment is {}", status.key()))
    } else if appointment.starts_at != reminder.for_starts_at {
        Some("the appointment moved".to_owned())
    } else if appointment.starts_at <= now {
        Some("the appointment has started".to_owned())
    } else {
        None
    };
    let mut model: appointment_reminders::ActiveModel = reminder.into();
    let outcome = match skip {
        Some(reason) => Err(reason),
        None => {
            let details = details(deps, &tx, &appointment).await?;
            let settings = settings::current(&tx).await?;
            let text = format!(
                "Recordatorio de {}: {} con {} el {} a las {}. Responde 1 para confirmar o 2 para cancelar.",
                details.business.name,
                details.service,
                details.staff,
                details.date_es,
                details.time
            );
            let preferred = appointment.remind_via.as_deref().and_then(Via::from_key);
            match reach(
                &mut tx,
                &details,
                &settings::reminder_template(&settings),
                preferred,
                &text,
                &AppointmentReminder(details.when()),
            )
            .await
            {
                Ok(sent) => Ok(sent),
                Err(Error::Conflict { message, .. }) => Err(message),
                Err(other) => return Err(other),
            }
        }
    };
    let sent = outcome.is_ok();
    match outcome {
        Ok((via, message)) => {
            model.channel = Set(Some(via.key().into()));
            model.message_id = Set(Some(message));
        }
        Err(reason) => {
            model.status = Set(ReminderStatus::Skipped.key().into());
            model.sent_at = Set(None);
            model.note = Set(Some(reason));
        }
    }
    tx.update(model).await?;
    tx.commit().await?;
    Ok(sent)
}

/// The reminders of appointments, by appointment, oldest first.
pub async fn of_appointments(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Reminder>>> {
    crate::setup::require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<appointment_reminders::Entity>()
        .filter(appointment_reminders::Column::AppointmentId.is_in(ids.iter().copied()))
        .order_by_asc(appointment_reminders::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut by = std::collections::HashMap::<Uuid, Vec<Reminder>>::new();
    for row in rows {
        by.entry(row.appointment_id).or_default().push(row);
    }
    Ok(by)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Confirm,
    Cancel,
}

impl Answer {
    /// A reply's meaning: the digit of the reminder's instructions, the word, or the title of
    /// the template's quick-reply button.
    fn parse(text: &str) -> Option<Self> {
        let word: String = text
            .trim()
            .trim_end_matches(['.', '!'])
            .to_uppercase()
            .replace('Í', "I");
        match word.as_str() {
            "1" | "CONFIRMAR" | "CONFIRMO" | "SI" | "CONFIRM" | "YES" => Some(Answer::Confirm),
            "2" | "CANCELAR" | "CANCELO" | "CANCEL" => Some(Answer::Cancel),
            _ => None,
        }
    }
}

/// Answers to reminders, as they arrive in a conversation.
pub struct ReminderReplies;

impl ReplyHandler for ReminderReplies {
    fn handle<'a>(
        &'a self,
        deps: &'a Deps,
        tx: &'a mut TenantTx,
        reply: &'a Reply,
    ) -> tianguis_kernel::registry::BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let Some(answer) = Answer::parse(&reply.text) else {
                return Ok(false);
            };
            let Some(appointment) = reminded(tx, reply.contact_id).await? else {
                return Ok(false);
            };
            let ctx = TenantCtx::system(tx.tenant_id());
            let (next, word) = match answer {
                Answer::Confirm => (Status::Confirmed, "confirmada"),
                Answer::Cancel => (Status::Cancelled, "cancelada"),
            };
            let current = Status::from_stored(&appointment.status)?;
            let changed = if current == next {
                appointment
            } else {
                crate::appointments::transition(
                    deps,
                    tx,
                    &ctx,
                    appointment,
                    next,
                    Some("answered a reminder".into()),
                )
                .await?
            };
            let details = details(deps, tx, &changed).await?;
            let text = format!(
                "Gracias. Tu cita de {} del {} a las {} quedó {word}.",
                details.service, details.date_es, details.time
            );
            // The contact just wrote, so the conversation is open for a plain answer.
            match messages::queue_to_contact(
                tx,
                reply.contact_id,
                reply.channel,
                Compose::Text(text),
            )
            .await
            {
                Ok(_)
                | Err(Error::Conflict { .. } | Error::Invalid { .. } | Error::PlanLimit(_)) => {}
                Err(other) => return Err(other),
            }
            Ok(true)
        })
    }
}

/// The contact's next appointment still on that a reminder went out for.
async fn reminded(tx: &TenantTx, contact_id: Uuid) -> Result<Option<Appointment>> {
    let upcoming = tx
        .select::<appointments::Entity>()
        .filter(appointments::Column::ContactId.eq(contact_id))
        .filter(appointments::Column::StartsAt.gt(tx.now()))
        .filter(appointments::Column::Status.is_in([Status::Booked.key(), Status::Confirmed.key()]))
        .order_by_asc(appointments::Column::StartsAt)
        .limit(20)
        .all(&**tx)
        .await?;
    if upcoming.is_empty() {
        return Ok(None);
    }
    let reminded: std::collections::HashSet<Uuid> = tx
        .select::<appointment_reminders::Entity>()
        .filter(appointment_reminders::Column::AppointmentId.is_in(upcoming.iter().map(|a| a.id)))
        .filter(appointment_reminders::Column::Status.eq(ReminderStatus::Sent.key()))
        .all(&**tx)
        .await?
        .into_iter()
        .filter(|r| {
            upcoming
                .iter()
                .any(|a| a.id == r.appointment_id && a.starts_at == r.for_starts_at)
        })
        .map(|r| r.appointment_id)
        .collect();
    Ok(upcoming.into_iter().find(|a| reminded.contains(&a.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_digits_words_and_buttons() {
        for confirm in ["1", " confirmar ", "Sí", "CONFIRMO.", "si!"] {
            assert_eq!(Answer::parse(confirm), Some(Answer::Confirm), "{confirm}");
        }
        for cancel in ["2", "Cancelar", "cancelo"] {
            assert_eq!(Answer::parse(cancel), Some(Answer::Cancel), "{cancel}");
        }
        for other in ["12", "hola", "¿puedo cambiarla?", ""] {
            assert_eq!(Answer::parse(other), None, "{other}");
        }
    }

    #[test]
    fn dates_read_as_a_mexican_clinic_writes_them() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).expect("a real date");
        assert_eq!(date_in_spanish(day), "viernes 4 de diciembre");
        assert_eq!(date_in_english(day), "Friday, December 4");
        assert_eq!(day.weekday(), chrono::Weekday::Fri);
    }
}
