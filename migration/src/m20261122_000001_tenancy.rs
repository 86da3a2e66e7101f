//! Tenancy: tenants, users, memberships, roles, invitations, API keys, sessions, audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_tables, foreign_key, index};
use crate::postgres::{ensure_app_role, protect_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tenant_id() -> ColumnDef {
    uuid("tenant_id")
}

fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

fn updated_at() -> ColumnDef {
    timestamp_with_time_zone("updated_at")
}

const TABLES: [&str; 9] = [
    "audit_logs",
    "refresh_tokens",
    "sessions",
    "api_keys",
    "invitations",
    "memberships",
    "roles",
    "users",
    "tenants",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ensure_app_role(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table("tenants")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string_uniq("slug"))
                    .col(string("plan"))
                    .col(string("status"))
                    .col(string("country"))
                    .col(string("timezone"))
                    .col(string("currency"))
                    .col(string("locale"))
                    .col(created_at())
                    .col(updated_at())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string_uniq("email"))
                    .col(string("display_name"))
                    .col(string("password_hash"))
                    .col(string("status"))
                    .col(string_null("totp_secret"))
                    .col(boolean("totp_enabled"))
                    .col(created_at())
                    .col(updated_at())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("roles")
                    .col(pk_uuid("id"))
                    .col(tenant_id())
                    .col(string("key"))
                    .col(string("name"))
                    .col(string("description"))
                    .col(json_binary("permissions"))
                    .col(boolean("is_system"))
                    .col(created_at())
                    .col(updated_at())
                    .foreign_key(&mut foreign_key("roles", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "roles",
                "ux_roles_tenant_key",
                &["tenant_id", "key"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("memberships")
                    .col(pk_uuid("id"))
                    .col(tenant_id())
                    .col(uuid("user_id"))
                    .col(uuid("role_id"))
                    .col(string("status"))
                    .col(created_at())
                    .col(updated_at())
                    .foreign_key(&mut foreign_key("memberships", "tenant_id", "tenants"))
                    .foreign_key(&mut foreign_key("memberships", "user_id", "users"))
                    .foreign_key(&mut foreign_key("memberships", "role_id", "roles"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "memberships",
                "ux_memberships_tenant_user",
                &["tenant_id", "user_id"],
                true,
            ))
            .await?;
        // Login lists a user's tenants before any tenant is chosen.
        manager
            .create_index(index(
                "memberships",
                "ix_memberships_user",
                &["user_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("invitations")
                    .col(pk_uuid("id"))
                    .col(tenant_id())
                    .col(string("email"))
                    .col(uuid("role_id"))
                    .col(string_uniq("token_hash"))
                    .col(string("status"))
                    .col(uuid("invited_by"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("invitations", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "invitations",
                "ix_invitations_tenant_status",
                &["tenant_id", "status"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(tenant_id())
                    .col(string("name"))
                    .col(string_uniq("prefix"))
                    .col(string("secret_hash"))
                    .col(json_binary("scopes"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("api_keys", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "api_keys",
                "ix_api_keys_tenant",
                &["tenant_id", "id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(tenant_id())
                    .col(string_null("ip"))
                    .col(string_null("user_agent"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_null("revoked_reason"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("sessions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sessions", "ix_sessions_user", &["user_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("session_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("refresh_tokens", "session_id", "sessions"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "refresh_tokens",
                "ix_refresh_tokens_session",
                &["session_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_logs")
                    .col(pk_uuid("id"))
                    .col(tenant_id())
                    .col(string("actor_type"))
                    .col(uuid_null("actor_id"))
                    .col(string("action"))
                    .col(string("subject_type"))
                    .col(uuid_null("subject_id"))
                    .col(string_null("ip"))
                    .col(string_null("user_agent"))
                    .col(string_null("request_id"))
                    .col(json_binary("data"))
                    .col(created_at())
                    .foreign_key(&mut foreign_key("audit_logs", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_logs",
                "ix_audit_logs_tenant_id",
                &["tenant_id", "id"],
                false,
            ))
            .await?;

        protect_table(manager, "tenants", Some("id")).await?;
        for table in [
            "roles",
            "memberships",
            "invitations",
            "api_keys",
            "audit_logs",
        ] {
            protect_table(manager, table, Some("tenant_id")).await?;
        }
        // Users and sessions are read at the edge, before a tenant is known.
        for table in ["users", "sessions", "refresh_tokens"] {
            protect_table(manager, table, None).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &TABLES).await?;
        Ok(())
    }
}
