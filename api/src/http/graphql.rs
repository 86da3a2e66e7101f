//! GraphQL over HTTP (the GraphQL-over-HTTP specification: GET for queries, POST for
//! everything, `application/graphql-response+json` and `application/json`), over WebSocket
//! (graphql-transport-ws and graphql-ws), and GraphiQL.

use std::net::SocketAddr;

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tianguis_domain::Error;
use tianguis_domain::documents::files;
use tianguis_domain::tenancy::auth;

use super::auth::request_meta;
use crate::AppState;
use crate::graphql::context::Principal;
use crate::graphql::error::{INTERNAL, to_graphql};
use crate::graphql::loaders;

/// `GET /graphql`: a query in the URL (mutations are refused with 405), or GraphiQL for a
/// browser that asks for a page and sends no query.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Vec<(String, String)> = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let has = |name: &str| params.iter().any(|(key, _)| key == name);
    if !has("query") && !has("extensions") && accepts_html(&headers) {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
        .into_response();
    }
    let media = MediaType::negotiate(&headers);
    let params = params
        .into_iter()
        .map(|(key, value)| {
            // Everything but the query is JSON in the URL; the query is GraphQL text.
            let value = match key.as_str() {
                "query" | "operationName" => Ok(serde_json::Value::String(value)),
                _ => serde_json::from_str(&value),
            };
            value
                .map(|value| (key.clone(), value))
                .map_err(|_| format!("`{key}` is not valid JSON"))
        })
        .collect::<Result<serde_json::Map<_, _>, _>>();
    let mut request = match params.and_then(request_from_params) {
        Ok(request) => request,
        Err(message) => return request_error(media, StatusCode::BAD_REQUEST, &message),
    };
    // GET is for reading: caches and prefetchers repeat it, so it must not change anything.
    let operation_name = request.operation_name.clone();
    if let Ok(document) = request.parsed_query()
        && selected_operation_type(document, operation_name.as_deref())
            .is_some_and(|kind| kind != OperationType::Query)
    {
        let mut response = request_error(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries can be sent with GET; send mutations and subscriptions with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    execute(&state, principal, media, request).await
}

/// The largest multipart request: the largest file and the operation around it.
pub const MAX_MULTIPART_BYTES: usize = files::MAX_BYTES as usize + 1024 * 1024;

/// `POST /graphql` with a JSON body, or a multipart one carrying files (the GraphQL
/// multipart request spec that Apollo's and urql's upload clients send).
pub async fn post(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = MediaType::negotiate(&headers);
    if is_multipart(&headers) {
        return match multipart(&headers, body).await {
            Ok(request) => execute(&state, principal, media, request).await,
            Err((status, message)) => request_error(media, status, &message),
        };
    }
    if !is_json(&headers) {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as `content-type: application/json`, or `multipart/form-data` with files",
        );
    }
    let Ok(body) = axum::body::to_bytes(body, state.settings.max_body_bytes).await else {
        return request_error(
            media,
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
    };
    let params = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(params)) => Ok(params),
        Ok(_) => Err("the body must be a JSON object".to_owned()),
        Err(err) => Err(format!("the body is not valid JSON: {err}")),
    };
    match params.and_then(request_from_params) {
        Ok(request) => execute(&state, principal, media, request).await,
        Err(message) => request_error(media, StatusCode::BAD_REQUEST, &message),
    }
}

async fn execute(
    state: &AppState,
    principal: Principal,
    media: MediaType,
    mut request: async_graphql::Request,
) -> Response {
    let operation = operation_name(&mut request);
    if let Principal::Authenticated(ctx) = &principal {
        loaders::register(&mut request.data, &state.deps, ctx);
    }
    let request_id = principal.meta().request_id.clone();
    request.data.insert(principal);
    let mut response = state.schema.execute(request).await;
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        match extensions.get("code") {
            // Errors raised by the schema itself: parse, validation, limits.
            None => extensions.set("code", "GRAPHQL_VALIDATION_FAILED"),
            Some(async_graphql::Value::String(code)) if code == INTERNAL => {
                extensions.set("requestId", request_id.clone());
            }
            Some(_) => {}
        }
    }
    state.metrics.record_operation(&operation, outcome);
    respond(media, response)
}

/// The two media types a GraphQL response is sent as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MediaType {
    /// `application/graphql-response+json`: the status code tells a request that never ran
    /// (4xx) from one that did.
    GraphqlResponse,
    /// `application/json`, for clients that predate the specification: always 200 once the
    /// request is well formed.
    Json,
}

impl MediaType {
    const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
    const JSON: &str = "application/json; charset=utf-8";

