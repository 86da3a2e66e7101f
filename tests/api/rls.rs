//! PostgreSQL row-level security: the second wall behind the tenant filter.

use crate::helpers::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

async fn count_roles(tx: &sea_orm::DatabaseTransaction) -> i64 {
    let row = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM roles",
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<i64>("", "n").expect("count")
}

/// A query run as the application role sees no tenant rows until the transaction names its
/// tenant, and then only that tenant's. (SQLite has no row-level security; there the tenant
/// filter of the scoping helper is the only wall, and this test has nothing to check.)
#[tokio::test]
async fn without_the_tenant_set_a_query_sees_no_rows() {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        eprintln!("row-level security is PostgreSQL-only; skipped on SQLite");
        return;
    }
    let a = app.sign_up().await;
    app.sign_up().await;
    let db = &app.state.deps.db;

    let tx = db.begin().await.expect("begin");
    tx.execute_unprepared("SET LOCAL ROLE tianguis_app")
        .await
        .expect("role");
    assert_eq!(count_roles(&tx).await, 0, "no tenant set: nothing visible");
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.tenant_id', $1, true)",
        [a.tenant_id.clone().into()],
    ))
    .await
    .expect("set tenant");
    let system_roles = tianguis_domain::tenancy::policy::system_roles().len() as i64;
    assert_eq!(
        count_roles(&tx).await,
        system_roles,
        "exactly tenant A's system roles"
    );
    let foreign = tx
        .execute_unprepared(
            "INSERT INTO roles (id, tenant_id, key, name, description, permissions, is_system, created_at, updated_at)
             VALUES (gen_random_uuid(), gen_random_uuid(), 'x', 'x', '', '[]', false, now(), now())",
        )
        .await;
    assert!(
        foreign.is_err(),
        "a row for another tenant cannot be written"
    );
    tx.rollback().await.expect("rollback");
}
