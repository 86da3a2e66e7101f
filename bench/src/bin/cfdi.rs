//! CFDI throughput: invoices built, sealed with the CSD and stamped by the sandbox PAC
//! (which parses the XML, rebuilds the cadena, verifies the sello and seals its own
//! TimbreFiscalDigital), on every core.
//!
//!   cargo run --release -p tianguis-bench --bin cfdi -- 20000
//!
//! The database writes around a stamp (the job ledger, the invoice row) are not part of
//! this scenario: it measures the CPU path a stamping worker runs per invoice.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use rust_decimal::Decimal;
use tianguis_domain::billing::cfdi::{self, Invoice, Line, Party, build};
use tianguis_domain::billing::csd::Csd;
use tianguis_domain::ports::{Pac, PacAccount, SystemClock};
use tianguis_domain::pricing::{Tax, Withholding};
use tianguis_integrations::pac::SandboxPac;

const CER: &[u8] = include_bytes!("../../../domain/billing/testdata/csd/eku.cer");
const KEY: &[u8] = include_bytes!("../../../domain/billing/testdata/csd/eku.key");

fn line(description: &str, price: i64, tax: Tax, withholdings: &[Withholding]) -> Line {
    Line {
        product_key: "81111500".into(),
        unit_key: "E48".into(),
        sku: None,
        description: description.into(),
        quantity: Decimal::new(15, 1),
        unit_price: Decimal::new(price, 2),
        discount: Decimal::ZERO,
        tax,
        withholdings: withholdings.to_vec(),
    }
}

fn invoice(folio: usize) -> Invoice {
    Invoice {
        series: Some("F".into()),
        folio: Some(folio.to_string()),
        issued_at: cfdi::local_time("42501", Utc::now()),
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
                "Desarrollo de software",
                1_000_000 + folio as i64,
                Tax::Iva16,
                &[],
            ),
            line(
                "Honorarios",
                300_000,
                Tax::Iva16,
                &[Withholding::IvaTwoThirds, Withholding::Isr10],
            ),
            line("Curso", 9_999, Tax::Exempt, &[]),
        ],
        related: None,
        global: None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).map_or(Ok(20_000), |n| n.parse())?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let csd = Arc::new(Csd::open(CER, KEY, "12345678a").map_err(|e| anyhow::anyhow!("{e}"))?);
    let pac = Arc::new(SandboxPac::new(Arc::new(SystemClock))?);
    let account = PacAccount {
        provider: "sandbox".into(),
        username: None,
        password: None,
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (csd, pac, account) = (csd.clone(), pac.clone(), account.clone());
        tasks.push(tokio::spawn(async move {
            let mut bytes = 0_usize;
            for folio in (worker..count).step_by(workers) {
                let mut doc = build::document(&invoice(folio), &csd.certificate)?;
                build::seal(&mut doc, &csd)?;
                let stamped = pac
                    .stamp(&account, &doc.to_document())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                bytes += stamped.xml.len();
            }
            Ok::<_, anyhow::Error>(bytes)
        }));
    }
    let mut bytes = 0;
    for task in tasks {
        bytes += task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{count} invoices built, sealed and stamped in {elapsed:.2} s on {workers} workers: {:.0} invoices/s ({} bytes of CFDI per invoice)",
        count as f64 / elapsed,
        bytes / count
    );
    Ok(())
}
