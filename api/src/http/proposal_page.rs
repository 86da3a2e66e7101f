//! The public proposal page: what a customer opens from the emailed link, on any phone,
//! without an account. Plain HTML forms, so it works with JavaScript off.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tianguis_domain::Error;
use tianguis_domain::crm::proposals::{self, Answer, PublicProposal, Status};
use tianguis_domain::email::templates::{escape, safe_color};
use tianguis_domain::money::Money;
use tianguis_domain::pricing;

use crate::AppState;

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match proposals::open_public(&state.deps, &token).await {
        Ok(page) => page_response(StatusCode::OK, &page, &token, None),
        Err(err) => failure(err),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    name: String,
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    answer(&state, &token, Answer::Accept { name: form.name }).await
}

pub async fn reject(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<RejectForm>,
) -> Response {
    let reason = Some(form.reason).filter(|r| !r.trim().is_empty());
    answer(&state, &token, Answer::Reject { reason }).await
}

async fn answer(state: &AppState, token: &str, answer: Answer) -> Response {
    match proposals::answer_public(&state.deps, token, answer).await {
        Ok(page) => page_response(StatusCode::OK, &page, token, None),
        // Already answered, expired or a blank name: show the page again with the reason.
        Err(Error::Invalid { message, .. }) => {
            match proposals::open_public(&state.deps, token).await {
                Ok(page) => page_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page,
                    token,
                    Some(&message),
                ),
                Err(err) => failure(err),
            }
        }
        Err(err) => failure(err),
    }
}

fn page_response(
    status: StatusCode,
    page: &PublicProposal,
    token: &str,
    message: Option<&str>,
) -> Response {
    match render(page, token, message) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => failure(err),
    }
}

fn failure(err: Error) -> Response {
    match err {
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            Html(shell("Enlace no válido", "#0F766E", "<p>Este enlace no es válido o fue reemplazado por uno más reciente. / This link is not valid or was replaced by a newer one.</p>")),
        )
            .into_response(),
        err => {
            tracing::error!(error = ?err, "public proposal page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(shell("Error", "#0F766E", "<p>Algo salió mal. Intenta de nuevo. / Something went wrong. Try again.</p>"))).into_response()
        }
    }
}

struct Labels {
    proposal: &'static str,
    for_customer: &'static str,
    valid_until: &'static str,
    description: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
    amount: &'static str,
    subtotal: &'static str,
    discount: &'static str,
    tax: &'static str,
    withheld: &'static str,
    total: &'static str,
    accept: &'static str,
    your_name: &'static str,
    reject: &'static str,
    reason: &'static str,
    accepted: &'static str,
    rejected: &'static str,
    expired: &'static str,
    notes: &'static str,
}

const ES: Labels = Labels {
    proposal: "Cotización",
    for_customer: "Para",
    valid_until: "Válida hasta",
    description: "Descripción",
    quantity: "Cant.",
    unit_price: "Precio unitario",
    amount: "Importe",
    subtotal: "Subtotal",
    discount: "Descuento",
    tax: "IVA",
    withheld: "Retenciones",
    total: "Total",
    accept: "Aceptar cotización",
    your_name: "Tu nombre",
    reject: "Rechazar",
    reason: "Motivo (opcional)",
    accepted: "Aceptada por",
    rejected: "Rechazada",
    expired: "Esta cotización venció.",
    notes: "Notas",
};

const EN: Labels = Labels {
    proposal: "Proposal",
    for_customer: "For",
    valid_until: "Valid until",
    description: "Description",
    quantity: "Qty",
    unit_price: "Unit price",
    amount: "Amount",
    subtotal: "Subtotal",
    discount: "Discount",
    tax: "VAT",
    withheld: "Withholdings",
    total: "Total",
    accept: "Accept proposal",
    your_name: "Your name",
    reject: "Reject",
    reason: "Reason (optional)",
    accepted: "Accepted by",
    rejected: "Rejected",
    expired: "This proposal has expired.",
    notes: "Notes",
};

fn amount(minor: i64, currency: &str) -> String {
    format!(
        "${} {}",
        group(&Money::new(minor, currency).amount().to_string()),
        escape(currency)
    )
}

