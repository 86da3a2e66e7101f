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

/// What the printed copy shows, in order, whatever it is printed on.
struct Printout {
    /// "Factura F-1", "Recibo de pago P-1".
    title: String,
    qr_url: Option<String>,
    /// Titled groups of label and value.
    sections: Vec<(&'static str, Vec<(&'static str, String)>)>,
    items: Vec<[String; 7]>,
    /// A payment receipt's payments, each with the invoices it pays.
    payments: Vec<Vec<(&'static str, String)>>,
    totals: Vec<(&'static str, String)>,
    /// The seals and the stamp's cadena, long codes printed small.
    seals: Vec<(&'static str, String)>,
}

const ITEM_COLUMNS: [&str; 7] = [
    "Clave",
    "Cantidad",
    "Unidad",
    "Descripción",
    "Valor unitario",
    "Descuento",
    "Importe",
];

fn printout(doc: &Element) -> Option<Printout> {
    let tfd = doc.path(&["Complemento", "TimbreFiscalDigital"])?;
    let issuer = doc.first("Emisor")?;
    let receiver = doc.first("Receptor")?;
    let number = match (doc.get("Serie"), doc.get("Folio")) {
        (Some(series), Some(folio)) => format!("{series}-{folio}"),
        (_, folio) => folio.unwrap_or_default().to_owned(),
    };
    let pairs = |rows: &[(&'static str, Option<&str>)]| -> Vec<(&'static str, String)> {
        rows.iter()
            .filter_map(|(label, value)| Some((*label, (*value)?.to_owned())))
            .collect()
    };
    let taxes = doc.first("Impuestos");
    let items = doc
        .first("Conceptos")
        .into_iter()
        .flat_map(|c| c.all("Concepto"))
        .map(|item| {
            [
                "ClaveProdServ",
                "Cantidad",
                "ClaveUnidad",
                "Descripcion",
                "ValorUnitario",
                "Descuento",
                "Importe",
            ]
            .map(|attr| item.get(attr).unwrap_or_default().to_owned())
        })
        .collect();
    let payments = doc
        .path(&["Complemento", "Pagos"])
        .into_iter()
        .flat_map(|p| p.all("Pago"))
        .map(|payment| {
            let mut rows = pairs(&[
                ("Fecha de pago", payment.get("FechaPago")),
                ("Forma de pago", payment.get("FormaDePagoP")),
                ("Moneda", payment.get("MonedaP")),
                ("Monto", payment.get("Monto")),
            ]);
            for paid in payment.all("DoctoRelacionado") {
                rows.extend(pairs(&[
                    ("Documento relacionado", paid.get("IdDocumento")),
                    ("Parcialidad", paid.get("NumParcialidad")),
                    ("Saldo anterior", paid.get("ImpSaldoAnt")),
                    ("Importe pagado", paid.get("ImpPagado")),
                    ("Saldo insoluto", paid.get("ImpSaldoInsoluto")),
                ]));
            }
            rows
        })
        .collect();
    let kind = match doc.get("TipoDeComprobante") {
        Some("P") => "Recibo de pago",
        Some("E") => "Nota de crédito",
        _ => "Factura",
    };
    Some(Printout {
        title: format!("{kind} {number}"),
        payments,
        qr_url: verification_url(doc),
        sections: vec![
            (
                "Emisor",
                pairs(&[
                    ("RFC", issuer.get("Rfc")),
                    ("Nombre", issuer.get("Nombre")),
                    ("Régimen fiscal", issuer.get("RegimenFiscal")),
                    ("Lugar de expedición", doc.get("LugarExpedicion")),
                ]),
            ),
            (
                "Receptor",
                pairs(&[
                    ("RFC", receiver.get("Rfc")),
                    ("Nombre", receiver.get("Nombre")),
                    ("Domicilio fiscal", receiver.get("DomicilioFiscalReceptor")),
                    ("Régimen fiscal", receiver.get("RegimenFiscalReceptor")),
                    ("Uso del CFDI", receiver.get("UsoCFDI")),
                ]),
            ),
            (
                "Comprobante",
                pairs(&[
                    ("Fecha", doc.get("Fecha")),
                    ("Tipo", doc.get("TipoDeComprobante")),
                    ("Método de pago", doc.get("MetodoPago")),
                    ("Forma de pago", doc.get("FormaPago")),
                    ("Moneda", doc.get("Moneda")),
                    ("Tipo de cambio", doc.get("TipoCambio")),
                    ("Exportación", doc.get("Exportacion")),
                ]),
            ),
        ],
        items,
        totals: pairs(&[
            ("Subtotal", doc.get("SubTotal")),
            ("Descuento", doc.get("Descuento")),
            (
                "Impuestos trasladados",
                taxes.and_then(|t| t.get("TotalImpuestosTrasladados")),
            ),
            (
                "Impuestos retenidos",
                taxes.and_then(|t| t.get("TotalImpuestosRetenidos")),
            ),
            ("Total", doc.get("Total")),
        ]),
        seals: [
            ("Folio fiscal (UUID)", tfd.get("UUID").map(str::to_owned)),
            (
                "Fecha de certificación",
                tfd.get("FechaTimbrado").map(str::to_owned),
            ),
            (
                "Certificado del emisor",
                doc.get("NoCertificado").map(str::to_owned),
            ),
            (
                "Certificado del SAT",
                tfd.get("NoCertificadoSAT").map(str::to_owned),
            ),
            (
                "RFC del proveedor de certificación",
                tfd.get("RfcProvCertif").map(str::to_owned),
            ),
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
        ]
        .into_iter()
        .filter_map(|(label, value)| Some((label, value?)))
        .collect(),
    })
}

const LEGEND: &str = "Este documento es una representación impresa de un CFDI.";

fn table_rows(out: &mut String, rows: &[(&str, String)]) {
    for (label, value) in rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
}

/// The page of a stamped CFDI; None when the document carries no stamp.
pub fn html(doc: &Element) -> Option<String> {
    let printout = printout(doc)?;
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"es\"><head><meta charset=\"utf-8\">\
         <style>body{font-family:sans-serif;font-size:12px;margin:24px}table{border-collapse:collapse;width:100%;margin:8px 0}\
         th,td{border:1px solid #ccc;padding:4px;text-align:left;vertical-align:top}.seal{word-break:break-all;font-family:monospace;font-size:10px}\
         .qr{float:right}</style>",
    );
    out.push_str(&format!(
        "<title>{0}</title></head><body><h1>{0}</h1>",
        escape(&printout.title)
    ));
    if let Some(svg) = printout.qr_url.as_deref().and_then(qr_svg) {
        out.push_str(&format!("<div class=\"qr\">{svg}</div>"));
    }
    for (title, rows) in &printout.sections {
        out.push_str(&format!("<h2>{}</h2><table>", escape(title)));
        table_rows(&mut out, rows);
        out.push_str("</table>");
    }
    out.push_str("<h2>Conceptos</h2><table><tr>");
    for title in ITEM_COLUMNS {
        out.push_str(&format!("<th>{}</th>", escape(title)));
    }
    out.push_str("</tr>");
    for item in &printout.items {
        out.push_str("<tr>");
        for cell in item {
            out.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    for payment in &printout.payments {
        out.push_str("<h2>Pago</h2><table>");
        table_rows(&mut out, payment);
        out.push_str("</table>");
    }
    out.push_str("<h2>Totales</h2><table>");
    table_rows(&mut out, &printout.totals);
    out.push_str("</table><h2>Timbre fiscal digital</h2>");
    for (label, value) in &printout.seals {
        out.push_str(&format!(
            "<h3>{}</h3><p class=\"seal\">{}</p>",
            escape(label),
            escape(value)
        ));
    }
    out.push_str(&format!("<p>{LEGEND}</p></body></html>"));
    Some(out)
}

/// The same printed copy as a PDF; None when the document carries no stamp.
pub fn pdf(doc: &Element) -> Option<Vec<u8>> {
    use tianguis_documents::pdf::{Align, Column, Document, PageSize};
    let printout = printout(doc)?;
    let mut page = Document::new(PageSize::Letter, &printout.title);
    page.title(&printout.title);
    for (title, rows) in &printout.sections {
        page.heading(title);
        let rows: Vec<(&str, &str)> = rows.iter().map(|(l, v)| (*l, v.as_str())).collect();
        page.fields(&rows);
    }
    page.heading("Conceptos");
    let shares = [1.2, 1.0, 0.8, 3.2, 1.3, 1.1, 1.3];
    let columns: Vec<Column> = ITEM_COLUMNS
        .iter()
        .zip(shares)
        .enumerate()
        .map(|(i, (title, share))| Column {
            title,
            share,
            align: if i == 1 || i >= 4 {
                Align::Right
            } else {
                Align::Left
            },
        })
        .collect();
    let rows: Vec<Vec<String>> = printout.items.iter().map(|i| i.to_vec()).collect();
    page.table(&columns, &rows);
    for payment in &printout.payments {
        page.heading("Pago");
        let rows: Vec<(&str, &str)> = payment.iter().map(|(l, v)| (*l, v.as_str())).collect();
        page.fields(&rows);
    }
    let totals: Vec<(&str, &str)> = printout
        .totals
        .iter()
        .map(|(l, v)| (*l, v.as_str()))
        .collect();
    page.totals(&totals);
    page.heading("Timbre fiscal digital");
    if let Some(url) = &printout.qr_url {
        page.qr(url, 110.0);
    }
    // Folios, dates and certificate numbers read as fields; seals and the cadena are long
    // codes printed small.
    let (short, long): (Vec<_>, Vec<_>) = printout.seals.iter().partition(|(_, v)| v.len() <= 64);
    let short: Vec<(&str, &str)> = short.iter().map(|(l, v)| (*l, v.as_str())).collect();
    page.fields(&short);
    for (label, value) in long {
        page.space(3.0);
        page.strong(label);
        page.fine_print(value);
    }
    page.space(6.0);
    page.text(LEGEND);
    Some(page.finish())
}
