//! Campaign email links: the open pixel, click redirects and the unsubscribe page with its
//! one-click POST (RFC 8058). Tokens are signed; a bad one is refused without detail.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tianguis_domain::email::templates::escape;
use tianguis_domain::marketing::tracking;

use crate::AppState;

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub async fn open(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    // The image is served whatever happens: a mail client shows no broken picture.
    if let Err(err) = tracking::opened(&state.deps, &token).await {
        tracing::debug!(error = ?err, "an open that was not recorded");
    }
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store, max-age=0"),
        ],
        PIXEL,
    )
        .into_response()
}

pub async fn click(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let url = query.get("u").cloned().unwrap_or_default();
    match tracking::clicked(&state.deps, &token, &url).await {
        Ok(target) => Redirect::to(&target).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "this link is not valid").into_response(),
    }
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:480px;margin:3em auto;padding:0 1em\">{body}</body></html>"
    ))
}

/// The page an unsubscribe link opens: a button, since link scanners follow GETs.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match tracking::unsubscribe_page(&state.deps, &token).await {
        Ok((business, already)) => {
            let business = escape(&business);
            let body = if already {
                format!(
                    "<h1>Listo</h1><p>Ya no recibirás correos de {business}.</p><p lang=\"en\">You are unsubscribed from {business}.</p>"
                )
            } else {
                format!(
                    "<h1>Darse de baja</h1><p>¿Dejar de recibir correos de {business}?</p><p lang=\"en\">Stop receiving email from {business}?</p>\
                     <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                     <button type=\"submit\">Darme de baja / Unsubscribe</button></form>"
                )
            };
            page("Darse de baja", &body).into_response()
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            page("Enlace no válido", "<p>Este enlace no es válido.</p>"),
        )
            .into_response(),
    }
}

/// One-click unsubscribe: from the page's button or straight from a mail client.
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::unsubscribe(&state.deps, &token).await {
        Ok(()) => page(
            "Listo",
            "<h1>Listo</h1><p>Ya no recibirás estos correos.</p><p lang=\"en\">You are unsubscribed.</p>",
        )
        .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, page("Enlace no válido", "<p>Este enlace no es válido.</p>")).into_response(),
    }
}
