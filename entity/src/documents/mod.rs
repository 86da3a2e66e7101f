//! Documents: files kept in object storage, filed under a record, and who downloaded them.

pub mod file_downloads;
pub mod files;
pub mod pending_uploads;

crate::tenant_owned!(file_downloads, files, pending_uploads);
