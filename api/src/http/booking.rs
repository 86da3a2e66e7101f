//! The public booking pages: a business's services and free times, the booking form (with
//! a phone code when the business asks for it), the page a customer manages their booking
//! on, the waitlist's offers, and the calendar feeds. Plain HTML forms, so they work with
//! JavaScript off.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tianguis_domain::Error;
use tianguis_domain::email::templates::{escape, safe_color};
use tianguis_domain::scheduling::public::{self, BookingPage, CustomerAction, PublicBooking};
use tianguis_domain::scheduling::reminders::{Via, date_in_spanish};
use tianguis_domain::scheduling::{feeds, waitlist};
use tianguis_domain::tenancy::tenants::Tenant;
use uuid::Uuid;

use super::proposal_page::shell;
use crate::AppState;

fn zone_of(business: &Tenant) -> Tz {
    business.timezone.parse().unwrap_or(chrono_tz::UTC)
}

/// "viernes 4 de diciembre, 10:30" in the business's zone.
fn when(zone: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&zone);
    format!(
        "{}, {}",
        date_in_spanish(local.date_naive()),
        local.format("%H:%M")
    )
}

fn page(status: StatusCode, business: &Tenant, title: &str, body: &str) -> Response {
    let card = format!(
        r#"<div class="card"><header><h1>{}</h1></header>{body}</div>"#,
        escape(&business.name)
    );
    (
        status,
        Html(shell(title, safe_color(&business.brand_color), &card)),
    )
        .into_response()
}

fn notice(message: Option<&str>) -> String {
    message
        .map(|m| format!(r#"<p class="notice" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default()
}

fn failure(err: Error) -> Response {
    let (status, text) = match err {
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "Esta página no existe o ya no está disponible.",
        ),
        Error::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Demasiados intentos. Espera un poco y vuelve a intentarlo.",
        ),
        Error::Invalid { .. } | Error::Conflict { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "No se pudo completar. Vuelve a intentarlo.",
        ),
        err => {
            tracing::error!(error = ?err, "booking page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Algo salió mal. Intenta de nuevo en unos minutos.",
            )
        }
    };
    (
        status,
        Html(shell("Reservas", "#0F766E", &format!("<p>{text}</p>"))),
    )
        .into_response()
}

/// A refusal the customer can act on, or the generic failure page.
fn refusal(err: Error) -> Result<String, Error> {
    match err {
        Error::Invalid { message, .. } | Error::Conflict { message, .. } => Ok(message),
        err => Err(err),
    }
}

async fn booking_page(state: &AppState, slug: &str) -> Result<BookingPage, Response> {
    public::page(&state.deps, slug).await.map_err(failure)
}

