//! Commerce: the catalog, stock and its ledger, registers, cash sessions and tickets.

pub mod cash_sessions;
pub mod prepaid_cards;
pub mod prepaid_entries;
pub mod product_categories;
pub mod product_variants;
pub mod products;
pub mod registers;
pub mod stock_levels;
pub mod stock_locations;
pub mod stock_movements;
pub mod ticket_lines;
pub mod ticket_payments;
pub mod tickets;

crate::tenant_owned!(
    cash_sessions,
    prepaid_cards,
    prepaid_entries,
    product_categories,
    product_variants,
    products,
    registers,
    stock_levels,
    stock_locations,
    stock_movements,
    ticket_lines,
    ticket_payments,
    tickets
);
