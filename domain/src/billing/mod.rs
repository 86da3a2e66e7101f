//! Billing: fiscal profiles and CSDs, invoices as CFDI 4.0 stamped through a PAC.

pub mod catalogs;
pub mod cfdi;
pub mod csd;