pub async fn services(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let booking = match booking_page(&state, &slug).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let business = Tenant::from(booking.business.clone());
    let offered = match public::services(&state.deps, &booking).await {
        Ok(found) => found,
        Err(err) => return failure(err),
    };
    let items: String = offered
        .iter()
        .map(|s| {
            format!(
                r#"<li><a href="/reservar/{slug}/{id}"><strong>{name}</strong></a> <span class="muted">{minutes} min</span></li>"#,
                slug = escape(&slug),
                id = s.id,
                name = escape(&s.name),
                minutes = s.duration_minutes,
            )
        })
        .collect();
    page(
        StatusCode::OK,
        &business,
        "Reservar",
        &format!(r#"<p class="muted">Elige un servicio.</p><ul>{items}</ul>"#),
    )
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    dia: Option<NaiveDate>,
}

/// Today in the business's zone, or the day asked for.
fn chosen_day(zone: Tz, asked: Option<NaiveDate>, now: DateTime<Utc>) -> NaiveDate {
    asked.unwrap_or_else(|| now.with_timezone(&zone).date_naive())
}

/// Free times of a day as links (or buttons posting `action`), with the days around it.
async fn day_view(
    state: &AppState,
    model: &tianguis_entity::tenancy::tenants::Model,
    service_id: Uuid,
    day: NaiveDate,
    link: impl Fn(&DateTime<Utc>, Uuid) -> String,
    around: impl Fn(NaiveDate) -> String,
) -> Result<String, Response> {
    let zone = zone_of(&Tenant::from(model.clone()));
    let (service, slots) = public::day(&state.deps, model, service_id, day)
        .await
        .map_err(failure)?;
    let times: String = if slots.is_empty() {
        r#"<p class="muted">No hay horarios libres este día.</p>"#.into()
    } else {
        slots
            .iter()
            .map(|(slot, who)| {
                format!(
                    "<li>{} · {} {}</li>",
                    slot.starts_at.with_timezone(&zone).format("%H:%M"),
                    escape(&who.name),
                    link(&slot.starts_at, slot.resource_id)
                )
            })
            .collect::<String>()
    };
    let previous = day.pred_opt().unwrap_or(day);
    let next = day.succ_opt().unwrap_or(day);
    Ok(format!(
        r#"<h2>{service}</h2><p><strong>{date}</strong></p><ul>{times}</ul><p><a href="{prev}">← Día anterior</a> · <a href="{next}">Día siguiente →</a></p>"#,
        service = escape(&service.name),
        date = date_in_spanish(day),
        prev = around(previous),
        next = around(next),
    ))
}

pub async fn day(
    State(state): State<AppState>,
    Path((slug, service)): Path<(String, Uuid)>,
    Query(query): Query<DayQuery>,
) -> Response {
    let booking = match booking_page(&state, &slug).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let business = Tenant::from(booking.business.clone());
    let day = chosen_day(zone_of(&business), query.dia, state.deps.clock.now());
    let base = format!("/reservar/{}/{service}", escape(&slug));
    let view = day_view(
        &state,
        &booking.business,
        service,
        day,
        |at, resource| {
            format!(
                r#"<a href="{base}/datos?inicio={}&amp;recurso={resource}">Elegir</a>"#,
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    .replace('+', "%2B")
            )
        },
        |d| format!("{base}?dia={d}"),
    )
    .await;
    match view {
        Ok(body) => page(StatusCode::OK, &business, "Horarios", &body),
        Err(response) => response,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct BookingForm {
    #[serde(default)]
    inicio: String,
    #[serde(default)]
    recurso: String,
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    apellido: String,
    #[serde(default)]
    telefono: String,
    #[serde(default)]
    correo: String,
    #[serde(default)]
    recordar: String,
    #[serde(default)]
    verificacion: String,
    #[serde(default)]
    codigo: String,
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{name}" value="{}">"#,
        escape(value)
    )
}

fn details_form(business: &Tenant, form: &BookingForm, message: Option<&str>) -> String {
    let starts: Option<DateTime<Utc>> = form.inicio.parse().ok();
    let when = starts
        .map(|at| when(zone_of(business), at))
        .unwrap_or_default();
    let option = |value: &str, label: &str| {
        format!(
            r#"<option value="{value}"{}>{label}</option>"#,
            if form.recordar == value {
                " selected"
            } else {
                ""
            }
        )
    };
    format!(
        r#"<p><strong>{when}</strong></p>{notice}<form method="post">{inicio}{recurso}
<label>Nombre<input name="nombre" required maxlength="100" value="{nombre}"></label>
<label>Apellido<input name="apellido" maxlength="100" value="{apellido}"></label>
<label>Teléfono celular<input name="telefono" type="tel" required maxlength="20" value="{telefono}"></label>
<label>Correo (opcional)<input name="correo" type="email" maxlength="254" value="{correo}"></label>
<label>Recordarme por<select name="recordar">{none}{wa}{sms}{mail}</select></label>
<button class="accept" type="submit">Reservar</button></form>"#,
        notice = notice(message),
        inicio = hidden("inicio", &form.inicio),
        recurso = hidden("recurso", &form.recurso),
        nombre = escape(&form.nombre),
        apellido = escape(&form.apellido),
        telefono = escape(&form.telefono),
        correo = escape(&form.correo),
        none = option("", "Lo que prefiera el negocio"),
        wa = option("whatsapp", "WhatsApp"),
        sms = option("sms", "SMS"),
        mail = option("email", "Correo"),
    )
}

fn code_form(form: &BookingForm, verification: Uuid, message: Option<&str>) -> String {
    let carried: String = [
        ("inicio", &form.inicio),
        ("recurso", &form.recurso),
        ("nombre", &form.nombre),
        ("apellido", &form.apellido),
        ("telefono", &form.telefono),
        ("correo", &form.correo),
        ("recordar", &form.recordar),
    ]
    .iter()
    .map(|(name, value)| hidden(name, value))
    .collect();
    format!(
        r#"{notice}<p>Te enviamos un código a <strong>{phone}</strong>.</p><form method="post">{carried}{verification}
<label>Código<input name="codigo" required inputmode="numeric" autocomplete="one-time-code" maxlength="6"></label>
<button class="accept" type="submit">Confirmar reserva</button></form>"#,
        notice = notice(message),
        phone = escape(&form.telefono),
        verification = hidden("verificacion", &verification.to_string()),
    )
}

pub async fn details(
    State(state): State<AppState>,
    Path((slug, _service)): Path<(String, Uuid)>,
    Query(form): Query<BookingForm>,
) -> Response {
    let booking = match booking_page(&state, &slug).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let business = Tenant::from(booking.business.clone());
    page(
        StatusCode::OK,
        &business,
        "Tus datos",
        &details_form(&business, &form, None),
    )
}

pub async fn submit(
    State(state): State<AppState>,
    Path((slug, service)): Path<(String, Uuid)>,
    Form(form): Form<BookingForm>,
) -> Response {
    let booking = match booking_page(&state, &slug).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let business = Tenant::from(booking.business.clone());
    let verification: Option<Uuid> = form.verificacion.parse().ok();
    if booking.settings.verify_phone && verification.is_none() {
        return match public::send_code(&state.deps, &booking, &form.telefono, &form.nombre).await {
            Ok(id) => page(
                StatusCode::OK,
                &business,
                "Código",
                &code_form(&form, id, None),
            ),
            Err(err) => match refusal(err) {
                Ok(message) => page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &business,
                    "Tus datos",
                    &details_form(&business, &form, Some(&message)),
                ),
                Err(err) => failure(err),
            },
        };
    }
    let input = PublicBooking {
        service_id: service,
        resource_id: form.recurso.parse().ok(),
        starts_at: form.inicio.parse().ok(),
        first_name: form.nombre.clone(),
        last_name: form.apellido.clone(),
        phone: form.telefono.clone(),
        email: Some(form.correo.clone()).filter(|e| !e.trim().is_empty()),
        remind_via: Via::from_key(&form.recordar),
        verification: verification.map(|id| (id, form.codigo.clone())),
    };
    match public::book(&state.deps, &booking, input).await {
        Ok(appointment) => match appointment.manage_token {
            Some(token) => Redirect::to(&format!("/cita/{token}")).into_response(),
            None => failure(Error::NotFound("appointment")),
        },
        Err(err) => match (refusal(err), verification) {
            (Ok(message), Some(id)) if booking.settings.verify_phone => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &business,
                "Código",
                &code_form(&form, id, Some(&message)),
            ),
            (Ok(message), _) => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &business,
                "Tus datos",
                &details_form(&business, &form, Some(&message)),
            ),
            (Err(err), _) => failure(err),
        },
    }
}

