//! A local stand-in for Finkok's SOAP services (stamp.wsdl's `stamp`, cancel.wsdl's
//! `sign_cancel` and `get_sat_status`), answering in Finkok's documented envelopes. It
//! stamps with the sandbox PAC, so what it returns is a real, verifiable stamp.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tianguis_domain::billing::cfdi::Element;
use tianguis_domain::ports::{Pac, PacAccount, PacError, SystemClock};
use tianguis_integrations::pac::SandboxPac;

pub const USER: &str = "finkok@tienda.mx";
pub const PASSWORD: &str = "Secreto.2026";

#[derive(Clone)]
struct Double {
    sandbox: Arc<SandboxPac>,
    /// Requests to answer with HTTP 503 before answering normally.
    unavailable: Arc<AtomicU32>,
    /// The operations received, in order: `stamp`, `sign_cancel`, `get_sat_status`.
    calls: Arc<Mutex<Vec<String>>>,
}

pub struct FinkokDouble {
    pub url: String,
    pub unavailable: Arc<AtomicU32>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl FinkokDouble {
    pub async fn start() -> Self {
        let state = Double {
            sandbox: Arc::new(SandboxPac::new(Arc::new(SystemClock)).expect("sandbox")),
            unavailable: Arc::new(AtomicU32::new(0)),
            calls: Arc::new(Mutex::new(Vec::new())),
        };
        let (unavailable, calls) = (state.unavailable.clone(), state.calls.clone());
        let app = axum::Router::new()
            .route("/stamp", axum::routing::post(soap))
            .route("/cancel", axum::routing::post(soap))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Finkok double");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            unavailable,
            calls,
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }
}

fn find<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    if element.local_name() == name {
        return Some(element);
    }
    element.children.iter().find_map(|c| find(c, name))
}

fn text(element: &Element, name: &str) -> String {
    find(element, name)
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn answer(operation: &str, result: &str) -> Response {
    (
        [("content-type", "text/xml; charset=utf-8")],
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:s0=\"apps.services.soap.core.views\" xmlns:tns=\"http://facturacion.finkok.com/{}\">\n  <SOAP-ENV:Body>\n    <tns:{operation}Response>\n      <tns:{operation}Result>{result}</tns:{operation}Result>\n    </tns:{operation}Response>\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>",
            if operation == "stamp" { "stamp" } else { "cancel" }
        ),
    )
        .into_response()
}

fn incidence(code: &str, message: &str) -> String {
    format!(
        "<s0:Incidencias><s0:Incidencia><s0:IdIncidencia>1</s0:IdIncidencia><s0:CodigoError>{code}</s0:CodigoError><s0:MensajeIncidencia>{}</s0:MensajeIncidencia></s0:Incidencia></s0:Incidencias>",
        escape(message)
    )
}

async fn soap(State(state): State<Double>, body: String) -> Response {
    if state
        .unavailable
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Ok(envelope) = Element::parse(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(operation) = find(&envelope, "Body")
        .and_then(|b| b.children.first())
        .map(|o| o.local_name().to_owned())
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    state.calls.lock().expect("lock").push(operation.clone());
    if text(&envelope, "username") != USER || text(&envelope, "password") != PASSWORD {
        return match operation.as_str() {
            "stamp" => answer("stamp", &incidence("300", "Usuario o contraseña inválidos")),
            _ => answer(
                &operation,
                "<s0:CodEstatus>Usuario o contraseña inválidos</s0:CodEstatus>",
            ),
        };
    }
    match operation.as_str() {
        "stamp" => {
            let xml = base64::engine::general_purpose::STANDARD
                .decode(text(&envelope, "xml").trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let account = PacAccount {
                provider: "sandbox".into(),
                username: None,
                password: None,
            };
            match state.sandbox.stamp(&account, &xml).await {
                Ok(stamped) => answer(
                    "stamp",
                    &format!(
                        "<s0:xml>{}</s0:xml><s0:UUID>{}</s0:UUID><s0:CodEstatus>Comprobante timbrado satisfactoriamente</s0:CodEstatus><s0:Incidencias/>",
                        escape(&stamped.xml),
                        stamped.uuid
                    ),
                ),
                Err(PacError::Rejected { code, message }) => {
                    answer("stamp", &incidence(&code, &message))
                }
                Err(PacError::Unavailable(_)) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        // SAT holds a cancellation with effects on the receiver until they accept it.
        "sign_cancel" => answer(
            "sign_cancel",
            &format!(
                "<s0:Folios><s0:Folio><s0:EstatusUUID>201</s0:EstatusUUID><s0:UUID>{}</s0:UUID><s0:EstatusCancelacion>En proceso</s0:EstatusCancelacion></s0:Folio></s0:Folios><s0:Acuse>acuse</s0:Acuse>",
                find(&envelope, "UUID")
                    .and_then(|u| u.get("UUID"))
                    .unwrap_or_default()
            ),
        ),
        // By the time anyone asks, the receiver has accepted.
        "get_sat_status" => answer(
            "get_sat_status",
            "<s0:sat><s0:CodigoEstatus>S - Comprobante obtenido satisfactoriamente.</s0:CodigoEstatus><s0:EsCancelable>Cancelable con aceptación</s0:EsCancelable><s0:Estado>Cancelado</s0:Estado><s0:EstatusCancelacion>Cancelado con aceptación</s0:EstatusCancelacion></s0:sat>",
        ),
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}
