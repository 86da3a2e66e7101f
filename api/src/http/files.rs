//! `GET /archivos/{token}`: a file through its signed download link, streamed from the
//! store as it is read; and `PUT /archivos/subidas/{token}`, where direct uploads go when
//! the store hands out no addresses of its own.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tianguis_domain::documents::files::{self, Refused};
use tianguis_domain::documents::uploads;

use crate::AppState;
use crate::graphql::context::Principal;

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback and the real name
/// (RFC 6266), so no name can break out of the header.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn download(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(token): Path<String>,
) -> Response {
    match files::open_link(&state.deps, &token, principal.meta()).await {
        Ok(Ok((file, bytes))) => {
            let mut response = Body::from_stream(bytes).into_response();
            let headers = response.headers_mut();
            let content_type = HeaderValue::from_str(&file.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            headers.insert(header::CONTENT_TYPE, content_type);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size_bytes));
            if let Ok(value) = HeaderValue::from_str(&disposition(&file.name)) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Ok(Err(Refused::Invalid)) => (StatusCode::NOT_FOUND, "no such file").into_response(),
        Ok(Err(Refused::Expired)) => {
            (StatusCode::GONE, "the link has expired; ask for a new one").into_response()
        }
        Ok(Err(Refused::Gone)) => (StatusCode::GONE, "the file was deleted").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "opening a file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `PUT /archivos/subidas/{token}`: the bytes of a direct upload, for a store that takes no
/// uploads itself; streamed into the store, never more than were declared.
pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Body,
) -> Response {
    use futures_util::{StreamExt, TryStreamExt};
    let bytes = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .boxed();
    match uploads::receive(&state.deps, &token, bytes).await {
        Ok(true) => StatusCode::OK.into_response(),
        Ok(false) => (
            StatusCode::NOT_FOUND,
            "no such upload, or its address expired",
        )
            .into_response(),
        Err(tianguis_domain::Error::Invalid { .. }) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "more bytes than were declared",
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "receiving an upload");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