    /// The client's most preferred of the two; `*/*`, no `Accept` and anything else get
    /// JSON, which every client reads.
    fn negotiate(headers: &HeaderMap) -> Self {
        let mut ranges: Vec<(f32, &str)> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|range| {
                let mut parts = range.split(';').map(str::trim);
                let media = parts.next().unwrap_or_default();
                let quality = parts
                    .find_map(|param| param.strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                (quality, media)
            })
            .filter(|(quality, _)| *quality > 0.0)
            .collect();
        // Stable: among equal qualities the client's order stands.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .into_iter()
            .find_map(|(_, media)| match media.to_ascii_lowercase().as_str() {
                "application/graphql-response+json" => Some(Self::GraphqlResponse),
                "application/json" | "application/*" | "*/*" => Some(Self::Json),
                _ => None,
            })
            .unwrap_or(Self::Json)
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => Self::GRAPHQL_RESPONSE,
            Self::Json => Self::JSON,
        })
    }
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// A multipart request's operation with its files, each received into a temporary file
/// as it streams in.
async fn multipart(
    headers: &HeaderMap,
    body: Body,
) -> Result<async_graphql::Request, (StatusCode, String)> {
    use async_graphql::ParseRequestError;
    use futures_util::TryStreamExt;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let reader = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .into_async_read();
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(files::MAX_BYTES as usize)
        .max_num_files(10);
    async_graphql::http::receive_body(content_type, reader, options)
        .await
        .map_err(|e| match e {
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a file has at most {} MB", files::MAX_BYTES / 1024 / 1024),
            ),
            other => (StatusCode::BAD_REQUEST, other.to_string()),
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A request from its parameters, refusing what the specification calls malformed:
/// a `query` that is not a string, `variables` or `extensions` that are not maps.
fn request_from_params(
    mut params: serde_json::Map<String, serde_json::Value>,
) -> Result<async_graphql::Request, String> {
    use serde_json::Value;
    let mut take_map = |name: &str| match params.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(format!("`{name}` must be a map")),
    };
    let variables = take_map("variables")?;
    let extensions = take_map("extensions")?;
    let operation_name = match params.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err("`operationName` must be a string".to_owned()),
    };
    let query = match params.remove("query") {
        Some(Value::String(query)) => query,
        // A persisted query's hash stands in for its text.
        None if extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery")) =>
        {
            String::new()
        }
        None | Some(Value::Null) => return Err("`query` is missing".to_owned()),
        Some(_) => return Err("`query` must be a string".to_owned()),
    };
    let mut request = async_graphql::Request::new(query);
    request.operation_name = operation_name;
    if let Some(variables) = variables {
        request.variables = async_graphql::Variables::from_json(Value::Object(variables));
    }
    if let Some(extensions) = extensions {
        for (name, value) in extensions {
            let value = async_graphql::Value::from_json(value)
                .map_err(|_| format!("`extensions.{name}` is not a GraphQL value"))?;
            request.extensions.insert(name, value);
        }
    }
    Ok(request)
}

/// The type of the operation the request runs, when the document names one unambiguously.
fn selected_operation_type(
    document: &ExecutableDocument,
    name: Option<&str>,
) -> Option<OperationType> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        _ => None,
    };
    operation.map(|operation| operation.node.ty)
}

/// A failure before the schema ran: no `data` key, and a 4xx status for either media type.
fn request_error(media: MediaType, status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
    });
    json_response(media, status, serde_json::to_vec(&body).unwrap_or_default())
}

fn respond(media: MediaType, response: async_graphql::Response) -> Response {
    // Parse, validation and variable errors stop a request before it runs: it has no
    // data and none of its errors has a path.
    let never_ran = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    let status = match media {
        MediaType::GraphqlResponse if never_ran => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let body = if never_ran {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let mut http = json_response(media, status, body.unwrap_or_default());
    http.headers_mut().extend(response.http_headers);
    if response.errors.is_empty()
        && let Some(cache_control) = response.cache_control.value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        http.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    http
}

fn json_response(media: MediaType, status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// The operation's name for metrics: the requested one, or the document's only named one.
fn operation_name(request: &mut async_graphql::Request) -> String {
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    match request.parsed_query() {
        Ok(document) => match &document.operations {
            DocumentOperations::Multiple(operations) if operations.len() == 1 => operations
                .keys()
                .next()
                .map_or_else(|| "anonymous".to_owned(), ToString::to_string),
            _ => "anonymous".to_owned(),
        },
        Err(_) => "invalid".to_owned(),
    }
}

/// The credential a WebSocket client sends in `connection_init`.
fn init_credential(payload: &serde_json::Value) -> Option<String> {
    ["authorization", "Authorization", "token", "authToken"]
        .iter()
        .find_map(|key| payload.get(key)?.as_str())
        .map(|value| {
            value
                .strip_prefix("Bearer ")
                .unwrap_or(value)
                .trim()
                .to_owned()
        })
}

pub async fn websocket(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    let meta = request_meta(&headers, peer.map(|p| (p.0).0));
    // Live clients are many and their messages small: the default 128 KiB buffers each way
    // would cost a replica gigabytes at ten thousand subscribers. Buffers still grow for a
    // large message.
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |stream| {
            let deps = state.deps.clone();
            GraphQLWebSocket::new(stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let credential = init_credential(&payload).ok_or_else(|| {
                        to_graphql(Error::unauthenticated(
                            "MISSING_CREDENTIAL",
                            "send the access token as `authorization` in connection_init",
                        ))
                    })?;
                    let ctx = auth::authenticate(&deps, &credential, meta)
                        .await
                        .map_err(to_graphql)?;
                    // Loaders and their caches belong to one request; a connection lives
                    // for hours, so it keeps only the caller and loads per event.
                    let mut data = Data::default();
                    data.insert(loaders::CallerScope::new(&deps, &ctx));
                    data.insert(Principal::Authenticated(ctx));
                    Ok(data)
                })
                .serve()
        })
}
