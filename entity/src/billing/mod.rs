//! Billing: fiscal profiles, invoices with their items, payments and installments.

pub mod fiscal_profiles;
pub mod installments;
pub mod invoice_items;
pub mod invoices;
pub mod payments;
pub mod stripe_events;

crate::tenant_owned!(
    fiscal_profiles,
    installments,
    invoice_items,
    invoices,
    payments,
    stripe_events
);
