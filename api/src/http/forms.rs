//! A business's public forms: the hosted page (a plain HTML form, so it works with
//! JavaScript off and inside an iframe), and the JSON endpoint a business's own site posts
//! to, open to the origins the form lists.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use tianguis_domain::Error;
use tianguis_domain::automation::forms::{
    self, Field, FieldKind, FormSettings, PublicForm, Submission, Submitted,
};
use tianguis_domain::crm::leads::Attribution;
use tianguis_domain::email::templates::{escape, safe_color};
use uuid::Uuid;

use super::auth::request_meta;
use super::proposal_page::{logo, shell};
use crate::AppState;

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

const HONEYPOT: &str = "website";
const ATTRIBUTION: [&str; 4] = ["utm_source", "utm_medium", "utm_campaign", "referrer"];

fn attribution(get: impl Fn(&str) -> Option<String>) -> Attribution {
    Attribution {
        utm_source: get("utm_source"),
        utm_medium: get("utm_medium"),
        utm_campaign: get("utm_campaign"),
        referrer: get("referrer"),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(shell(
            "Formulario",
            "#0F766E",
            "<div class=\"card\"><p>Este formulario no existe o ya no está disponible.</p></div>",
        )),
    )
        .into_response()
}

fn unexpected(err: Error) -> Response {
    tracing::error!(error = ?err, "form failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(shell(
            "Formulario",
            "#0F766E",
            "<div class=\"card\"><p>Algo salió mal. Intenta de nuevo en unos minutos.</p></div>",
        )),
    )
        .into_response()
}

