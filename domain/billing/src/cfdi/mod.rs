//! CFDI 4.0 documents: built from an invoice, sealed with the issuer's CSD, read back.

pub mod build;
pub mod cadena;
pub mod pagos;
pub mod printable;
pub mod xml;

pub use build::{GlobalPeriod, Invoice, Line, Party, Totals};
pub use xml::Element;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

/// The local time at a Mexican postal code: CFDI dates carry no zone and a PAC refuses one
/// in the future. Mexico has kept standard time all year since 2022; where a state spans
/// zones, the western one is taken, so a date is never ahead of the place's clock.
pub fn local_time(postal_code: &str, at: DateTime<Utc>) -> NaiveDateTime {
    let hours = match postal_code.get(..2) {
        Some("21" | "22") => -8,
        Some("23" | "63" | "80" | "81" | "82" | "83" | "84" | "85") => -7,
        Some("77") => -5,
        _ => -6,
    };
    let offset = FixedOffset::east_opt(hours * 3600).expect("an offset within a day");
    at.with_timezone(&offset).naive_local()
}

#[cfg(test)]
mod golden;
