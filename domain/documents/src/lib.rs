//! Documents: files filed under a contact, company, lead, order or event, with their bytes
//! in object storage; uploads, short-lived signed download links with a log of every
//! download, and a bin emptied after a retention period.

pub mod files;
pub mod pdf;
pub mod uploads;

use tianguis_kernel::{Deps, Error, Permission, Result, TenantCtx, audit, db};

/// The sweep that empties the bin.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.sweep("documents.purge", |deps| async move {
        files::purge_deleted(&deps).await
    });
    registry.sweep("documents.abandoned_uploads", |deps| async move {
        uploads::discard_abandoned(&deps).await
    });
}
