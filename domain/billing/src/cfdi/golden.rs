//! Golden files for one invoice that uses every kind of tax. `invoice.cadena.txt` was
//! produced from `invoice.xml` by an XSLT processor with SAT's stylesheet templates, and
//! `invoice.sello.txt` by `openssl dgst -sha256 -sign` over that cadena with the test CSD's
//! key: both independent of this code. PKCS#1 v1.5 signatures are deterministic, so the
//! sello must match byte for byte.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::build::{self, Invoice, Line, Party};
use super::{cadena, xml::Element};
use crate::csd::{tests::csd, verify_seal};
use crate::pricing::{Tax, Withholding};

const XML: &str = include_str!("../../testdata/cfdi/invoice.xml");
const CADENA: &str = include_str!("../../testdata/cfdi/invoice.cadena.txt");
const SELLO: &str = include_str!("../../testdata/cfdi/invoice.sello.txt");

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn line(
    [key, unit, text]: [&str; 3],
    q: &str,
    p: &str,
    disc: &str,
    tax: Tax,
    w: &[Withholding],
) -> Line {
    Line {
        product_key: key.into(),
        unit_key: unit.into(),
        sku: None,
        description: text.into(),
        quantity: d(q),
        unit_price: d(p),
        discount: d(disc),
        tax,
        withholdings: w.to_vec(),
    }
}

pub(crate) fn invoice() -> Invoice {
    Invoice {
        series: Some("F".into()),
        folio: Some("1".into()),
        issued_at: NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(10, 30, 0))
            .expect("date"),
        payment_form: "03".into(),
        payment_method: "PUE".into(),
        currency: "MXN".into(),
        exchange_rate: None,
        export_code: "01".into(),
        issuer: Party {
            rfc: "EKU9003173C9".into(),
            name: "ESCUELA KEMPER URGATE".into(),
            regime: "601".into(),
            postal_code: "42501".into(),
        },
        receiver: Party {
            rfc: "URE180429TM6".into(),
            name: "UNIVERSIDAD ROBOTICA ESPAÑOLA".into(),
            regime: "601".into(),
            postal_code: "65000".into(),
        },
        cfdi_use: "G03".into(),
        lines: vec![
            line(
                ["81111500", "E48", "Desarrollo de software a la medida"],
                "1",
                "10000",
                "500",
                Tax::Iva16,
                &[],
            ),
            line(
                ["43211503", "H87", "Laptop & cargador <65W> \"USB-C\""],
                "2",
                "15499.995",
                "0",
                Tax::Iva16,
                &[],
            ),
            line(
                ["84111506", "E48", "Curso exento"],
                "1.5",
                "99.99",
                "0",
                Tax::Exempt,
                &[],
            ),
            line(
                ["80111600", "E48", "Honorarios de consultoría"],
                "1",
                "3000",
                "0",
                Tax::Iva16,
                &[Withholding::IvaTwoThirds, Withholding::Isr10],
            ),
            line(
                ["50202306", "H87", "Agua natural"],
                "3",
                "12.5",
                "0",
                Tax::Iva0,
                &[],
            ),
            line(
                ["78101800", "E48", "Flete zona fronteriza"],
                "1",
                "1234.56",
                "0",
                Tax::Iva8,
                &[Withholding::IvaFreight],
            ),
        ],
        related: None,
        global: None,
    }
}

fn sealed() -> (Element, String) {
    let csd = csd();
    let mut doc = build::document(&invoice(), &csd.certificate).expect("document");
    let cadena = build::seal(&mut doc, &csd).expect("sealed");
    (doc, cadena)
}

#[test]
fn the_document_matches_the_golden_xml() {
    let (doc, _) = sealed();
    if std::env::var_os("TIANGUIS_WRITE_GOLDEN").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/cfdi/invoice.xml"),
            doc.to_document(),
        )
        .expect("write golden");
    }
    assert_eq!(doc.to_document(), XML);
}

#[test]
fn the_cadena_original_is_what_sats_stylesheet_makes() {
    let (_, cadena) = sealed();
    assert_eq!(cadena, CADENA.trim_end_matches('\n'));
    // Read back from the XML text, it is the same.
    let parsed = Element::parse(XML).expect("parses");
    assert_eq!(cadena::comprobante(&parsed), cadena);
}

#[test]
fn the_sello_is_what_openssl_makes_and_verifies_with_the_certificate() {
    let (doc, cadena) = sealed();
    let sello = doc.get("Sello").expect("sello");
    assert_eq!(sello, SELLO.trim());
    let certificate = doc.get("Certificado").expect("certificate");
    assert!(verify_seal(certificate, cadena.as_bytes(), sello));
}

