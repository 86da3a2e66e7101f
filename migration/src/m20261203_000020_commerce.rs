//! Commerce: categories, products and their variants, stock locations, levels and the
//! movement ledger, registers, cash sessions and tickets with their lines and payments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "ticket_payments",
    "ticket_lines",
    "tickets",
    "cash_sessions",
    "registers",
    "stock_movements",
    "stock_levels",
    "stock_locations",
    "product_variants",
    "products",
    "product_categories",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("product_categories")
                    .col(string("name"))
                    .col(uuid_null("parent_id"))
                    .foreign_key(&mut optional_reference(
                        "product_categories",
                        "parent_id",
                        "product_categories",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "product_categories",
                "ux_product_categories_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("products")
                    .col(string("name"))
                    .col(text_null("description"))
                    .col(string("kind"))
                    .col(string("unit"))
                    .col(uuid_null("category_id"))
                    .col(string("sat_product_key"))
                    .col(string("sat_unit_key"))
                    .col(string("tax"))
                    .col(string_null("ieps_rate"))
                    .col(boolean("allow_backorder"))
                    .col(boolean("track_stock"))
                    .col(string("status"))
                    .col(json_binary("option_names"))
                    .col(text("search_text"))
                    .foreign_key(&mut optional_reference(
                        "products",
                        "category_id",
                        "product_categories",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "products",
                "ix_products_tenant_status",
                &["tenant_id", "status"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("product_variants")
                    .col(uuid("product_id"))
                    .col(string("sku"))
                    .col(string_null("barcode"))
                    .col(json_binary("option_values"))
                    .col(big_integer("price_minor"))
                    .col(string("currency"))
                    .col(big_integer("cost_minor"))
                    .col(big_integer_null("low_stock_milli"))
                    .col(boolean("active"))
                    .col(text("search_text"))
                    .foreign_key(&mut foreign_key(
                        "product_variants",
                        "product_id",
                        "products",
                    ))
                    .to_owned(),
            )
            .await?;
        // A till finds a variant by its SKU or its barcode: each names one variant.
        manager
            .create_index(index(
                "product_variants",
                "ux_product_variants_sku",
                &["tenant_id", "sku"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "product_variants",
                "ux_product_variants_barcode",
                &["tenant_id", "barcode"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "product_variants",
                "ix_product_variants_product",
                &["tenant_id", "product_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("stock_locations")
                    .col(string("name"))
                    .col(string("kind"))
                    .col(json_binary("alert_emails"))
                    .col(boolean("active"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "stock_locations",
                "ux_stock_locations_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("stock_levels")
                    .col(uuid("variant_id"))
                    .col(uuid("location_id"))
                    .col(big_integer("on_hand_milli"))
                    .foreign_key(&mut foreign_key(
                        "stock_levels",
                        "variant_id",
                        "product_variants",
                    ))
                    .foreign_key(&mut foreign_key(
                        "stock_levels",
                        "location_id",
                        "stock_locations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "stock_levels",
                "ux_stock_levels_variant_location",
                &["tenant_id", "variant_id", "location_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "stock_levels",
                "ix_stock_levels_location",
                &["tenant_id", "location_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("stock_movements")
                    .col(uuid("variant_id"))
                    .col(uuid("location_id"))
                    .col(string("kind"))
                    .col(big_integer("quantity_milli"))
                    .col(big_integer("balance_after_milli"))
                    .col(big_integer("unit_cost_minor"))
                    .col(text_null("reason"))
                    .col(uuid_null("reference_id"))
                    .col(uuid_null("actor_id"))
                    .foreign_key(&mut foreign_key(
                        "stock_movements",
                        "variant_id",
                        "product_variants",
                    ))
                    .foreign_key(&mut foreign_key(
                        "stock_movements",
                        "location_id",
                        "stock_locations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "stock_movements",
                "ix_stock_movements_variant",
                &["tenant_id", "variant_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "stock_movements",
                "ix_stock_movements_reference",
                &["tenant_id", "reference_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("registers")
                    .col(string("name"))
                    .col(uuid("location_id"))
                    .col(boolean("active"))
                    .foreign_key(&mut foreign_key(
                        "registers",
                        "location_id",
                        "stock_locations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "registers",
                "ux_registers_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("cash_sessions")
                    .col(uuid("register_id"))
                    .col(uuid("cashier_id"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(big_integer("opening_float_minor"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(json_binary_null("expected"))
                    .col(json_binary_null("counted"))
                    .col(big_integer_null("difference_minor"))
                    .col(text_null("note"))
                    .foreign_key(&mut foreign_key(
                        "cash_sessions",
                        "register_id",
                        "registers",
                    ))
                    .foreign_key(&mut foreign_key("cash_sessions", "cashier_id", "users"))
                    .to_owned(),
            )
            .await?;
        // One open session per register, whoever races to open it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_cash_sessions_open_register
                   ON cash_sessions (tenant_id, register_id) WHERE status = 'open'",
            )
            .await?;
        manager
            .create_index(index(
                "cash_sessions",
                "ix_cash_sessions_cashier",
                &["tenant_id", "cashier_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("tickets")
                    .col(uuid("session_id"))
                    .col(uuid("register_id"))
                    .col(uuid("location_id"))
                    .col(uuid("cashier_id"))
                    .col(big_integer("number"))
                    .col(string("kind"))
                    .col(uuid_null("original_ticket_id"))
                    .col(string("idempotency_key"))
                    .col(string("request_hash"))
                    .col(uuid_null("contact_id"))
                    .col(string("currency"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("change_minor"))
                    .col(string("receipt_code"))
                    .col(uuid_null("invoice_id"))
                    .col(text_null("note"))
                    .foreign_key(&mut foreign_key("tickets", "session_id", "cash_sessions"))
                    .foreign_key(&mut optional_reference("tickets", "contact_id", "contacts"))
                    .to_owned(),
            )
            .await?;
        // A retried request finds the ticket its key recorded; a race for a key has one winner.
        manager
            .create_index(index(
                "tickets",
                "ux_tickets_idempotency_key",
                &["tenant_id", "idempotency_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "tickets",
                "ux_tickets_receipt_code",
                &["tenant_id", "receipt_code"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "tickets",
                "ix_tickets_session",
                &["tenant_id", "session_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("ticket_lines")
                    .col(uuid("ticket_id"))
                    .col(integer("position"))
                    .col(uuid("variant_id"))
                    .col(string("description"))
                    .col(string("sku"))
                    .col(big_integer("quantity_milli"))
                    .col(string("unit"))
                    .col(big_integer("unit_price_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("base_minor"))
                    .col(big_integer("iva_minor"))
                    .col(big_integer("ieps_minor"))
                    .col(string("tax"))
                    .col(string_null("ieps_rate"))
                    .col(string("sat_product_key"))
                    .col(string("sat_unit_key"))
                    .col(big_integer("returned_milli"))
                    .col(uuid_null("original_line_id"))
                    .foreign_key(&mut foreign_key("ticket_lines", "ticket_id", "tickets"))
                    .foreign_key(&mut foreign_key(
                        "ticket_lines",
                        "variant_id",
                        "product_variants",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ticket_lines",
                "ix_ticket_lines_ticket",
                &["tenant_id", "ticket_id", "position"],
                false,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("ticket_payments")
                    .col(uuid("ticket_id"))
                    .col(uuid("session_id"))
                    .col(string("method"))
                    .col(big_integer("amount_minor"))
                    .col(big_integer_null("tendered_minor"))
                    .col(string_null("reference"))
                    .foreign_key(&mut foreign_key("ticket_payments", "ticket_id", "tickets"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ticket_payments",
                "ix_ticket_payments_ticket",
                &["tenant_id", "ticket_id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ticket_payments",
                "ix_ticket_payments_session",
                &["tenant_id", "session_id", "method"],
                false,
            ))
            .await?;

        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await
    }
}
