//! Helpers shared by migrations.

use sea_orm_migration::prelude::*;

pub fn index(table: &str, name: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

pub fn foreign_key(from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new(from), Alias::new(column))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Drops `tables` in the order given (dependents first).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new(*table))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// A reference that is cleared, not cascaded, when the referenced row is deleted.
pub fn optional_reference(from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new(from), Alias::new(column))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// A tenant-owned table: its id, its tenant and the two timestamps every record has.
pub fn tenant_table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(sea_orm_migration::schema::pk_uuid("id"))
        .col(sea_orm_migration::schema::uuid("tenant_id"))
        .col(sea_orm_migration::schema::timestamp_with_time_zone(
            "created_at",
        ))
        .col(sea_orm_migration::schema::timestamp_with_time_zone(
            "updated_at",
        ))
        .foreign_key(&mut foreign_key(name, "tenant_id", "tenants"))
        .to_owned()
}