#[test]
fn totals_add_up_line_by_line() {
    let (doc, _) = sealed();
    let totals = build::totals(&invoice().lines, "MXN").expect("totals");
    // 10,000 + 30,999.99 + 149.99 + 3,000 + 37.50 + 1,234.56
    assert_eq!(totals.subtotal, 4_542_204);
    assert_eq!(totals.discount, 50_000);
    // 16 % of 9,500 + 30,999.99 + 3,000; 8 % of 1,234.56
    assert_eq!(totals.transferred, 152_000 + 496_000 + 48_000 + 9_876);
    // IVA 2/3 of 3,000 = 320.00; ISR 300.00; IVA on freight 4 % = 49.38
    assert_eq!(totals.withheld, 32_000 + 30_000 + 4_938);
    assert_eq!(
        totals.total,
        totals.subtotal - totals.discount + totals.transferred - totals.withheld
    );
    assert_eq!(doc.get("Total"), Some("51311.42"));
}

mod receipt {
    //! The payment receipt (Pagos 2.0) of a first partial payment of the golden invoice;
    //! its cadena and sello were produced the same independent way.

    use super::*;
    use crate::cfdi::pagos::{self, Receipt, RelatedInvoice};

    const XML: &str = include_str!("../../testdata/cfdi/receipt.xml");
    const CADENA: &str = include_str!("../../testdata/cfdi/receipt.cadena.txt");
    const SELLO: &str = include_str!("../../testdata/cfdi/receipt.sello.txt");
    const INVOICE_UUID: &str = "5FB2822E-396D-4725-8521-CDC4BDD20CCF";

    fn stamped_invoice() -> Element {
        let (mut doc, _) = super::sealed();
        doc.children.push(
            Element::new("cfdi:Complemento").child(
                Element::new("tfd:TimbreFiscalDigital")
                    .attr("Version", "1.1")
                    .attr("UUID", INVOICE_UUID),
            ),
        );
        doc
    }

    fn receipt() -> Receipt {
        let invoice = super::invoice();
        let related = RelatedInvoice::from_stamped(&stamped_invoice()).expect("readable");
        Receipt {
            series: Some("P".into()),
            folio: Some("1".into()),
            issued_at: NaiveDate::from_ymd_opt(2026, 12, 5)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("date"),
            paid_at: NaiveDate::from_ymd_opt(2026, 12, 4)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .expect("date"),
            payment_form: "03".into(),
            amount: 2_000_000,
            exchange_rate: None,
            operation: Some("SPEI 0042".into()),
            installment: 1,
            balance_before: related.total,
            issuer: invoice.issuer,
            receiver: invoice.receiver,
            invoice: related,
        }
    }

    fn sealed() -> (Element, String) {
        let csd = csd();
        let mut doc = pagos::document(&receipt(), &csd.certificate).expect("document");
        let cadena = build::seal(&mut doc, &csd).expect("sealed");
        (doc, cadena)
    }

    #[test]
    fn the_invoices_taxes_are_read_from_its_items() {
        let related = receipt().invoice;
        assert_eq!(related.uuid, INVOICE_UUID);
        assert_eq!(related.total, 5_131_142);
        let iva16 = related
            .transferred
            .iter()
            .find(|t| t.key.rate.as_deref() == Some("0.160000"))
            .expect("IVA 16 %");
        assert_eq!((iva16.base, iva16.amount), (4_349_999, 696_000));
        assert_eq!(related.withheld.len(), 3, "IVA 2/3, IVA 4 % and ISR 10 %");
    }

    #[test]
    fn the_receipt_matches_the_golden_xml() {
        let (doc, _) = sealed();
        if std::env::var_os("TIANGUIS_WRITE_GOLDEN").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/cfdi/receipt.xml"),
                doc.to_document(),
            )
            .expect("write golden");
        }
        assert_eq!(doc.to_document(), XML);
    }

    #[test]
    fn the_receipts_cadena_and_sello_are_what_sats_stylesheet_and_openssl_make() {
        let (doc, cadena) = sealed();
        assert_eq!(cadena, CADENA.trim_end_matches('\n'));
        assert_eq!(doc.get("Sello"), Some(SELLO.trim()));
        let parsed = Element::parse(XML).expect("parses");
        assert_eq!(cadena::comprobante(&parsed), cadena);
    }

    #[test]
    fn a_payment_cannot_exceed_what_is_owed() {
        let mut receipt = receipt();
        receipt.amount = receipt.balance_before + 1;
        assert!(pagos::document(&receipt, &csd().certificate).is_err());
    }
}
