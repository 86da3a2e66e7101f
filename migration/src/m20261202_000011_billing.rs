//! Billing: each business's fiscal profile with its CSD, and invoices with their items,
//! stamp and cancellation.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index, optional_reference, tenant_table};
use crate::postgres::protect_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: &[&str] = &["fiscal_profiles", "invoices", "invoice_items"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                tenant_table("fiscal_profiles")
                    .col(string("rfc"))
                    .col(string("legal_name"))
                    .col(string("tax_regime"))
                    .col(string("postal_code"))
                    .col(string("series"))
                    // The CSD: certificate in the clear, key (PKCS#8) sealed with the
                    // service's secret key.
                    .col(text_null("certificate"))
                    .col(string_null("certificate_number"))
                    .col(timestamp_with_time_zone_null("certificate_valid_from"))
                    .col(timestamp_with_time_zone_null("certificate_valid_until"))
                    .col(text_null("private_key_sealed"))
                    .col(string("pac"))
                    .col(string_null("pac_username"))
                    .col(text_null("pac_password_sealed"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "fiscal_profiles",
                "ux_fiscal_profiles_tenant",
                &["tenant_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                tenant_table("invoices")
                    .col(string("series"))
                    .col(big_integer("folio"))
                    .col(string("status"))
                    .col(uuid_null("proposal_id"))
                    .col(uuid_null("contact_id"))
                    .col(uuid_null("company_id"))
                    .col(string("receiver_rfc"))
                    .col(string("receiver_name"))
                    .col(string("receiver_regime"))
                    .col(string("receiver_postal_code"))
                    .col(string_null("receiver_email"))
                    .col(string("cfdi_use"))
                    .col(string("payment_method"))
                    .col(string("payment_form"))
                    .col(string("currency"))
                    .col(string_null("exchange_rate"))
                    .col(string("export_code"))
                    .col(big_integer("subtotal_minor"))
                    .col(big_integer("discount_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("withheld_minor"))
                    .col(big_integer("total_minor"))
                    .col(big_integer("paid_minor"))
                    .col(string_null("uuid"))
                    .col(timestamp_with_time_zone_null("issued_at"))
                    .col(timestamp_with_time_zone_null("stamped_at"))
                    .col(text_null("xml"))
                    .col(string_null("pac_error_code"))
                    .col(text_null("pac_error_message"))
                    .col(string_null("cancellation_motive"))
                    .col(string_null("substituted_by"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut optional_reference(
                        "invoices",
                        "proposal_id",
                        "proposals",
                    ))
                    .foreign_key(&mut optional_reference(
                        "invoices",
                        "contact_id",
                        "contacts",
                    ))
                    .foreign_key(&mut optional_reference(
                        "invoices",
                        "company_id",
                        "companies",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ix_invoices_created",
                &["tenant_id", "created_at", "id"][..],
                false,
            ),
            ("ix_invoices_status", &["tenant_id", "status"][..], false),
            // One invoice per accepted proposal, however often the event is redelivered.
            (
                "ux_invoices_proposal",
                &["tenant_id", "proposal_id"][..],
                true,
            ),
            (
                "ux_invoices_folio",
                &["tenant_id", "series", "folio"][..],
                true,
            ),
            ("ux_invoices_uuid", &["tenant_id", "uuid"][..], true),
        ] {
            manager
                .create_index(index("invoices", name, columns, unique))
                .await?;
        }

        manager
            .create_table(
                tenant_table("invoice_items")
                    .col(uuid("invoice_id"))
                    .col(integer("position"))
                    .col(string("product_key"))
                    .col(string("unit_key"))
                    .col(string_null("sku"))
                    .col(text("description"))
                    .col(string("quantity"))
                    .col(string("unit_price"))
                    .col(big_integer("discount_minor"))
                    .col(string("tax"))
                    .col(json_binary("withholdings"))
                    .col(big_integer("amount_minor"))
                    .col(big_integer("tax_minor"))
                    .col(big_integer("withheld_minor"))
                    .foreign_key(&mut foreign_key("invoice_items", "invoice_id", "invoices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "invoice_items",
                "ix_invoice_items_invoice",
                &["tenant_id", "invoice_id", "position"],
                false,
            ))
            .await?;

        for table in TENANT_TABLES {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["invoice_items", "invoices", "fiscal_profiles"]).await
    }
}