fn status_in_spanish(status: &str) -> &'static str {
    match status {
        "booked" => "Reservada, por confirmar",
        "confirmed" => "Confirmada",
        "checked_in" => "En curso",
        "completed" => "Atendida",
        "no_show" => "No asististe",
        _ => "Cancelada",
    }
}

pub async fn manage(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<DayQuery>,
) -> Response {
    let managed = match public::managed(&state.deps, &token).await {
        Ok(found) => found,
        Err(err) => return failure(err),
    };
    render_managed(&state, &token, managed, query.dia, None).await
}

async fn render_managed(
    state: &AppState,
    token: &str,
    managed: public::Managed,
    moving_to: Option<NaiveDate>,
    message: Option<&str>,
) -> Response {
    let business = Tenant::from(managed.business.clone());
    let zone = zone_of(&business);
    let a = &managed.appointment;
    let open =
        matches!(a.status.as_str(), "booked" | "confirmed") && a.starts_at > state.deps.clock.now();
    let token = escape(token);
    let mut body = format!(
        r#"{notice}<p><strong>{service}</strong> con {staff}</p><p>{when}</p><p class="muted">{status}</p>"#,
        notice = notice(message),
        service = escape(&managed.service.name),
        staff = escape(&managed.staff),
        when = when(zone, a.starts_at),
        status = status_in_spanish(&a.status),
    );
    if open {
        if a.status == "booked" {
            body.push_str(&format!(
                r#"<form method="post" action="/cita/{token}">{}<button class="accept" type="submit">Confirmar asistencia</button></form><br>"#,
                hidden("accion", "confirmar")
            ));
        }
        body.push_str(&format!(
            r#"<form method="post" action="/cita/{token}">{}<button class="reject" type="submit">Cancelar cita</button></form>"#,
            hidden("accion", "cancelar")
        ));
        let day = moving_to.unwrap_or_else(|| a.starts_at.with_timezone(&zone).date_naive());
        let base = format!("/cita/{token}");
        let moves = day_view(
            state,
            &managed.business,
            a.service_id,
            day,
            |at, resource| {
                format!(
                    r#"<form method="post" action="{base}" style="display:inline">{}{}{}<button type="submit" class="reject" style="width:auto;padding:6px 12px">Cambiar a esta hora</button></form>"#,
                    hidden("accion", "mover"),
                    hidden("inicio", &at.to_rfc3339()),
                    hidden("recurso", &resource.to_string()),
                )
            },
            |d| format!("{base}?dia={d}"),
        )
        .await;
        match moves {
            Ok(view) => body.push_str(&format!("<h3>Cambiar horario</h3>{view}")),
            Err(response) => return response,
        }
    }
    page(StatusCode::OK, &business, "Tu cita", &body)
}

