//! The payment receipt (CFDI type P) with its Pagos 2.0 complement: what a PPD invoice's
//! issuer stamps for each payment received.
//!
//! The related invoice's taxes are paid in proportion: each tax of the invoice, grouped as
//! its items carry it, has its base scaled by the share of the invoice's total this payment
//! covers, rounded to the currency's decimals half away from zero, and its amount is that
//! base times the rate, rounded the same way. The payment's and the totals' figures are sums
//! of those.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::build::{NAMESPACE, Party, SCHEMA_LOCATION, XSI};
use super::xml::Element;
use crate::csd::CertificateInfo;
use crate::rules::{currency_exponent, from_minor, round_money, to_minor};
use crate::{Error, Result};

pub const PAGOS_NAMESPACE: &str = "http://www.sat.gob.mx/Pagos20";
const PAGOS_SCHEMA_LOCATION: &str =
    "http://www.sat.gob.mx/Pagos20 http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd";

/// One tax of an invoice as its items carry it: c_Impuesto, Tasa or Exento, the rate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaxKey {
    pub tax: String,
    pub factor: String,
    /// As written in the CFDI: 0.160000; none when exempt.
    pub rate: Option<String>,
}

/// A tax of the invoice with its base and amount, in minor units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxAmount {
    pub key: TaxKey,
    pub base: i64,
    pub amount: i64,
}

/// What a payment receipt needs to know of the invoice it pays.
#[derive(Clone, Debug)]
pub struct RelatedInvoice {
    pub uuid: String,
    pub series: Option<String>,
    pub folio: Option<String>,
    pub currency: String,
    pub total: i64,
    pub transferred: Vec<TaxAmount>,
    pub withheld: Vec<TaxAmount>,
}