fn input(field: &Field, value: &str) -> String {
    let name = escape(&field.key);
    let required = if field.required { " required" } else { "" };
    let max = field
        .max_length
        .map(|m| format!(r#" maxlength="{m}""#))
        .unwrap_or_default();
    let label = escape(&field.label);
    let value = escape(value);
    match field.kind {
        FieldKind::Checkbox => format!(
            r#"<label style="display:flex;gap:8px;align-items:center;margin-bottom:12px"><input type="checkbox" name="{name}" style="width:auto;margin:0"{required}{checked}> {label}</label>"#,
            checked = if value.is_empty() { "" } else { " checked" }
        ),
        FieldKind::Textarea => format!(
            r#"<label>{label}<textarea name="{name}" rows="4"{required}{max}>{value}</textarea></label>"#
        ),
        FieldKind::Select => {
            let options: String = field
                .options
                .iter()
                .map(|o| {
                    let selected = if escape(o) == value { " selected" } else { "" };
                    format!(r#"<option{selected}>{}</option>"#, escape(o))
                })
                .collect();
            format!(
                r#"<label>{label}<select name="{name}"{required}><option value=""></option>{options}</select></label>"#
            )
        }
        kind => {
            let (kind, mode) = match kind {
                FieldKind::Email => ("email", "email"),
                FieldKind::Phone => ("tel", "tel"),
                FieldKind::Number => ("text", "decimal"),
                _ => ("text", "text"),
            };
            format!(
                r#"<label>{label}<input type="{kind}" inputmode="{mode}" name="{name}" value="{value}"{required}{max}></label>"#
            )
        }
    }
}

/// The form page; `values` refills it after a refusal, `error` says what to fix.
fn render(
    state: &AppState,
    page: &PublicForm,
    values: &HashMap<String, String>,
    error: Option<(&str, &str)>,
) -> String {
    let business = &page.business;
    let form = &page.form;
    let color = safe_color(&business.brand_color);
    let logo = logo(business.logo_url.as_deref());
    let mut body = String::new();
    if let Some((field, message)) = error {
        let label = form
            .fields
            .iter()
            .find(|f| f.key == field)
            .map_or(field, |f| f.label.as_str());
        body.push_str(&format!(
            r#"<div class="notice" role="alert" data-field="{}">{}: {}</div>"#,
            escape(field),
            escape(label),
            escape(message)
        ));
    }
    let get = |key: &str| values.get(key).map(String::as_str).unwrap_or_default();
    for field in &form.fields {
        body.push_str(&input(field, get(&field.key)));
    }
    if let Some(consent) = &form.consent_text {
        body.push_str(&format!(
            r#"<label style="display:flex;gap:8px;align-items:flex-start;margin-bottom:12px"><input type="checkbox" name="consent" required style="width:auto;margin:4px 0 0"> <span class="muted">{}</span></label>"#,
            escape(consent)
        ));
    }
    for key in ATTRIBUTION {
        body.push_str(&format!(
            r#"<input type="hidden" name="{key}" value="{}">"#,
            escape(get(key))
        ));
    }
    // People never see this field; bots that fill every input do.
    body.push_str(&format!(
        r#"<div style="position:absolute;left:-10000px" aria-hidden="true"><input type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off"></div>"#
    ));
    let captcha = match (form.captcha, state.deps.settings::<FormSettings>()) {
        (true, Ok(FormSettings { captcha: Some(v) })) => {
            let widget = v.widget();
            format!(
                r#"<script src="{}" async defer></script><div class="{}" data-sitekey="{}"></div>"#,
                escape(&widget.script_url),
                escape(&widget.class),
                escape(&widget.site_key)
            )
        }
        _ => String::new(),
    };
    let card = format!(
        r#"<div class="card"><header>{logo}<h1>{name}</h1><p class="muted">{business_name}</p></header><form method="post" style="position:relative">{body}{captcha}<button class="accept" type="submit">Enviar</button></form></div>"#,
        name = escape(&form.name),
        business_name = escape(&business.name),
    );
    shell(&form.name, color, &card)
}

async fn public(state: &AppState, slug: &str, form: Uuid) -> Result<PublicForm, Response> {
    match forms::public(&state.deps, slug, form).await {
        Ok(page) => Ok(page),
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(err) => Err(unexpected(err)),
    }
}

/// The hosted page. UTM parameters and the referring page ride along as hidden fields.
pub async fn show(
    State(state): State<AppState>,
    Path((slug, form)): Path<(String, Uuid)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let page = match public(&state, &slug, form).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let mut values: HashMap<String, String> = query
        .into_iter()
        .filter(|(k, _)| ATTRIBUTION.contains(&k.as_str()))
        .collect();
    if let Some(referrer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) {
        values
            .entry("referrer".to_owned())
            .or_insert_with(|| referrer.to_owned());
    }
    Html(render(&state, &page, &values, None)).into_response()
}

fn captcha_token(state: &AppState, fields: &HashMap<String, String>) -> Option<String> {
    let verifier = state
        .deps
        .settings::<FormSettings>()
        .ok()?
        .captcha
        .clone()?;
    fields.get(&verifier.widget().response_field).cloned()
}

/// The hosted page's post: a thank-you (or the form's redirect), or the page again with
/// what to fix.
pub async fn submit_page(
    State(state): State<AppState>,
    Path((slug, form)): Path<(String, Uuid)>,
    headers: HeaderMap,
    peer: Peer,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let page = match public(&state, &slug, form).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let meta = request_meta(&headers, peer.map(|p| p.0.0));
    let submission = Submission {
        values: fields.clone(),
        consent: fields.contains_key("consent"),
        honeypot: fields.get(HONEYPOT).cloned(),
        captcha_token: captcha_token(&state, &fields),
        ip: meta.ip,
        user_agent: meta.user_agent,
        attribution: attribution(|k| fields.get(k).cloned()),
    };
    match forms::submit(&state.deps, &page, submission).await {
        Ok(_) => match &page.form.redirect_url {
            Some(url) => Redirect::to(url).into_response(),
            None => {
                let message = page
                    .form
                    .success_message
                    .as_deref()
                    .unwrap_or("¡Gracias! Recibimos tus datos.");
                let card = format!(
                    r#"<div class="card"><header><h1>{}</h1></header><p class="done" role="status">{}</p></div>"#,
                    escape(&page.form.name),
                    escape(message)
                );
                Html(shell(
                    &page.form.name,
                    safe_color(&page.business.brand_color),
                    &card,
                ))
                .into_response()
            }
        },
        Err(Error::Invalid { field, message }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(render(&state, &page, &fields, Some((&field, &message)))),
        )
            .into_response(),
        Err(Error::RateLimited { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            Html(render(
                &state,
                &page,
                &fields,
                Some((
                    "",
                    "Demasiados envíos. Espera un poco y vuelve a intentarlo.",
                )),
            )),
        )
            .into_response(),
        Err(err) => unexpected(err),
    }
}

/// The CORS headers for `origin` when the form lists it.
fn cors(
    page: &PublicForm,
    headers: &HeaderMap,
) -> Result<Vec<(header::HeaderName, HeaderValue)>, ()> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser's cross-origin request: a server posting, which CORS does not govern.
        return Ok(Vec::new());
    };
    let allowed = origin.to_str().is_ok_and(|o| page.form.allows_origin(o));
    if !allowed {
        return Err(());
    }
    Ok(vec![
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()),
        (header::VARY, HeaderValue::from_static("Origin")),
    ])
}

fn json_error(status: StatusCode, code: &str, field: Option<&str>, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "field": field, "message": message } })),
    )
        .into_response()
}

