//! SeaORM entities: one file per table, one folder per bounded context.
//!
//! Tenant-owned entities implement [`TenantOwned`], which is what the domain's scoping
//! helper uses to add the tenant filter to every query of tenant data.

pub mod automation;
pub mod billing;
pub mod commerce;
pub mod crm;
pub mod documents;
pub mod email;
pub mod events;
pub mod iot;
pub mod jobs;
pub mod marketing;
pub mod messaging;
pub mod scheduling;
pub mod tenancy;

use sea_orm::EntityTrait;

/// An entity whose rows belong to one tenant (it has a `tenant_id` column).
pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;
}

/// Implements [`TenantOwned`] for entities whose tenant column is `tenant_id`.
macro_rules! tenant_owned {
    ($($module:ident),* $(,)?) => {
        $(
            impl $crate::TenantOwned for $module::Entity {
                fn tenant_column() -> Self::Column {
                    $module::Column::TenantId
                }
            }
        )*
    };
}
pub(crate) use tenant_owned;

/// The PostgreSQL role tenant-scoped transactions switch to; row-level security policies
/// bind it, and it has no BYPASSRLS.
pub const APP_ROLE: &str = "tianguis_app";
