//! An invoice as a CFDI 4.0 `Comprobante` (type I): nodes and attributes in Anexo 20's
//! order, amounts with SAT's rounding, then the sello.
//!
//! Rounding: each line's amount and each of its taxes is rounded to the currency's
//! decimals, half away from zero (the same figures [`crate::pricing`] shows on a
//! proposal); the document's tax summary and totals are sums of those rounded figures, which
//! is what SAT's CFDI40 validations compare against.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::cadena;
use super::xml::Element;
use crate::csd::{CertificateInfo, Csd};
use crate::pricing::{self, LineInput, Tax, Withholding};
use crate::rules::{currency_exponent, from_minor, to_minor};
use crate::{Error, Result};

pub const NAMESPACE: &str = "http://www.sat.gob.mx/cfd/4";
pub const SCHEMA_LOCATION: &str =
    "http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd";
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Clone, Debug)]
pub struct Party {
    pub rfc: String,
    pub name: String,
    pub regime: String,
    pub postal_code: String,
}

#[derive(Clone, Debug)]
pub struct Line {
    /// c_ClaveProdServ, e.g. 81111500.
    pub product_key: String,
    /// c_ClaveUnidad, e.g. E48 (unit of service) or H87 (piece).
    pub unit_key: String,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount: Decimal,
    pub tax: Tax,
    pub withholdings: Vec<Withholding>,
}

#[derive(Clone, Debug)]
pub struct Invoice {
    pub series: Option<String>,
    pub folio: Option<String>,
    /// Local time at the place of issue: CFDI dates carry no zone.
    pub issued_at: NaiveDateTime,
    pub payment_form: String,
    /// PUE or PPD.
    pub payment_method: String,
    pub currency: String,
    pub exchange_rate: Option<Decimal>,
    pub export_code: String,
    pub issuer: Party,
    pub receiver: Party,
    pub cfdi_use: String,
    pub lines: Vec<Line>,
    /// CFDI relation (c_TipoRelacion) and the UUIDs it relates to.
    pub related: Option<(String, Vec<String>)>,
    /// A factura global's period.
    pub global: Option<GlobalPeriod>,
}

/// The period a factura global covers (the InformacionGlobal node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalPeriod {
    /// c_Periodicidad: 01 daily, 02 weekly, 03 fortnightly, 04 monthly, 05 bimonthly.
    pub periodicity: String,
    /// c_Meses: 01–12, or 13–18 for the bimonthly periods.
    pub months: String,
    pub year: i32,
}

/// What the document adds up to, in minor units of its currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub discount: i64,
    pub transferred: i64,
    pub withheld: i64,
    pub total: i64,
}

#[derive(Clone, Copy)]
struct TaxLine {
    base: i64,
    /// c_Impuesto: 001 ISR, 002 IVA.
    tax: &'static str,
    /// None: exempt.
    rate: Option<Decimal>,
    amount: i64,
}

fn transferred(tax: Tax) -> (&'static str, Option<Decimal>) {
    match tax {
        Tax::Exempt => ("002", None),
        other => ("002", Some(other.rate())),
    }
}

fn withheld(w: Withholding) -> &'static str {
    match w {
        Withholding::IvaTwoThirds | Withholding::IvaFreight => "002",
        Withholding::Isr10 | Withholding::IsrResico => "001",
    }
}

struct Priced<'a> {
    line: &'a Line,
    amount: i64,
    discount: i64,
    transferred: TaxLine,
    withheld: Vec<TaxLine>,
}

