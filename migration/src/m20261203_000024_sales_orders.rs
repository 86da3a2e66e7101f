//! Sales orders with their lines and payments, the stock they hold back (a confirmed order
//! reserves what it sells until it is fulfilled or cancelled), and price lists: wholesale or
//! per customer group prices that orders and tickets sell at.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "sales_order_payments",
    "sales_order_lines",
    "sales_orders",
    "price_list_items",
    "price_lists",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("stock_levels")
                    .add_column(big_integer("reserved_milli").default(0).to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                tenant_table("price_lists")
                    .col(string("name"))
                    .col(string_null("contact_tag"))
                    .col(boolean("active"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "price_lists",
                "ux_price_lists_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("price_list_items")
                    .col(uuid("price_list_id"))
                    .col(uuid("variant_id"))
                    .col(big_integer("price_minor"))
                    .foreign_key(&mut foreign_key(
                        "price_list_items",
                        "price_list_id",
                        "price_lists",
                    ))
                    .foreign_key(&mut foreign_key(
                        "price_list_items",
                        "variant_id",
                        "product_variants",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "price_list_items",
                "ux_price_list_items_variant",
                &["tenant_id", "price_list_id", "variant_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("sales_orders")
                    .col(big_integer("number"))
                    .col(string("source"))
                    .col(string("status"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("conversation_id"))
                    .col(uuid("location_id"))
                    .col(uuid_null("price_list_id"))
                    .col(string("currency"))
                    .col(big_integer("subtotal_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("paid_minor"))
                    .col(big_integer("refunded_minor"))
                    .col(json_binary_null("delivery_address"))
                    .col(text_null("notes"))
                    .col(string_null("checkout_id"))
                    .col(text_null("checkout_url"))
                    .col(big_integer_null("checkout_amount_minor"))
                    .col(uuid_null("invoice_id"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .col(timestamp_with_time_zone_null("fulfilled_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .foreign_key(&mut optional_reference(
                        "sales_orders",
                        "contact_id",
                        "contacts",
                    ))
                    .foreign_key(&mut optional_reference(
                        "sales_orders",
                        "conversation_id",
                        "conversations",
                    ))
                    .foreign_key(&mut foreign_key(
                        "sales_orders",
                        "location_id",
                        "stock_locations",
                    ))
                    .foreign_key(&mut optional_reference(
                        "sales_orders",
                        "invoice_id",
                        "invoices",
                    ))
                    .foreign_key(&mut optional_reference(
                        "sales_orders",
                        "price_list_id",
                        "price_lists",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("ux_sales_orders_number", &["tenant_id", "number"][..], true),
            (
                "ix_sales_orders_status",
                &["tenant_id", "status", "id"][..],
                false,
            ),
            (
                "ix_sales_orders_contact",
                &["tenant_id", "contact_id", "id"][..],
                false,
            ),
            (
                "ix_sales_orders_conversation",
                &["tenant_id", "conversation_id", "id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index("sales_orders", name, columns, unique))
                .await?;
        }
        manager
            .create_table(
                tenant_table("sales_order_lines")
                    .col(uuid("order_id"))
                    .col(integer("position"))
                    .col(uuid("variant_id"))
                    .col(string("description"))
                    .col(string("sku"))
                    .col(big_integer("quantity_milli"))
                    .col(string("unit"))
                    .col(big_integer("unit_price_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("order_discount_minor"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("base_minor"))
                    .col(big_integer("iva_minor"))
                    .col(big_integer("ieps_minor"))
                    .col(string("tax"))
                    .col(string_null("ieps_rate"))
                    .col(string("sat_product_key"))
                    .col(string("sat_unit_key"))
                    .col(big_integer("returned_milli"))
                    .foreign_key(&mut foreign_key(
                        "sales_order_lines",
                        "order_id",
                        "sales_orders",
                    ))
                    .foreign_key(&mut foreign_key(
                        "sales_order_lines",
                        "variant_id",
                        "product_variants",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sales_order_lines",
                "ix_sales_order_lines_order",
                &["tenant_id", "order_id", "position"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("sales_order_payments")
                    .col(uuid("order_id"))
                    .col(string("kind"))
                    .col(string("method"))
                    .col(big_integer("amount_minor"))
                    .col(string_null("reference"))
                    .col(text_null("reason"))
                    .col(uuid_null("actor_id"))
                    .foreign_key(&mut foreign_key(
                        "sales_order_payments",
                        "order_id",
                        "sales_orders",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "sales_order_payments",
                "ix_sales_order_payments_order",
                &["tenant_id", "order_id", "id"],
                false,
            ))
            .await?;
        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, TENANT_TABLES).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("stock_levels")
                    .drop_column("reserved_milli")
                    .to_owned(),
            )
            .await
    }
}
