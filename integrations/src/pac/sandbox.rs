//! The sandbox PAC of the embedded mode and of tests: it validates a CFDI the way a PAC
//! does before stamping (the sello against a cadena it rebuilds from the XML, the
//! certificate, the date window, the totals) and answers with a TimbreFiscalDigital 1.1
//! sealed by its own test certificate. Nothing reaches SAT; its stamps have no fiscal value.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDateTime, TimeDelta};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tianguis_domain::billing::cfdi::{self, Element, cadena};
use tianguis_domain::billing::csd::{CertificateInfo, Csd, verify_seal};
use tianguis_domain::ports::{
    CancelRequest, Cancellation, Clock, Pac, PacAccount, PacError, Stamped,
};

const CERTIFICATE: &[u8] = include_bytes!("sandbox.cer");
/// The sandbox's own key: a test key, public on purpose.
const KEY: &[u8] = include_bytes!("sandbox.key");
/// The RFC SAT's documentation uses for a PAC in examples.
const PROVIDER_RFC: &str = "SPR190613I52";
const TFD_NAMESPACE: &str = "http://www.sat.gob.mx/TimbreFiscalDigital";
const TFD_SCHEMA: &str = "http://www.sat.gob.mx/TimbreFiscalDigital http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd";
/// How old a CFDI's date may be when it is stamped.
const MAX_AGE: TimeDelta = TimeDelta::hours(72);

pub struct SandboxPac {
    csd: Csd,
    clock: Arc<dyn Clock>,
}

