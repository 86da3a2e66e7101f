//! The cadena original: the text a sello signs, built from a CFDI document exactly as SAT's
//! `cadenaoriginal_4_0.xslt` (with `utilerias.xslt`) produces it. Each function below
//! mirrors one template of that stylesheet, in its order; a required attribute always adds
//! a `|` field, an optional one only when present, and every value is whitespace-collapsed
//! like XPath's `normalize-space`.

use super::xml::Element;

struct Cadena(String);

impl Cadena {
    fn required(&mut self, node: &Element, attr: &str) {
        self.0.push('|');
        normalize_into(node.get(attr).unwrap_or(""), &mut self.0);
    }

    fn optional(&mut self, node: &Element, attr: &str) {
        if let Some(value) = node.get(attr) {
            self.0.push('|');
            normalize_into(value, &mut self.0);
        }
    }

    fn required_all(&mut self, node: &Element, attrs: &[&str]) {
        for attr in attrs {
            self.required(node, attr);
        }
    }
}

fn normalize_into(value: &str, out: &mut String) {
    let mut first = true;
    for word in value
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
    {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// The cadena original of a `cfdi:Comprobante` (version 4.0).
pub fn comprobante(root: &Element) -> String {
    let mut c = Cadena(String::from("|"));
    c.required(root, "Version");
    c.optional(root, "Serie");
    c.optional(root, "Folio");
    c.required(root, "Fecha");
    c.optional(root, "FormaPago");
    c.required(root, "NoCertificado");
    c.optional(root, "CondicionesDePago");
    c.required(root, "SubTotal");
    c.optional(root, "Descuento");
    c.required(root, "Moneda");
    c.optional(root, "TipoCambio");
    c.required(root, "Total");
    c.required(root, "TipoDeComprobante");
    c.required(root, "Exportacion");
    c.optional(root, "MetodoPago");
    c.required(root, "LugarExpedicion");
    c.optional(root, "Confirmacion");
    if let Some(global) = root.first("InformacionGlobal") {
        c.required_all(global, &["Periodicidad", "Meses", "Año"]);
    }
    for related in root.all("CfdiRelacionados") {
        c.required(related, "TipoRelacion");
        for cfdi in related.all("CfdiRelacionado") {
            c.required(cfdi, "UUID");
        }
    }
    if let Some(issuer) = root.first("Emisor") {
        c.required_all(issuer, &["Rfc", "Nombre", "RegimenFiscal"]);
        c.optional(issuer, "FacAtrAdquirente");
    }
    if let Some(receiver) = root.first("Receptor") {
        c.required_all(receiver, &["Rfc", "Nombre", "DomicilioFiscalReceptor"]);
        c.optional(receiver, "ResidenciaFiscal");
        c.optional(receiver, "NumRegIdTrib");
        c.required_all(receiver, &["RegimenFiscalReceptor", "UsoCFDI"]);
    }
    if let Some(items) = root.first("Conceptos") {
        for item in items.all("Concepto") {
            concepto(&mut c, item);
        }
    }
    if let Some(taxes) = root.first("Impuestos") {
        for withheld in taxes
            .path(&["Retenciones"])
            .into_iter()
            .flat_map(|r| r.all("Retencion"))
        {
            c.required_all(withheld, &["Impuesto", "Importe"]);
        }
        c.optional(taxes, "TotalImpuestosRetenidos");
        for transferred in taxes
            .path(&["Traslados"])
            .into_iter()
            .flat_map(|t| t.all("Traslado"))
        {
            c.required_all(transferred, &["Base", "Impuesto", "TipoFactor"]);
            c.optional(transferred, "TasaOCuota");
            c.optional(transferred, "Importe");
        }
        c.optional(taxes, "TotalImpuestosTrasladados");
    }
    // Complements with a template of their own; the stamp (TimbreFiscalDigital) has none.
    for complement in root
        .first("Complemento")
        .into_iter()
        .flat_map(|c| c.children.iter())
    {
        if complement.local_name() == "Pagos" {
            pagos(&mut c, complement);
        }
    }
    c.0.push_str("||");
    c.0
}

/// The Pagos 2.0 complement, as SAT's `Pagos20.xslt` includes it.
fn pagos(c: &mut Cadena, node: &Element) {
    c.required(node, "Version");
    for totals in node.all("Totales") {
        for attr in [
            "TotalRetencionesIVA",
            "TotalRetencionesISR",
            "TotalRetencionesIEPS",
            "TotalTrasladosBaseIVA16",
            "TotalTrasladosImpuestoIVA16",
            "TotalTrasladosBaseIVA8",
            "TotalTrasladosImpuestoIVA8",
            "TotalTrasladosBaseIVA0",
            "TotalTrasladosImpuestoIVA0",
            "TotalTrasladosBaseIVAExento",
        ] {
            c.optional(totals, attr);
        }
        c.required(totals, "MontoTotalPagos");
    }
    for payment in node.all("Pago") {
        c.required_all(payment, &["FechaPago", "FormaDePagoP", "MonedaP"]);
        c.optional(payment, "TipoCambioP");
        c.required(payment, "Monto");
        for attr in [
            "NumOperacion",
            "RfcEmisorCtaOrd",
            "NomBancoOrdExt",
            "CtaOrdenante",
            "RfcEmisorCtaBen",
            "CtaBeneficiario",
            "TipoCadPago",
            "CertPago",
            "CadPago",
            "SelloPago",
        ] {
            c.optional(payment, attr);
        }
        for related in payment.all("DoctoRelacionado") {
            c.required(related, "IdDocumento");
            c.optional(related, "Serie");
            c.optional(related, "Folio");
            c.required(related, "MonedaDR");
            c.optional(related, "EquivalenciaDR");
            c.required_all(
                related,
                &[
                    "NumParcialidad",
                    "ImpSaldoAnt",
                    "ImpPagado",
                    "ImpSaldoInsoluto",
                    "ObjetoImpDR",
                ],
            );
            let taxes = related.first("ImpuestosDR");
            for withheld in taxes
                .and_then(|t| t.first("RetencionesDR"))
                .into_iter()
                .flat_map(|r| r.all("RetencionDR"))
            {
                c.required_all(
                    withheld,
                    &[
                        "BaseDR",
                        "ImpuestoDR",
                        "TipoFactorDR",
                        "TasaOCuotaDR",
                        "ImporteDR",
                    ],
                );
            }
            for transferred in taxes
                .and_then(|t| t.first("TrasladosDR"))
                .into_iter()
                .flat_map(|t| t.all("TrasladoDR"))
            {
                c.required_all(transferred, &["BaseDR", "ImpuestoDR", "TipoFactorDR"]);
                c.optional(transferred, "TasaOCuotaDR");
                c.optional(transferred, "ImporteDR");
            }
        }
        for taxes in payment.all("ImpuestosP") {
            for withheld in taxes.all("RetencionesP").flat_map(|r| r.all("RetencionP")) {
                c.required_all(withheld, &["ImpuestoP", "ImporteP"]);
            }
            for transferred in taxes.all("TrasladosP").flat_map(|t| t.all("TrasladoP")) {
                c.required_all(transferred, &["BaseP", "ImpuestoP", "TipoFactorP"]);
                c.optional(transferred, "TasaOCuotaP");
                c.optional(transferred, "ImporteP");
            }
        }
    }
}

fn concepto(c: &mut Cadena, item: &Element) {
    c.required(item, "ClaveProdServ");
    c.optional(item, "NoIdentificacion");
    c.required_all(item, &["Cantidad", "ClaveUnidad"]);
    c.optional(item, "Unidad");
    c.required_all(item, &["Descripcion", "ValorUnitario", "Importe"]);
    c.optional(item, "Descuento");
    c.required(item, "ObjetoImp");
    let taxes = item.first("Impuestos");
    for transferred in taxes
        .and_then(|t| t.first("Traslados"))
        .into_iter()
        .flat_map(|t| t.all("Traslado"))
    {
        c.required_all(transferred, &["Base", "Impuesto", "TipoFactor"]);
        c.optional(transferred, "TasaOCuota");
        c.optional(transferred, "Importe");
    }
    for withheld in taxes
        .and_then(|t| t.first("Retenciones"))
        .into_iter()
        .flat_map(|r| r.all("Retencion"))
    {
        c.required_all(
            withheld,
            &["Base", "Impuesto", "TipoFactor", "TasaOCuota", "Importe"],
        );
    }
    for third_party in item.all("ACuentaTerceros") {
        c.required_all(
            third_party,
            &[
                "RfcACuentaTerceros",
                "NombreACuentaTerceros",
                "RegimenFiscalACuentaTerceros",
                "DomicilioFiscalACuentaTerceros",
            ],
        );
    }
    for customs in item.all("InformacionAduanera") {
        c.required(customs, "NumeroPedimento");
    }
    for account in item.all("CuentaPredial") {
        c.required(account, "Numero");
    }
    for part in item.all("Parte") {
        c.required(part, "ClaveProdServ");
        c.optional(part, "NoIdentificacion");
        c.required(part, "Cantidad");
        c.optional(part, "Unidad");
        c.required(part, "Descripcion");
        c.optional(part, "ValorUnitario");
        c.optional(part, "Importe");
        for customs in part.all("InformacionAduanera") {
            c.required(customs, "NumeroPedimento");
        }
    }
}

/// The cadena original of a TimbreFiscalDigital 1.1: what SelloSAT signs.
pub fn timbre(tfd: &Element) -> String {
    let mut c = Cadena(String::from("|"));
    c.required_all(tfd, &["Version", "UUID", "FechaTimbrado", "RfcProvCertif"]);
    c.optional(tfd, "Leyenda");
    c.required_all(tfd, &["SelloCFD", "NoCertificadoSAT"]);
    c.0.push_str("||");
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_whitespace_collapsed_and_absent_optionals_leave_no_field() {
        let root = Element::new("cfdi:Comprobante")
            .attr("Version", "4.0")
            .attr("Fecha", "2026-12-01T10:00:00")
            .attr("NoCertificado", "30001000000500003416")
            .attr("SubTotal", "100.00")
            .attr("Moneda", "MXN")
            .attr("Total", "116.00")
            .attr("TipoDeComprobante", "I")
            .attr("Exportacion", "01")
            .attr("LugarExpedicion", "42501")
            .child(
                Element::new("cfdi:Emisor")
                    .attr("Rfc", "EKU9003173C9")
                    .attr("Nombre", "  ESCUELA \n KEMPER   URGATE ")
                    .attr("RegimenFiscal", "601"),
            );
        assert_eq!(
            comprobante(&root),
            "||4.0|2026-12-01T10:00:00|30001000000500003416|100.00|MXN|116.00|I|01|42501\
             |EKU9003173C9|ESCUELA KEMPER URGATE|601||"
        );
    }
}
