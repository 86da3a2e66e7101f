//! CFDI 4.0 documents: built from an invoice, sealed with the issuer's CSD, read back.

pub mod build;
pub mod cadena;
pub mod xml;

pub use build::{Invoice, Line, Party, Totals};
pub use xml::Element;

#[cfg(test)]
mod golden;