fn rejected(code: &str, message: &str) -> PacError {
    PacError::Rejected {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

fn amount(doc: &Element, attr: &str) -> Decimal {
    doc.get(attr)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

impl SandboxPac {
    pub fn new(clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let csd = Csd::from_pkcs8(CERTIFICATE, KEY)
            .map_err(|e| anyhow::anyhow!("the sandbox PAC's certificate: {e}"))?;
        Ok(Self { csd, clock })
    }

    fn validate(&self, doc: &Element) -> Result<(), PacError> {
        if doc.local_name() != "Comprobante" || doc.get("Version") != Some("4.0") {
            return Err(rejected("301", "El documento no es un CFDI 4.0."));
        }
        let (Some(sello), Some(certificate), Some(number)) = (
            doc.get("Sello"),
            doc.get("Certificado"),
            doc.get("NoCertificado"),
        ) else {
            return Err(rejected(
                "302",
                "Sello, Certificado o NoCertificado ausente.",
            ));
        };
        let der = STANDARD
            .decode(certificate)
            .map_err(|_| rejected("303", "El certificado no es base64."))?;
        let info = CertificateInfo::parse(&der, "Certificado")
            .map_err(|_| rejected("303", "El certificado no es un CSD."))?;
        if info.number != number {
            return Err(rejected(
                "CFDI40104",
                "El NoCertificado no corresponde al certificado.",
            ));
        }
        let issuer = doc.first("Emisor").and_then(|e| e.get("Rfc")).unwrap_or("");
        if info.rfc != issuer {
            return Err(rejected(
                "CFDI40150",
                "El certificado no corresponde al RFC del emisor.",
            ));
        }
        if !verify_seal(certificate, cadena::comprobante(doc).as_bytes(), sello) {
            return Err(rejected(
                "CFDI40102",
                "El resultado de la digestión debe ser igual al resultado de la desencripción del sello.",
            ));
        }
        let now = self.clock.now();
        if now < info.valid_from || now > info.valid_until {
            return Err(rejected(
                "305",
                "La fecha de emisión no está dentro de la vigencia del CSD.",
            ));
        }
        let local_now = cfdi::local_time(doc.get("LugarExpedicion").unwrap_or(""), now);
        let issued = doc
            .get("Fecha")
            .and_then(|f| NaiveDateTime::parse_from_str(f, "%Y-%m-%dT%H:%M:%S").ok())
            .ok_or_else(|| {
                rejected(
                    "CFDI40101",
                    "El campo Fecha no cumple con el patrón requerido.",
                )
            })?;
        if issued > local_now + TimeDelta::minutes(5) || issued < local_now - MAX_AGE {
            return Err(rejected(
                "401",
                "Fecha y hora de generación fuera de rango.",
            ));
        }
        let receiver = doc.first("Receptor");
        let to_the_public = receiver.and_then(|r| r.get("Rfc")) == Some(PUBLIC_RFC)
            && receiver.and_then(|r| r.get("Nombre")) == Some(PUBLIC_NAME);
        if to_the_public != doc.first("InformacionGlobal").is_some() {
            // SAT's rule both ways: a sale to the general public is reported in a global
            // invoice with its period, and only such an invoice carries one.
            return Err(rejected(
                "CFDI40INFOGLOBAL",
                "El nodo InformacionGlobal debe existir si el RFC del receptor es XAXX010101000 y su nombre es PUBLICO EN GENERAL, y no debe existir en otro caso.",
            ));
        }
        let taxes = doc.first("Impuestos");
        let tax = |attr| taxes.map(|t| amount(t, attr)).unwrap_or_default();
        let expected = amount(doc, "SubTotal") - amount(doc, "Descuento")
            + tax("TotalImpuestosTrasladados")
            - tax("TotalImpuestosRetenidos");
        if amount(doc, "Total") != expected {
            return Err(rejected(
                "CFDI40119",
                "El campo Total no corresponde con la suma del subtotal, menos los descuentos aplicables, más las contribuciones recibidas menos los impuestos retenidos.",
            ));
        }
        Ok(())
    }
}

/// The generic RFC and name of sales to the general public.
const PUBLIC_RFC: &str = "XAXX010101000";
const PUBLIC_NAME: &str = "PUBLICO EN GENERAL";

#[async_trait::async_trait]
impl Pac for SandboxPac {
    async fn stamp(&self, _account: &PacAccount, xml: &str) -> Result<Stamped, PacError> {
        let mut doc = Element::parse(xml).map_err(|_| rejected("301", "XML mal formado."))?;
        self.validate(&doc)?;
        let sello = doc.get("Sello").unwrap_or_default().to_owned();
        // The same document always gets the same UUID, as a PAC answers a repeated stamp.
        let digest = Sha256::digest(sello.as_bytes());
        let mut bytes = [0_u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let uuid = uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
            .to_uppercase();
        let stamped_at =
            cfdi::local_time(doc.get("LugarExpedicion").unwrap_or(""), self.clock.now());
        let mut tfd = Element::new("tfd:TimbreFiscalDigital")
            .attr("xmlns:tfd", TFD_NAMESPACE)
            .attr("xsi:schemaLocation", TFD_SCHEMA)
            .attr("Version", "1.1")
            .attr("UUID", &uuid)
            .attr(
                "FechaTimbrado",
                stamped_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            )
            .attr("RfcProvCertif", PROVIDER_RFC)
            .attr("SelloCFD", &sello)
            .attr("NoCertificadoSAT", &self.csd.certificate.number);
        let sat_seal = self
            .csd
            .seal(cadena::timbre(&tfd).as_bytes())
            .map_err(|e| PacError::Unavailable(e.to_string()))?;
        tfd = tfd.attr("SelloSAT", sat_seal);
        match doc
            .children
            .iter_mut()
            .find(|c| c.local_name() == "Complemento")
        {
            Some(complement) => complement.children.push(tfd),
            None => doc
                .children
                .push(Element::new("cfdi:Complemento").child(tfd)),
        }
        Ok(Stamped {
            uuid,
            xml: doc.to_document(),
        })
    }

    async fn cancel(
        &self,
        _account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        if request.uuid.is_empty() {
            return Err(rejected("205", "UUID no existe."));
        }
        if request.motive == "01" && request.substitute.is_none() {
            return Err(rejected(
                "CA301",
                "El motivo 01 requiere el folio fiscal que sustituye.",
            ));
        }
        Ok(Cancellation::Cancelled)
    }

    /// The sandbox cancels at once, so nothing is ever pending there.
    async fn cancellation_status(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        self.cancel(account, request).await
    }
}
