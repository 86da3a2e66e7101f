//! The self-invoicing page (autofactura): a customer types the code on their receipt and
//! their fiscal data, and the CFDI is stamped and emailed to them. Plain HTML forms, so it
//! works with JavaScript off.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tianguis_domain::Error;
use tianguis_domain::billing::catalogs::CFDI_USES;
use tianguis_domain::billing::sales::{self, SelfInvoiceInput};
use tianguis_domain::email::templates::{escape, safe_color};
use tianguis_domain::rules::TAX_REGIMES;
use tianguis_domain::tenancy::tenants;

use super::proposal_page::shell;
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct SelfInvoiceForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    rfc: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_regime: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    cfdi_use: String,
    #[serde(default)]
    email: String,
}

pub async fn show(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match tenants::by_slug(&state.deps, &slug).await {
        Ok(business) => page(
            StatusCode::OK,
            &business.into(),
            &SelfInvoiceForm::default(),
            None,
        ),
        Err(err) => failure(err),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Form(form): Form<SelfInvoiceForm>,
) -> Response {
    let found = match tenants::by_slug(&state.deps, &slug).await {
        Ok(found) => found,
        Err(err) => return failure(err),
    };
    let input = SelfInvoiceInput {
        code: form.code.clone(),
        rfc: form.rfc.clone(),
        name: form.name.clone(),
        tax_regime: form.tax_regime.clone(),
        postal_code: form.postal_code.clone(),
        cfdi_use: form.cfdi_use.clone(),
        email: form.email.clone(),
    };
    let outcome = sales::self_invoice(&state.deps, &found, input).await;
    let business = tenants::Tenant::from(found);
    match outcome {
        Ok(invoice) => {
            let to = escape(invoice.receiver_email.as_deref().unwrap_or_default());
            let body = format!(
                r#"<div class="card"><header><h1>{}</h1></header><p class="done">Tu factura {}-{} se está timbrando; la enviaremos a <strong>{to}</strong> en unos minutos con su XML.</p></div>"#,
                escape(&business.name),
                escape(&invoice.series),
                invoice.folio,
            );
            (
                StatusCode::OK,
                Html(shell(
                    "Factura solicitada",
                    safe_color(&business.brand_color),
                    &body,
                )),
            )
                .into_response()
        }
        // What the customer can fix is shown with the form as they filled it.
        Err(Error::Invalid { message, .. } | Error::Conflict { message, .. }) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &business,
            &form,
            Some(&message),
        ),
        Err(err) => failure(err),
    }
}

fn failure(err: Error) -> Response {
    match err {
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            Html(shell(
                "Página no encontrada",
                "#0F766E",
                "<p>Esta página de facturación no existe. Revisa la dirección impresa en tu ticket.</p>",
            )),
        )
            .into_response(),
        err => {
            tracing::error!(error = ?err, "self-invoicing page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(shell(
                    "Error",
                    "#0F766E",
                    "<p>Algo salió mal. Intenta de nuevo en unos minutos.</p>",
                )),
            )
                .into_response()
        }
    }
}

fn options(choices: impl Iterator<Item = (&'static str, &'static str)>, chosen: &str) -> String {
    choices
        .map(|(code, label)| {
            format!(
                r#"<option value="{code}"{}>{code} · {}</option>"#,
                if code == chosen { " selected" } else { "" },
                escape(label)
            )
        })
        .collect()
}

/// The form; every value that came from a person is escaped.
fn page(
    status: StatusCode,
    business: &tenants::Tenant,
    form: &SelfInvoiceForm,
    message: Option<&str>,
) -> Response {
    let color = safe_color(&business.brand_color);
    let notice = message
        .map(|m| format!(r#"<p class="notice" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let regimes = options(TAX_REGIMES.iter().copied(), &form.tax_regime);
    let uses = options(
        CFDI_USES.iter().map(|(code, label, _, _)| (*code, *label)),
        if form.cfdi_use.is_empty() {
            "G03"
        } else {
            &form.cfdi_use
        },
    );
    let body = format!(
        r#"<div class="card"><header><h1>{name}</h1><p class="muted">Factura tu compra: escribe el código de tu ticket y tus datos fiscales como aparecen en tu Constancia de Situación Fiscal.</p></header>
{notice}<form method="post">
<label>Código del ticket<input name="code" required maxlength="20" autocomplete="off" value="{code}"></label>
<label>RFC<input name="rfc" required maxlength="13" autocapitalize="characters" value="{rfc}"></label>
<label>Nombre o razón social<input name="name" required maxlength="300" value="{holder}"></label>
<label>Régimen fiscal<select name="tax_regime" required><option value="">Elige…</option>{regimes}</select></label>
<label>Código postal fiscal<input name="postal_code" required inputmode="numeric" maxlength="5" value="{postal}"></label>
<label>Uso del CFDI<select name="cfdi_use" required>{uses}</select></label>
<label>Correo para recibir la factura<input name="email" type="email" required maxlength="254" value="{email}"></label>
<button class="accept" type="submit">Facturar</button>
</form></div>"#,
        name = escape(&business.name),
        code = escape(&form.code),
        rfc = escape(&form.rfc),
        holder = escape(&form.name),
        postal = escape(&form.postal_code),
        email = escape(&form.email),
    );
    (status, Html(shell("Facturación", color, &body))).into_response()
}