#[derive(Deserialize, Default)]
pub struct ManageForm {
    #[serde(default)]
    accion: String,
    #[serde(default)]
    inicio: String,
}

pub async fn act(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<ManageForm>,
) -> Response {
    let action = match (form.accion.as_str(), form.inicio.parse::<DateTime<Utc>>()) {
        ("confirmar", _) => CustomerAction::Confirm,
        ("cancelar", _) => CustomerAction::Cancel,
        ("mover", Ok(at)) => CustomerAction::Move(at),
        _ => return failure(Error::invalid("accion", "unknown action")),
    };
    match public::act(&state.deps, &token, action).await {
        Ok(_) => Redirect::to(&format!("/cita/{}", escape(&token))).into_response(),
        Err(err) => match refusal(err) {
            Ok(message) => match public::managed(&state.deps, &token).await {
                Ok(managed) => {
                    let mut response =
                        render_managed(&state, &token, managed, None, Some(&message)).await;
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    response
                }
                Err(err) => failure(err),
            },
            Err(err) => failure(err),
        },
    }
}

pub async fn offer(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let entry = match waitlist::offer_by_token(&state.deps, &token).await {
        Ok(found) => found,
        Err(err) => return failure(err),
    };
    let business = match tianguis_domain::db::tenant_region(&state.deps.db, entry.tenant_id).await {
        Ok(found) => Tenant::from(found),
        Err(err) => return failure(err),
    };
    let zone = zone_of(&business);
    let (Some(starts_at), Some(expires)) = (entry.offered_starts_at, entry.offer_expires_at) else {
        return failure(Error::NotFound("offer"));
    };
    let body = format!(
        r#"<p>Se liberó un lugar: <strong>{when}</strong>.</p><p class="muted">Apartado para ti hasta las {until}.</p><form method="post">{button}</form>"#,
        when = when(zone, starts_at),
        until = expires.with_timezone(&zone).format("%H:%M"),
        button = r#"<button class="accept" type="submit">Reservar este lugar</button>"#,
    );
    page(StatusCode::OK, &business, "Lugar disponible", &body)
}

pub async fn take_offer(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match waitlist::take_offer(&state.deps, &token).await {
        Ok(appointment) => match appointment.manage_token {
            Some(manage) => Redirect::to(&format!("/cita/{manage}")).into_response(),
            None => failure(Error::NotFound("appointment")),
        },
        Err(err) => failure(err),
    }
}

/// `GET /calendario/{token}.ics`: the feed calendars subscribe to.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    match feeds::feed(&state.deps, token).await {
        Ok(calendar) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            calendar,
        )
            .into_response(),
        Err(Error::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => failure(err),
    }
}
