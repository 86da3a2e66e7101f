//! Commerce: the catalog, stock and its ledger, registers, cash sessions and tickets.

pub mod cash_sessions;
pub mod prepaid_cards;
pub mod prepaid_entries;
pub mod price_list_items;
pub mod price_lists;
pub mod product_categories;
pub mod product_variants;
pub mod products;
pub mod purchase_order_lines;
pub mod purchase_orders;
pub mod registers;
pub mod sales_order_lines;
pub mod sales_order_payments;
pub mod sales_orders;
pub mod stock_count_lines;
pub mod stock_counts;
pub mod stock_levels;
pub mod stock_locations;
pub mod stock_movements;
pub mod supplier_payments;
pub mod suppliers;
pub mod ticket_lines;
pub mod ticket_payments;
pub mod tickets;

crate::tenant_owned!(
    cash_sessions,
    prepaid_cards,
    prepaid_entries,
    price_list_items,
    price_lists,
    product_categories,
    product_variants,
    products,
    purchase_order_lines,
    purchase_orders,
    registers,
    sales_order_lines,
    sales_order_payments,
    sales_orders,
    stock_count_lines,
    stock_counts,
    stock_levels,
    stock_locations,
    stock_movements,
    supplier_payments,
    suppliers,
    ticket_lines,
    ticket_payments,
    tickets
);
