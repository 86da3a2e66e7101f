//! PostgreSQL row-level security: the second wall behind the domain's tenant scoping.
//!
//! Tenant tables get a policy that admits only rows of the tenant named by the
//! transaction-local setting `app.tenant_id`. The policies bind the role [`APP_ROLE`], which
//! has no BYPASSRLS; every tenant-scoped transaction switches to it, so a query that forgot
//! its tenant filter, or ran before the tenant was set, sees nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub use tianguis_entity::APP_ROLE;

/// Creates [`APP_ROLE`] if the cluster lacks it and lets the connecting role switch to it.
pub async fn ensure_app_role(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        // Roles are cluster-wide, so databases migrating at once race for them: each step
        // runs only when needed and tolerates losing the race.
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
             BEGIN
               CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END;
           END IF;
           IF NOT pg_has_role(CURRENT_USER, '{APP_ROLE}', 'MEMBER') THEN
             BEGIN
               EXECUTE 'GRANT {APP_ROLE} TO ' || quote_ident(CURRENT_USER);
             EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
             END;
           END IF;
         END $$;
         GRANT USAGE ON SCHEMA public TO {APP_ROLE};"
    ))
    .await?;
    Ok(())
}

/// Grants the app role access to `table` and, when `tenant_column` is given, turns on
/// row-level security keyed by it.
pub async fn protect_table(
    manager: &SchemaManager<'_>,
    table: &str,
    tenant_column: Option<&str>,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE};"
    ))
    .await?;
    if let Some(column) = tenant_column {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON {table} TO {APP_ROLE}
               USING ({column} = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
               WITH CHECK ({column} = NULLIF(current_setting('app.tenant_id', true), '')::uuid);"
        ))
        .await?;
    }
    Ok(())
}