fn price<'a>(line: &'a Line, currency: &str) -> Result<Priced<'a>> {
    let figures = pricing::line(
        &LineInput {
            quantity: line.quantity,
            unit_price: line.unit_price,
            discount: line.discount,
            tax: line.tax,
            withholdings: line.withholdings.clone(),
        },
        currency,
    )?;
    let exponent = currency_exponent(currency);
    let base = figures.amount - figures.discount;
    let base_amount = from_minor(base, currency);
    let share = |rate: Decimal| {
        to_minor(base_amount * rate, exponent)
            .ok_or_else(|| Error::invalid("unitPrice", "amount is too large"))
    };
    let (tax, rate) = transferred(line.tax);
    let transferred = TaxLine {
        base,
        tax,
        rate,
        amount: rate.map(share).transpose()?.unwrap_or(0),
    };
    let withheld = line
        .withholdings
        .iter()
        .map(|w| {
            Ok(TaxLine {
                base,
                tax: withheld(*w),
                rate: Some(w.rate()),
                amount: share(w.rate())?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Priced {
        line,
        amount: figures.amount,
        discount: figures.discount,
        transferred,
        withheld,
    })
}

impl Priced<'_> {
    fn totals(&self) -> Totals {
        let withheld = self.withheld.iter().map(|w| w.amount).sum::<i64>();
        Totals {
            subtotal: self.amount,
            discount: self.discount,
            transferred: self.transferred.amount,
            withheld,
            total: self.amount - self.discount + self.transferred.amount - withheld,
        }
    }
}

/// A document's totals are the sums of its lines' rounded figures.
impl std::iter::Sum for Totals {
    fn sum<I: Iterator<Item = Totals>>(lines: I) -> Totals {
        lines.fold(Totals::default(), |t, l| Totals {
            subtotal: t.subtotal + l.subtotal,
            discount: t.discount + l.discount,
            transferred: t.transferred + l.transferred,
            withheld: t.withheld + l.withheld,
            total: t.total + l.total,
        })
    }
}

/// One line's figures.
pub fn line_totals(line: &Line, currency: &str) -> Result<Totals> {
    Ok(price(line, currency)?.totals())
}

/// The totals an invoice's lines add up to.
pub fn totals(lines: &[Line], currency: &str) -> Result<Totals> {
    lines.iter().map(|l| line_totals(l, currency)).sum()
}

fn rate_text(rate: Decimal) -> String {
    format!("{:.6}", rate.round_dp(6))
}

/// At least the currency's decimals; more only when the figure has them.
fn price_text(value: Decimal, currency: &str) -> String {
    let mut v = value.normalize();
    let exponent = currency_exponent(currency);
    if v.scale() < exponent {
        v.rescale(exponent);
    }
    v.to_string()
}

/// The unsealed document: everything but the `Sello` value.
pub fn document(invoice: &Invoice, certificate: &CertificateInfo) -> Result<Element> {
    let currency = invoice.currency.as_str();
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let priced = invoice
        .lines
        .iter()
        .map(|l| price(l, currency))
        .collect::<Result<Vec<_>>>()?;
    let totals: Totals = priced.iter().map(Priced::totals).sum();
    let exchange_rate = match (currency, invoice.exchange_rate) {
        ("MXN", _) => None,
        (_, Some(rate)) => Some(rate.normalize().to_string()),
        (_, None) => {
            return Err(Error::invalid(
                "exchangeRate",
                "an invoice in another currency than MXN needs its exchange rate",
            ));
        }
    };
    let mut root = Element::new("cfdi:Comprobante")
        .attr("xmlns:cfdi", NAMESPACE)
        .attr("xmlns:xsi", XSI)
        .attr("xsi:schemaLocation", SCHEMA_LOCATION)
        .attr("Version", "4.0")
        .attr_opt("Serie", invoice.series.clone())
        .attr_opt("Folio", invoice.folio.clone())
        .attr(
            "Fecha",
            invoice.issued_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        )
        .attr("Sello", "")
        .attr("FormaPago", &invoice.payment_form)
        .attr("NoCertificado", &certificate.number)
        .attr("Certificado", &certificate.base64)
        .attr("SubTotal", money(totals.subtotal))
        .attr_opt(
            "Descuento",
            (totals.discount > 0).then(|| money(totals.discount)),
        )
        .attr("Moneda", currency)
        .attr_opt("TipoCambio", exchange_rate)
        .attr("Total", money(totals.total))
        .attr("TipoDeComprobante", "I")
        .attr("Exportacion", &invoice.export_code)
        .attr("MetodoPago", &invoice.payment_method)
        .attr("LugarExpedicion", &invoice.issuer.postal_code);
    if let Some(global) = &invoice.global {
        root = root.child(
            Element::new("cfdi:InformacionGlobal")
                .attr("Periodicidad", &global.periodicity)
                .attr("Meses", &global.months)
                .attr("Año", global.year.to_string()),
        );
    }
    if let Some((relation, uuids)) = &invoice.related {
        let mut related = Element::new("cfdi:CfdiRelacionados").attr("TipoRelacion", relation);
        for uuid in uuids {
            related = related.child(Element::new("cfdi:CfdiRelacionado").attr("UUID", uuid));
        }
        root = root.child(related);
    }
    root = root
        .child(
            Element::new("cfdi:Emisor")
                .attr("Rfc", &invoice.issuer.rfc)
                .attr("Nombre", &invoice.issuer.name)
                .attr("RegimenFiscal", &invoice.issuer.regime),
        )
        .child(
            Element::new("cfdi:Receptor")
                .attr("Rfc", &invoice.receiver.rfc)
                .attr("Nombre", &invoice.receiver.name)
                .attr("DomicilioFiscalReceptor", &invoice.receiver.postal_code)
                .attr("RegimenFiscalReceptor", &invoice.receiver.regime)
                .attr("UsoCFDI", &invoice.cfdi_use),
        );
    let mut items = Element::new("cfdi:Conceptos");
    for p in &priced {
        items = items.child(concepto(p, currency));
    }
    root = root.child(items).child(summary(&priced, &totals, currency));
    Ok(root)
}

fn tax_element(name: &str, t: &TaxLine, currency: &str) -> Element {
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let element = Element::new(name)
        .attr("Base", money(t.base))
        .attr("Impuesto", t.tax);
    match t.rate {
        Some(rate) => element
            .attr("TipoFactor", "Tasa")
            .attr("TasaOCuota", rate_text(rate))
            .attr("Importe", money(t.amount)),
        None => element.attr("TipoFactor", "Exento"),
    }
}

fn concepto(p: &Priced, currency: &str) -> Element {
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let line = p.line;
    let mut taxes =
        Element::new("cfdi:Impuestos").child(Element::new("cfdi:Traslados").child(tax_element(
            "cfdi:Traslado",
            &p.transferred,
            currency,
        )));
    if !p.withheld.is_empty() {
        let mut withheld = Element::new("cfdi:Retenciones");
        for w in &p.withheld {
            withheld = withheld.child(tax_element("cfdi:Retencion", w, currency));
        }
        taxes = taxes.child(withheld);
    }
    Element::new("cfdi:Concepto")
        .attr("ClaveProdServ", &line.product_key)
        .attr_opt("NoIdentificacion", line.sku.clone())
        .attr("Cantidad", line.quantity.normalize().to_string())
        .attr("ClaveUnidad", &line.unit_key)
        .attr("Descripcion", &line.description)
        .attr("ValorUnitario", price_text(line.unit_price, currency))
        .attr("Importe", money(p.amount))
        .attr_opt("Descuento", (p.discount > 0).then(|| money(p.discount)))
        .attr("ObjetoImp", "02")
        .child(taxes)
}

/// The document-level tax summary: transfers grouped by tax, factor and rate, withholdings
/// by tax.
fn summary(priced: &[Priced], totals: &Totals, currency: &str) -> Element {
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let mut transfers: BTreeMap<(&str, Option<String>), TaxLine> = BTreeMap::new();
    let mut withholdings: BTreeMap<&str, i64> = BTreeMap::new();
    for p in priced {
        let t = p.transferred;
        let group = transfers
            .entry((t.tax, t.rate.map(rate_text)))
            .or_insert(TaxLine {
                base: 0,
                amount: 0,
                ..t
            });
        group.base += t.base;
        group.amount += t.amount;
        for w in &p.withheld {
            *withholdings.entry(w.tax).or_default() += w.amount;
        }
    }
    let any_rated = transfers.values().any(|t| t.rate.is_some());
    let mut element = Element::new("cfdi:Impuestos")
        .attr_opt(
            "TotalImpuestosRetenidos",
            (!withholdings.is_empty()).then(|| money(totals.withheld)),
        )
        .attr_opt(
            "TotalImpuestosTrasladados",
            any_rated.then(|| money(totals.transferred)),
        );
    if !withholdings.is_empty() {
        let mut group = Element::new("cfdi:Retenciones");
        for (tax, amount) in withholdings {
            group = group.child(
                Element::new("cfdi:Retencion")
                    .attr("Impuesto", tax)
                    .attr("Importe", money(amount)),
            );
        }
        element = element.child(group);
    }
    let mut group = Element::new("cfdi:Traslados");
    for t in transfers.values() {
        group = group.child(tax_element("cfdi:Traslado", t, currency));
    }
    element.child(group)
}

/// Seals `document` with the CSD: fills in `Sello` and returns the cadena original signed.
pub fn seal(document: &mut Element, csd: &Csd) -> Result<String> {
    let cadena = cadena::comprobante(document);
    let sello = csd.seal(cadena.as_bytes())?;
    match document.attrs.iter_mut().find(|(n, _)| n == "Sello") {
        Some((_, value)) => *value = sello,
        None => document.attrs.push(("Sello".into(), sello)),
    }
    Ok(cadena)
}