fn forbidden_origin() -> Response {
    json_error(
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        None,
        "this origin may not post to the form",
    )
}

/// The browser's preflight for the JSON endpoint.
pub async fn preflight(
    State(state): State<AppState>,
    Path((slug, form)): Path<(String, Uuid)>,
    headers: HeaderMap,
) -> Response {
    let page = match forms::public(&state.deps, &slug, form).await {
        Ok(page) => page,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    match cors(&page, &headers) {
        Ok(mut allow) => {
            allow.push((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            ));
            allow.push((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            ));
            allow.push((
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            ));
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.headers_mut().extend(allow);
            response
        }
        Err(()) => forbidden_origin(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonSubmission {
    #[serde(default)]
    values: HashMap<String, Value>,
    #[serde(default)]
    consent: bool,
    #[serde(default)]
    website: Option<String>,
    #[serde(default)]
    captcha_token: Option<String>,
    #[serde(default)]
    utm_source: Option<String>,
    #[serde(default)]
    utm_medium: Option<String>,
    #[serde(default)]
    utm_campaign: Option<String>,
    #[serde(default)]
    referrer: Option<String>,
}

/// The JSON endpoint: 201 with the submission, 422 naming the field, 429 past the limit.
pub async fn submit_json(
    State(state): State<AppState>,
    Path((slug, form)): Path<(String, Uuid)>,
    headers: HeaderMap,
    peer: Peer,
    body: Result<Json<JsonSubmission>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let page = match forms::public(&state.deps, &slug, form).await {
        Ok(page) => page,
        Err(Error::NotFound(_)) => {
            return json_error(StatusCode::NOT_FOUND, "NOT_FOUND", None, "no such form");
        }
        Err(err) => return unexpected(err),
    };
    let Ok(allow) = cors(&page, &headers) else {
        return forbidden_origin();
    };
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let mut response = json_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                None,
                &rejection.body_text(),
            );
            response.headers_mut().extend(allow);
            return response;
        }
    };
    let meta = request_meta(&headers, peer.map(|p| p.0.0));
    let values = body
        .values
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Bool(true) => "on".to_owned(),
                Value::Bool(false) => String::new(),
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    let submission = Submission {
        values,
        consent: body.consent,
        honeypot: body.website,
        captcha_token: body.captcha_token,
        ip: meta.ip,
        user_agent: meta.user_agent,
        attribution: Attribution {
            utm_source: body.utm_source,
            utm_medium: body.utm_medium,
            utm_campaign: body.utm_campaign,
            referrer: body.referrer.or_else(|| {
                headers
                    .get(header::REFERER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            }),
        },
    };
    let mut response = match forms::submit(&state.deps, &page, submission).await {
        Ok(Submitted::Accepted {
            submission_id,
            contact_id,
            lead_id,
        }) => (
            StatusCode::CREATED,
            Json(json!({ "submissionId": submission_id, "contactId": contact_id, "leadId": lead_id })),
        )
            .into_response(),
        // The bot is told it worked.
        Ok(Submitted::Discarded) => (StatusCode::CREATED, Json(json!({}))).into_response(),
        Err(Error::Invalid { field, message }) => json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_USER_INPUT",
            Some(&field),
            &message,
        ),
        Err(Error::RateLimited { retry_after_secs }) => {
            let mut response = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                None,
                "too many submissions from this address",
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(err) => {
            tracing::error!(error = ?err, "form submission failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                None,
                "the submission could not be taken",
            )
        }
    };
    response.headers_mut().extend(allow);
    response
}
