//! Finkok, a PAC, over its SOAP services: `stamp` (stamp.wsdl), `sign_cancel` and
//! `get_sat_status` (cancel.wsdl). The business's CSD is registered at Finkok, which signs
//! cancellations with it; requests carry the business's Finkok user and password.
//!
//! Finkok answers a refusal inside a 200 response (an `Incidencia` with SAT's or its own
//! code, or a `CodEstatus` message); an HTTP error or an unreachable service is worth
//! trying again.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tianguis_domain::billing::cfdi::Element;
use tianguis_domain::ports::{CancelRequest, Cancellation, Pac, PacAccount, PacError, Stamped};

const STAMP_NS: &str = "http://facturacion.finkok.com/stamp";
const CANCEL_NS: &str = "http://facturacion.finkok.com/cancel";
const APPS_NS: &str = "apps.services.soap.core.views";
/// Finkok's code for a CFDI stamped before: its answer carries that stamp.
const STAMPED_BEFORE: &str = "307";

pub struct FinkokPac {
    http: reqwest::Client,
    /// `https://facturacion.finkok.com/servicios/soap/` (or the demo's, or a double's).
    base_url: String,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn envelope(namespaces: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" {namespaces}><soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}

fn credentials(account: &PacAccount) -> Result<(String, String), PacError> {
    match (&account.username, &account.password) {
        (Some(user), Some(password)) => Ok((escape(user), escape(password))),
        _ => Err(PacError::Rejected {
            code: "PAC_CREDENTIALS".into(),
            message: "set the Finkok user and password on the fiscal profile".into(),
        }),
    }
}

/// The first descendant named `local_name`, depth first.
fn find<'a>(element: &'a Element, local_name: &str) -> Option<&'a Element> {
    if element.local_name() == local_name {
        return Some(element);
    }
    element.children.iter().find_map(|c| find(c, local_name))
}

fn text<'a>(element: &'a Element, local_name: &str) -> Option<&'a str> {
    find(element, local_name)
        .map(|e| e.text.trim())
        .filter(|t| !t.is_empty())
}

impl FinkokPac {
    pub fn new(base_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            base_url: format!("{}/", base_url.trim_end_matches('/')),
        })
    }

    async fn call(&self, service: &str, action: &str, body: String) -> Result<Element, PacError> {
        let unavailable =
            |e: &dyn std::fmt::Display| PacError::Unavailable(format!("Finkok {action}: {e}"));
        let response = self
            .http
            .post(format!("{}{service}", self.base_url))
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", action)
            .body(body)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| unavailable(&e))?;
        if !status.is_success() {
            return Err(unavailable(&format!("HTTP {status}")));
        }
        Element::parse(&text).map_err(|e| unavailable(&e))
    }
}

#[async_trait::async_trait]
impl Pac for FinkokPac {
    async fn stamp(&self, account: &PacAccount, xml: &str) -> Result<Stamped, PacError> {
        let (user, password) = credentials(account)?;
        let body = envelope(
            &format!("xmlns:stam=\"{STAMP_NS}\""),
            &format!(
                "<stam:stamp><stam:xml>{}</stam:xml><stam:username>{user}</stam:username><stam:password>{password}</stam:password></stam:stamp>",
                STANDARD.encode(xml)
            ),
        );
        let answer = self.call("stamp", "stamp", body).await?;
        let incidence = find(&answer, "Incidencia");
        let code = incidence.and_then(|i| text(i, "CodigoError"));
        if let (Some(stamped), Some(uuid)) = (text(&answer, "xml"), text(&answer, "UUID"))
            && (code.is_none() || code == Some(STAMPED_BEFORE))
        {
            return Ok(Stamped {
                uuid: uuid.to_uppercase(),
                xml: stamped.to_owned(),
            });
        }
        Err(PacError::Rejected {
            code: code.unwrap_or("FINKOK").to_owned(),
            message: incidence
                .and_then(|i| text(i, "MensajeIncidencia"))
                .or_else(|| text(&answer, "CodEstatus"))
                .unwrap_or("Finkok did not stamp the CFDI")
                .to_owned(),
        })
    }

    async fn cancel(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        let (user, password) = credentials(account)?;
        let body = envelope(
            &format!("xmlns:can=\"{CANCEL_NS}\" xmlns:apps=\"{APPS_NS}\""),
            &format!(
                "<can:sign_cancel><can:UUIDS><apps:UUID UUID=\"{}\" Motivo=\"{}\" FolioSustitucion=\"{}\"/></can:UUIDS><can:username>{user}</can:username><can:password>{password}</can:password><can:taxpayer_id>{}</can:taxpayer_id><can:serial>{}</can:serial><can:store_pending>false</can:store_pending></can:sign_cancel>",
                escape(request.uuid),
                escape(request.motive),
                escape(request.substitute.unwrap_or("")),
                escape(request.issuer_rfc),
                escape(request.certificate_number),
            ),
        );
        let answer = self.call("cancel", "sign_cancel", body).await?;
        let Some(folio) = find(&answer, "Folio") else {
            return Err(PacError::Rejected {
                code: "FINKOK".into(),
                message: text(&answer, "CodEstatus")
                    .unwrap_or("Finkok did not take the cancellation")
                    .to_owned(),
            });
        };
        match (
            text(folio, "EstatusUUID"),
            text(folio, "EstatusCancelacion"),
        ) {
            // 201: requested; 202: requested before.
            (Some("201" | "202"), Some(status)) => Ok(cancellation(status)),
            (Some("201" | "202"), None) => Ok(Cancellation::Pending),
            (code, _) => Err(PacError::Rejected {
                code: code.unwrap_or("FINKOK").to_owned(),
                message: text(folio, "EstatusCancelacion")
                    .or_else(|| text(&answer, "CodEstatus"))
                    .unwrap_or("SAT refused the cancellation")
                    .to_owned(),
            }),
        }
    }

    async fn cancellation_status(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        let (user, password) = credentials(account)?;
        let body = envelope(
            &format!("xmlns:can=\"{CANCEL_NS}\""),
            &format!(
                "<can:get_sat_status><can:username>{user}</can:username><can:password>{password}</can:password><can:taxpayer_id>{}</can:taxpayer_id><can:rtaxpayer_id>{}</can:rtaxpayer_id><can:uuid>{}</can:uuid><can:total>{}</can:total></can:get_sat_status>",
                escape(request.issuer_rfc),
                escape(request.receiver_rfc),
                escape(request.uuid),
                escape(request.total),
            ),
        );
        let answer = self.call("cancel", "get_sat_status", body).await?;
        match (text(&answer, "Estado"), text(&answer, "EstatusCancelacion")) {
            (Some("Cancelado"), _) => Ok(Cancellation::Cancelled),
            (_, Some(status)) => Ok(cancellation(status)),
            _ => Ok(Cancellation::Pending),
        }
    }
}

/// SAT's words for where a cancellation stands.
fn cancellation(status: &str) -> Cancellation {
    let status = status.to_lowercase();
    if status.contains("rechaz") {
        Cancellation::Rejected
    } else if status.starts_with("cancelado") {
        Cancellation::Cancelled
    } else {
        Cancellation::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sats_cancellation_statuses_map_to_outcomes() {
        assert_eq!(
            cancellation("Cancelado sin aceptación"),
            Cancellation::Cancelled
        );
        assert_eq!(
            cancellation("Cancelado con aceptación"),
            Cancellation::Cancelled
        );
        assert_eq!(cancellation("En proceso"), Cancellation::Pending);
        assert_eq!(cancellation("Solicitud rechazada"), Cancellation::Rejected);
    }
}
