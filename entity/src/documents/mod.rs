//! Documents: files kept in object storage, filed under a record, and who downloaded them.

pub mod file_downloads;
pub mod files;

crate::tenant_owned!(file_downloads, files);
