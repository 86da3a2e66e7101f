//! The printed representation of a stamped CFDI: an HTML page with what SAT asks a printout
//! to show (both parties, the items, taxes and totals, the fiscal folio, certificate
//! numbers, both seals, the cadena of the stamp) and the verification QR code. It is made
//! from the stamped XML alone, so it always shows what was stamped.

use qrcode::QrCode;
use qrcode::render::svg;

use super::cadena;
use super::xml::Element;
use crate::email::templates::escape;

/// The SAT verification URL a stamped CFDI's QR code encodes: the UUID, both RFCs, the
/// total and the sello's last 8 characters.
pub fn verification_url(doc: &Element) -> Option<String> {
    let tfd = doc.path(&["Complemento", "TimbreFiscalDigital"])?;
    let sello = doc.get("Sello")?;
    let tail = &sello[sello.len().saturating_sub(8)..];
    Some(format!(
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id={}&re={}&rr={}&tt={}&fe={}",
        query_value(tfd.get("UUID")?),
        query_value(doc.first("Emisor")?.get("Rfc")?),
        query_value(doc.first("Receptor")?.get("Rfc")?),
        query_value(doc.get("Total")?),
        query_value(tail)
    ))
}

/// Percent-encodes all but RFC 3986's unreserved characters (RFCs may hold & and Ñ).
fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn qr_svg(url: &str) -> Option<String> {
    let svg = QrCode::new(url.as_bytes())
        .ok()?
        .render::<svg::Color>()
        .min_dimensions(180, 180)
        .build();
    // Inline in HTML: without the XML declaration.
    Some(svg[svg.find("<svg")?..].to_owned())
}

fn row(out: &mut String, label: &str, value: Option<&str>) {
    if let Some(value) = value {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
}

/// The page of a stamped CFDI; None when the document carries no stamp.
pub fn html(doc: &Element) -> Option<String> {
    let tfd = doc.path(&["Complemento", "TimbreFiscalDigital"])?;
    let issuer = doc.first("Emisor")?;
    let receiver = doc.first("Receptor")?;
    let number = match (doc.get("Serie"), doc.get("Folio")) {
        (Some(series), Some(folio)) => format!("{series}-{folio}"),
        (_, folio) => folio.unwrap_or_default().to_owned(),
    };
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"es\"><head><meta charset=\"utf-8\">\
         <style>body{font-family:sans-serif;font-size:12px;margin:24px}table{border-collapse:collapse;width:100%;margin:8px 0}\
         th,td{border:1px solid #ccc;padding:4px;text-align:left;vertical-align:top}.seal{word-break:break-all;font-family:monospace;font-size:10px}\
         .qr{float:right}</style>",
    );
    out.push_str(&format!(
        "<title>Factura {0}</title></head><body><h1>Factura {0}</h1>",
        escape(&number)
    ));
    if let Some(svg) = verification_url(doc).and_then(|url| qr_svg(&url)) {
        out.push_str(&format!("<div class=\"qr\">{svg}</div>"));
    }
    out.push_str("<h2>Emisor</h2><table>");
    row(&mut out, "RFC", issuer.get("Rfc"));
    row(&mut out, "Nombre", issuer.get("Nombre"));
    row(&mut out, "Régimen fiscal", issuer.get("RegimenFiscal"));
    row(&mut out, "Lugar de expedición", doc.get("LugarExpedicion"));
    out.push_str("</table><h2>Receptor</h2><table>");
    row(&mut out, "RFC", receiver.get("Rfc"));
    row(&mut out, "Nombre", receiver.get("Nombre"));
    row(
        &mut out,
        "Domicilio fiscal",
        receiver.get("DomicilioFiscalReceptor"),
    );
    row(
        &mut out,
        "Régimen fiscal",
        receiver.get("RegimenFiscalReceptor"),
    );
    row(&mut out, "Uso del CFDI", receiver.get("UsoCFDI"));
    out.push_str("</table><h2>Comprobante</h2><table>");
    row(&mut out, "Fecha", doc.get("Fecha"));
    row(&mut out, "Tipo", doc.get("TipoDeComprobante"));
    row(&mut out, "Método de pago", doc.get("MetodoPago"));
    row(&mut out, "Forma de pago", doc.get("FormaPago"));
    row(&mut out, "Moneda", doc.get("Moneda"));
    row(&mut out, "Tipo de cambio", doc.get("TipoCambio"));
    row(&mut out, "Exportación", doc.get("Exportacion"));
    out.push_str(
        "</table><h2>Conceptos</h2><table><tr><th>Clave</th><th>Cantidad</th><th>Unidad</th>\
         <th>Descripción</th><th>Valor unitario</th><th>Descuento</th><th>Importe</th></tr>",
    );
    for item in doc
        .first("Conceptos")
        .into_iter()
        .flat_map(|c| c.all("Concepto"))
    {
        let cell = |attr: &str| escape(item.get(attr).unwrap_or(""));
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cell("ClaveProdServ"),
            cell("Cantidad"),
            cell("ClaveUnidad"),
            cell("Descripcion"),
            cell("ValorUnitario"),
            cell("Descuento"),
            cell("Importe"),
        ));
    }
    let taxes = doc.first("Impuestos");
    out.push_str("</table><h2>Totales</h2><table>");
    row(&mut out, "Subtotal", doc.get("SubTotal"));
    row(&mut out, "Descuento", doc.get("Descuento"));
    row(
        &mut out,
        "Impuestos trasladados",
        taxes.and_then(|t| t.get("TotalImpuestosTrasladados")),
    );
    row(
        &mut out,
        "Impuestos retenidos",
        taxes.and_then(|t| t.get("TotalImpuestosRetenidos")),
    );
    row(&mut out, "Total", doc.get("Total"));
    out.push_str("</table><h2>Timbre fiscal digital</h2><table>");
    row(&mut out, "Folio fiscal (UUID)", tfd.get("UUID"));
    row(&mut out, "Fecha de certificación", tfd.get("FechaTimbrado"));
    row(&mut out, "Certificado del emisor", doc.get("NoCertificado"));
    row(&mut out, "Certificado del SAT", tfd.get("NoCertificadoSAT"));
    row(
        &mut out,
        "RFC del proveedor de certificación",
        tfd.get("RfcProvCertif"),
    );
    out.push_str("</table>");
    for (label, value) in [
        (
            "Sello digital del CFDI",
            tfd.get("SelloCFD").map(str::to_owned),
        ),
        (
            "Sello digital del SAT",
            tfd.get("SelloSAT").map(str::to_owned),
        ),
        (
            "Cadena original del complemento de certificación digital del SAT",
            Some(cadena::timbre(tfd)),
        ),
    ] {
        if let Some(value) = value {
            out.push_str(&format!(
                "<h3>{}</h3><p class=\"seal\">{}</p>",
                escape(label),
                escape(&value)
            ));
        }
    }
    out.push_str("<p>Este documento es una representación impresa de un CFDI.</p></body></html>");
    Some(out)
}
