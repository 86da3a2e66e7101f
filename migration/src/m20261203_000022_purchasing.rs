//! Suppliers, purchase orders with their lines, and payments to suppliers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dependents first, for `down`.
const TENANT_TABLES: &[&str] = &[
    "supplier_payments",
    "purchase_order_lines",
    "purchase_orders",
    "suppliers",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("suppliers")
                    .col(string("name"))
                    .col(string_null("rfc"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(string_null("contact_name"))
                    .col(integer("payment_terms_days"))
                    .col(boolean("active"))
                    .col(text("search_text"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "suppliers",
                "ux_suppliers_name",
                &["tenant_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("purchase_orders")
                    .col(uuid("supplier_id"))
                    .col(big_integer("number"))
                    .col(uuid("location_id"))
                    .col(string("status"))
                    .col(string("currency"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("received_minor"))
                    .col(date_null("expected_on"))
                    .col(text_null("notes"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(&mut foreign_key(
                        "purchase_orders",
                        "supplier_id",
                        "suppliers",
                    ))
                    .foreign_key(&mut foreign_key(
                        "purchase_orders",
                        "location_id",
                        "stock_locations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "purchase_orders",
                "ix_purchase_orders_supplier",
                &["tenant_id", "supplier_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("purchase_order_lines")
                    .col(uuid("purchase_order_id"))
                    .col(integer("position"))
                    .col(uuid("variant_id"))
                    .col(big_integer("quantity_milli"))
                    .col(big_integer("received_milli"))
                    .col(big_integer("unit_cost_minor"))
                    .foreign_key(&mut foreign_key(
                        "purchase_order_lines",
                        "purchase_order_id",
                        "purchase_orders",
                    ))
                    .foreign_key(&mut foreign_key(
                        "purchase_order_lines",
                        "variant_id",
                        "product_variants",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "purchase_order_lines",
                "ix_purchase_order_lines_order",
                &["tenant_id", "purchase_order_id", "position"],
                false,
            ))
            .await?;
        manager
            .create_table(
                tenant_table("supplier_payments")
                    .col(uuid("supplier_id"))
                    .col(uuid_null("purchase_order_id"))
                    .col(big_integer("amount_minor"))
                    .col(string("currency"))
                    .col(string("method"))
                    .col(string_null("reference"))
                    .col(date("paid_on"))
                    .col(uuid_null("actor_id"))
                    .foreign_key(&mut foreign_key(
                        "supplier_payments",
                        "supplier_id",
                        "suppliers",
                    ))
                    .foreign_key(&mut optional_reference(
                        "supplier_payments",
                        "purchase_order_id",
                        "purchase_orders",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "supplier_payments",
                "ix_supplier_payments_supplier",
                &["tenant_id", "supplier_id", "id"],
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