impl RelatedInvoice {
    /// Reads the invoice's own stamped CFDI: its UUID, total and its items' taxes.
    pub fn from_stamped(doc: &Element) -> Result<Self> {
        let unreadable = || anyhow::anyhow!("the stamped invoice cannot be read");
        let currency = doc.get("Moneda").ok_or_else(unreadable)?.to_owned();
        let minor = |value: Option<&str>| -> Result<i64> {
            let value: Decimal = value.and_then(|v| v.parse().ok()).ok_or_else(unreadable)?;
            Ok(to_minor(value, currency_exponent(&currency)).ok_or_else(unreadable)?)
        };
        let mut transferred: BTreeMap<TaxKey, (i64, i64)> = BTreeMap::new();
        let mut withheld: BTreeMap<TaxKey, (i64, i64)> = BTreeMap::new();
        let items = doc
            .first("Conceptos")
            .into_iter()
            .flat_map(|c| c.all("Concepto"));
        for taxes in items.filter_map(|i| i.first("Impuestos")) {
            for (group, name, into) in [
                ("Traslados", "Traslado", &mut transferred),
                ("Retenciones", "Retencion", &mut withheld),
            ] {
                for tax in taxes.first(group).into_iter().flat_map(|g| g.all(name)) {
                    let key = TaxKey {
                        tax: tax.get("Impuesto").ok_or_else(unreadable)?.to_owned(),
                        factor: tax.get("TipoFactor").ok_or_else(unreadable)?.to_owned(),
                        rate: tax.get("TasaOCuota").map(str::to_owned),
                    };
                    let entry = into.entry(key).or_default();
                    entry.0 += minor(tax.get("Base"))?;
                    if tax.get("Importe").is_some() {
                        entry.1 += minor(tax.get("Importe"))?;
                    }
                }
            }
        }
        let list = |map: BTreeMap<TaxKey, (i64, i64)>| {
            map.into_iter()
                .map(|(key, (base, amount))| TaxAmount { key, base, amount })
                .collect()
        };
        Ok(Self {
            uuid: doc
                .path(&["Complemento", "TimbreFiscalDigital"])
                .and_then(|t| t.get("UUID"))
                .ok_or_else(unreadable)?
                .to_owned(),
            series: doc.get("Serie").map(str::to_owned),
            folio: doc.get("Folio").map(str::to_owned),
            total: minor(doc.get("Total"))?,
            currency,
            transferred: list(transferred),
            withheld: list(withheld),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Receipt {
    pub series: Option<String>,
    pub folio: Option<String>,
    /// Local time at the place of issue.
    pub issued_at: NaiveDateTime,
    /// Local time the payment was received.
    pub paid_at: NaiveDateTime,
    /// c_FormaPago.
    pub payment_form: String,
    /// In the invoice's currency, minor units.
    pub amount: i64,
    /// Pesos per unit of the invoice's currency on the payment day; none for MXN.
    pub exchange_rate: Option<Decimal>,
    /// The bank's operation number, if known.
    pub operation: Option<String>,
    /// Which payment of the invoice this is: 1, 2, …
    pub installment: u32,
    /// What was owed before this payment.
    pub balance_before: i64,
    pub issuer: Party,
    pub receiver: Party,
    pub invoice: RelatedInvoice,
}

/// The receipt's share of one of the invoice's taxes.
fn share(tax: &TaxAmount, paid: i64, total: i64, currency: &str) -> Result<TaxAmount> {
    let exponent = currency_exponent(currency);
    let too_large = || Error::invalid("amount", "amount is too large");
    let base = from_minor(tax.base, currency) * Decimal::from(paid) / Decimal::from(total);
    let base = to_minor(base, exponent).ok_or_else(too_large)?;
    let amount = match tax.key.rate.as_deref().map(str::parse::<Decimal>) {
        Some(Ok(rate)) => {
            to_minor(from_minor(base, currency) * rate, exponent).ok_or_else(too_large)?
        }
        Some(Err(_)) => return Err(anyhow::anyhow!("a stored tax rate cannot be read").into()),
        None => 0,
    };
    Ok(TaxAmount {
        key: tax.key.clone(),
        base,
        amount,
    })
}

fn dr_element(name: &str, t: &TaxAmount, currency: &str) -> Element {
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let element = Element::new(name)
        .attr("BaseDR", money(t.base))
        .attr("ImpuestoDR", &t.key.tax)
        .attr("TipoFactorDR", &t.key.factor);
    match &t.key.rate {
        Some(rate) => element
            .attr("TasaOCuotaDR", rate)
            .attr("ImporteDR", money(t.amount)),
        None => element,
    }
}

fn p_element(name: &str, t: &TaxAmount, currency: &str) -> Element {
    let money = |minor: i64| from_minor(minor, currency).to_string();
    let element = Element::new(name)
        .attr("BaseP", money(t.base))
        .attr("ImpuestoP", &t.key.tax)
        .attr("TipoFactorP", &t.key.factor);
    match &t.key.rate {
        Some(rate) => element
            .attr("TasaOCuotaP", rate)
            .attr("ImporteP", money(t.amount)),
        None => element,
    }
}

/// The unsealed receipt: everything but the `Sello` value.
pub fn document(receipt: &Receipt, certificate: &CertificateInfo) -> Result<Element> {
    let invoice = &receipt.invoice;
    let currency = invoice.currency.as_str();
    let money = |minor: i64| from_minor(minor, currency).to_string();
    if receipt.amount <= 0 || receipt.amount > receipt.balance_before {
        return Err(Error::invalid(
            "amount",
            "a payment is more than zero and at most what is owed",
        ));
    }
    let exchange_rate = match (currency, receipt.exchange_rate) {
        ("MXN", _) => Decimal::ONE,
        (_, Some(rate)) => rate,
        (_, None) => {
            return Err(Error::invalid(
                "exchangeRate",
                "a payment in another currency than MXN needs the day's exchange rate",
            ));
        }
    };
    let transferred = invoice
        .transferred
        .iter()
        .map(|t| share(t, receipt.amount, invoice.total, currency))
        .collect::<Result<Vec<_>>>()?;
    let withheld = invoice
        .withheld
        .iter()
        .map(|t| share(t, receipt.amount, invoice.total, currency))
        .collect::<Result<Vec<_>>>()?;

    // Totals are in pesos, with centavos.
    let pesos = |minor: i64| {
        format!(
            "{:.2}",
            round_money(from_minor(minor, currency) * exchange_rate, 2)
        )
    };
    let sum_of = |list: &[TaxAmount], pick: &dyn Fn(&TaxKey) -> bool, base: bool| {
        let matching: Vec<&TaxAmount> = list.iter().filter(|t| pick(&t.key)).collect();
        (!matching.is_empty()).then(|| {
            pesos(
                matching
                    .iter()
                    .map(|t| if base { t.base } else { t.amount })
                    .sum(),
            )
        })
    };
    let iva_at =
        |rate: &'static str| move |k: &TaxKey| k.tax == "002" && k.rate.as_deref() == Some(rate);
    let mut totals = Element::new("pago20:Totales")
        .attr_opt(
            "TotalRetencionesIVA",
            sum_of(&withheld, &|k| k.tax == "002", false),
        )
        .attr_opt(
            "TotalRetencionesISR",
            sum_of(&withheld, &|k| k.tax == "001", false),
        );
    for (rate, base_attr, tax_attr) in [
        (
            "0.160000",
            "TotalTrasladosBaseIVA16",
            "TotalTrasladosImpuestoIVA16",
        ),
        (
            "0.080000",
            "TotalTrasladosBaseIVA8",
            "TotalTrasladosImpuestoIVA8",
        ),
        (
            "0.000000",
            "TotalTrasladosBaseIVA0",
            "TotalTrasladosImpuestoIVA0",
        ),
    ] {
        totals = totals
            .attr_opt(base_attr, sum_of(&transferred, &iva_at(rate), true))
            .attr_opt(tax_attr, sum_of(&transferred, &iva_at(rate), false));
    }
    let totals = totals
        .attr_opt(
            "TotalTrasladosBaseIVAExento",
            sum_of(&transferred, &|k| k.factor == "Exento", true),
        )
        .attr("MontoTotalPagos", pesos(receipt.amount));

    let mut taxes_dr = Element::new("pago20:ImpuestosDR");
    let mut taxes_p = Element::new("pago20:ImpuestosP");
    if !withheld.is_empty() {
        let mut dr = Element::new("pago20:RetencionesDR");
        let mut by_tax: BTreeMap<&str, i64> = BTreeMap::new();
        for t in &withheld {
            dr = dr.child(dr_element("pago20:RetencionDR", t, currency));
            *by_tax.entry(&t.key.tax).or_default() += t.amount;
        }
        taxes_dr = taxes_dr.child(dr);
        let mut p = Element::new("pago20:RetencionesP");
        for (tax, amount) in by_tax {
            p = p.child(
                Element::new("pago20:RetencionP")
                    .attr("ImpuestoP", tax)
                    .attr("ImporteP", money(amount)),
            );
        }
        taxes_p = taxes_p.child(p);
    }
    if !transferred.is_empty() {
        let mut dr = Element::new("pago20:TrasladosDR");
        let mut p = Element::new("pago20:TrasladosP");
        for t in &transferred {
            dr = dr.child(dr_element("pago20:TrasladoDR", t, currency));
            // One invoice per receipt: its groups are already the payment's.
            p = p.child(p_element("pago20:TrasladoP", t, currency));
        }
        taxes_dr = taxes_dr.child(dr);
        taxes_p = taxes_p.child(p);
    }
    let has_taxes = !(transferred.is_empty() && withheld.is_empty());
    let mut related = Element::new("pago20:DoctoRelacionado")
        .attr("IdDocumento", &invoice.uuid)
        .attr_opt("Serie", invoice.series.clone())
        .attr_opt("Folio", invoice.folio.clone())
        .attr("MonedaDR", currency)
        .attr("EquivalenciaDR", "1")
        .attr("NumParcialidad", receipt.installment.to_string())
        .attr("ImpSaldoAnt", money(receipt.balance_before))
        .attr("ImpPagado", money(receipt.amount))
        .attr(
            "ImpSaldoInsoluto",
            money(receipt.balance_before - receipt.amount),
        )
        .attr("ObjetoImpDR", if has_taxes { "02" } else { "01" });
    if has_taxes {
        related = related.child(taxes_dr);
    }
    let mut payment = Element::new("pago20:Pago")
        .attr(
            "FechaPago",
            receipt.paid_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        )
        .attr("FormaDePagoP", &receipt.payment_form)
        .attr("MonedaP", currency)
        .attr("TipoCambioP", exchange_rate.normalize().to_string())
        .attr("Monto", money(receipt.amount))
        .attr_opt("NumOperacion", receipt.operation.clone())
        .child(related);
    if has_taxes {
        payment = payment.child(taxes_p);
    }
    Ok(Element::new("cfdi:Comprobante")
        .attr("xmlns:cfdi", NAMESPACE)
        .attr("xmlns:xsi", XSI)
        .attr("xmlns:pago20", PAGOS_NAMESPACE)
        .attr(
            "xsi:schemaLocation",
            format!("{SCHEMA_LOCATION} {PAGOS_SCHEMA_LOCATION}"),
        )
        .attr("Version", "4.0")
        .attr_opt("Serie", receipt.series.clone())
        .attr_opt("Folio", receipt.folio.clone())
        .attr(
            "Fecha",
            receipt.issued_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        )
        .attr("Sello", "")
        .attr("NoCertificado", &certificate.number)
        .attr("Certificado", &certificate.base64)
        .attr("SubTotal", "0")
        .attr("Moneda", "XXX")
        .attr("Total", "0")
        .attr("TipoDeComprobante", "P")
        .attr("Exportacion", "01")
        .attr("LugarExpedicion", &receipt.issuer.postal_code)
        .child(
            Element::new("cfdi:Emisor")
                .attr("Rfc", &receipt.issuer.rfc)
                .attr("Nombre", &receipt.issuer.name)
                .attr("RegimenFiscal", &receipt.issuer.regime),
        )
        .child(
            Element::new("cfdi:Receptor")
                .attr("Rfc", &receipt.receiver.rfc)
                .attr("Nombre", &receipt.receiver.name)
                .attr("DomicilioFiscalReceptor", &receipt.receiver.postal_code)
                .attr("RegimenFiscalReceptor", &receipt.receiver.regime)
                .attr("UsoCFDI", "CP01"),
        )
        .child(
            Element::new("cfdi:Conceptos").child(
                Element::new("cfdi:Concepto")
                    .attr("ClaveProdServ", "84111506")
                    .attr("Cantidad", "1")
                    .attr("ClaveUnidad", "ACT")
                    .attr("Descripcion", "Pago")
                    .attr("ValorUnitario", "0")
                    .attr("Importe", "0")
                    .attr("ObjetoImp", "01"),
            ),
        )
        .child(
            Element::new("cfdi:Complemento").child(
                Element::new("pago20:Pagos")
                    .attr("Version", "2.0")
                    .child(totals)
                    .child(payment),
            ),
        ))
}
