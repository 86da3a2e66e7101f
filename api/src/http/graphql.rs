//! GraphQL over HTTP (POST) and WebSocket (graphql-transport-ws and graphql-ws), and
//! GraphiQL.

use std::net::SocketAddr;

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::parser::types::DocumentOperations;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use tianguis_domain::Error;
use tianguis_domain::tenancy::auth;

use super::auth::request_meta;
use crate::AppState;
use crate::graphql::context::Principal;
use crate::graphql::error::{INTERNAL, to_graphql};
use crate::graphql::loaders;

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

pub async fn execute(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: GraphQLRequest,
) -> Response {
    let mut request = request.into_inner();
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
    GraphQLResponse::from(response).into_response()
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