/// 1234567.50 → 1,234,567.50
fn group(number: &str) -> String {
    let (whole, fraction) = number
        .split_once('.')
        .map_or((number, None), |(w, f)| (w, Some(f)));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The business's logo for a public page; only an https image, so the page stays secure.
pub(crate) fn logo(url: Option<&str>) -> String {
    url.filter(|u| u.starts_with("https://"))
        .map(|u| {
            format!(
                r#"<img src="{}" alt="" style="max-height:48px">"#,
                escape(u)
            )
        })
        .unwrap_or_default()
}

/// A public page's HTML around `body`, in the business's colour; mobile first, no script.
pub(crate) fn shell(title: &str, color: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>{title}</title><style>
body{{margin:0;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;background:#f4f4f5;color:#18181b}}
main{{max-width:760px;margin:0 auto;padding:16px}}
.card{{background:#fff;border-radius:12px;padding:20px;margin-bottom:16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
header{{border-top:6px solid {color}}}
h1{{font-size:22px;margin:8px 0}}
.muted{{color:#71717a;font-size:14px}}
table{{width:100%;border-collapse:collapse;font-size:14px}}
th,td{{padding:8px 4px;border-bottom:1px solid #e4e4e7;text-align:left;vertical-align:top}}
td.n,th.n{{text-align:right;white-space:nowrap}}
.totals td{{border:none;padding:4px}}
.totals tr.grand td{{font-size:18px;font-weight:700}}
input,textarea,select{{width:100%;box-sizing:border-box;padding:12px;border:1px solid #d4d4d8;border-radius:8px;font-size:16px;margin:6px 0 12px}}
button{{width:100%;padding:14px;border:0;border-radius:8px;font-size:16px;font-weight:600;cursor:pointer}}
.accept{{background:{color};color:#fff}}
.reject{{background:#f4f4f5;color:#3f3f46}}
.notice{{padding:12px;border-radius:8px;background:#fef3c7;margin-bottom:16px}}
.done{{padding:12px;border-radius:8px;background:#dcfce7}}
@media (max-width:520px){{.hide-sm{{display:none}}}}
</style></head><body><main>{body}</main></body></html>"#,
        title = escape(title),
    )
}

/// The whole page. Every value that came from a person is escaped.
fn render(page: &PublicProposal, token: &str, message: Option<&str>) -> Result<String, Error> {
    let p = &page.proposal;
    let l = if page.tenant.locale.starts_with("en") {
        &EN
    } else {
        &ES
    };
    let color = safe_color(&page.tenant.brand_color);
    let token = escape(token);
    let logo = logo(page.tenant.logo_url.as_deref());
    let mut body = String::new();
    if let Some(message) = message {
        body.push_str(&format!(
            r#"<div class="notice" role="alert">{}</div>"#,
            escape(message)
        ));
    }
    body.push_str(&format!(
        r#"<header class="card">{logo}<div class="muted">{business}</div><h1>{proposal} {number}</h1><div>{title}</div><p class="muted">{for_label}: {customer} · {valid_label}: {valid}</p></header>"#,
        business = escape(&page.tenant.name),
        proposal = l.proposal,
        number = escape(&p.number),
        title = escape(&p.title),
        for_label = l.for_customer,
        customer = escape(page.customer_name.as_deref().unwrap_or("")),
        valid_label = l.valid_until,
        valid = p.valid_until.format("%Y-%m-%d"),
    ));
    let mut rows = String::new();
    for item in &page.items {
        let tax = match pricing::Tax::from_stored(&item.tax)? {
            pricing::Tax::Iva16 => "IVA 16%",
            pricing::Tax::Iva8 => "IVA 8%",
            pricing::Tax::Iva0 => "IVA 0%",
            pricing::Tax::Exempt => "Exento",
        };
        rows.push_str(&format!(
            r#"<tr><td>{desc}<div class="muted">{tax}</div></td><td class="n">{qty}</td><td class="n hide-sm">{price}</td><td class="n">{amount}</td></tr>"#,
            desc = escape(&item.description),
            qty = escape(&item.quantity),
            price = escape(&format!("${}", group(&item.unit_price))),
            amount = amount(item.amount_minor, &p.currency),
        ));
    }
    let mut totals = format!(
        r#"<tr><td>{}</td><td class="n">{}</td></tr>"#,
        l.subtotal,
        amount(p.subtotal_minor, &p.currency)
    );
    for (label, minor, sign) in [
        (l.discount, p.discount_minor, "-"),
        (l.tax, p.tax_minor, ""),
        (l.withheld, p.withheld_minor, "-"),
    ] {
        if minor != 0 {
            totals.push_str(&format!(
                r#"<tr><td>{label}</td><td class="n">{sign}{}</td></tr>"#,
                amount(minor, &p.currency)
            ));
        }
    }
    totals.push_str(&format!(
        r#"<tr class="grand"><td>{}</td><td class="n">{}</td></tr>"#,
        l.total,
        amount(p.total_minor, &p.currency)
    ));
    body.push_str(&format!(
        r#"<section class="card"><table><thead><tr><th>{d}</th><th class="n">{q}</th><th class="n hide-sm">{u}</th><th class="n">{a}</th></tr></thead><tbody>{rows}</tbody></table><table class="totals" style="margin-top:12px">{totals}</table></section>"#,
        d = l.description,
        q = l.quantity,
        u = l.unit_price,
        a = l.amount,
    ));
    if !p.notes.is_empty() {
        body.push_str(&format!(r#"<section class="card"><strong>{}</strong><p style="white-space:pre-wrap">{}</p></section>"#, l.notes, escape(&p.notes)));
    }
    let answer = match page.status {
        Status::Accepted => format!(
            r#"<div class="done" id="outcome">✓ {} {}</div>"#,
            l.accepted,
            escape(p.accepted_by.as_deref().unwrap_or(""))
        ),
        Status::Rejected => format!(r#"<div class="notice" id="outcome">{}</div>"#, l.rejected),
        Status::Expired => format!(r#"<div class="notice" id="outcome">{}</div>"#, l.expired),
        _ => format!(
            r#"<form method="post" action="/p/{token}/accept"><label for="name">{your_name}</label><input id="name" name="name" required maxlength="200" autocomplete="name"><button class="accept" type="submit">{accept}</button></form>
<form method="post" action="/p/{token}/reject" style="margin-top:16px"><label for="reason">{reason}</label><textarea id="reason" name="reason" rows="2" maxlength="1000"></textarea><button class="reject" type="submit">{reject}</button></form>"#,
            your_name = l.your_name,
            accept = l.accept,
            reason = l.reason,
            reject = l.reject,
        ),
    };
    body.push_str(&format!(r#"<section class="card">{answer}</section>"#));
    Ok(shell(&format!("{} {}", l.proposal, p.number), color, &body))
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(group("1234567.50"), "1,234,567.50");
        assert_eq!(group("999.00"), "999.00");
        assert_eq!(group("-1000"), "-1,000");
        assert_eq!(group("0.5"), "0.5");
    }
}
