//! Billing: fiscal profiles, invoices and their items.

pub mod fiscal_profiles;
pub mod invoice_items;
pub mod invoices;
pub mod payments;
pub mod stripe_events;

crate::tenant_owned!(
    fiscal_profiles,
    invoice_items,
    invoices,
    payments,
    stripe_events
);
