//! Files: uploaded as a stream (hashed and counted on the way to the store), listed per
//! record, downloaded through signed links that expire, deleted into a bin and restored
//! from it, purged for good after [`RETENTION_DAYS`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::Digest;
use tianguis_entity::documents::{file_downloads, files};
use tianguis_kernel::RequestMeta;
use tianguis_kernel::plans::{self, Resource};
use tianguis_kernel::ports::ByteStream;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use file_downloads::Model as FileDownload;
pub use files::Model as File;

/// The largest file taken in one upload.
pub const MAX_BYTES: u64 = 50 * 1024 * 1024;
/// How long a download link opens the file.
pub const LINK_MINUTES: i64 = 5;
/// How long a deleted file stays in the bin.
pub const RETENTION_DAYS: i64 = 30;

tianguis_kernel::stored_enum! {
    /// The kind of record a file is filed under.
    pub enum FolderKind {
        Contact = "contact",
        Company = "company",
        Lead = "lead",
        Order = "order",
        Event = "event",
        Proposal = "proposal",
        Invoice = "invoice",
        PurchaseOrder = "purchase_order",
        PayrollPeriod = "payroll_period",
        Ticket = "ticket",
    }
}

/// Storage a plan includes, counted in whole megabytes.
pub static STORAGE: Resource = Resource {
    noun: "MB of files",
    free: 1_024,
    pro: 20 * 1_024,
    count: |tx| Box::pin(stored_mb(tx)),
};

async fn stored_mb(tx: &TenantTx) -> Result<u64> {
    let bytes: Option<i64> = tx
        .select::<files::Entity>()
        .select_only()
        // PostgreSQL sums a bigint as numeric; the cast keeps one decoding for both.
        .column_as(
            Expr::expr(Func::sum(Expr::col(files::Column::SizeBytes)))
                .cast_as(Alias::new("bigint")),
            "total",
        )
        .into_tuple::<Option<i64>>()
        .one(&**tx)
        .await?
        .flatten();
    Ok(megabytes(bytes.unwrap_or(0)))
}

pub(crate) fn megabytes(bytes: i64) -> u64 {
    u64::try_from(bytes).unwrap_or(0).div_ceil(1024 * 1024)
}

/// What can never be uploaded: programs a person could be tricked into running.
const REFUSED_EXTENSIONS: &[&str] = &[
    "exe", "msi", "bat", "cmd", "com", "scr", "ps1", "vbs", "jar", "apk", "dll", "sh",
];

/// The type a file is served with, from what the client said or else its extension.
pub(crate) fn content_type_of(name: &str, given: Option<&str>) -> String {
    let given = given.map(str::trim).filter(|t| {
        !t.is_empty()
            && t.len() <= 127
            && t.contains('/')
            && t.is_ascii()
            && !t.contains(['\r', '\n'])
    });
    if let Some(given) = given {
        return given.to_ascii_lowercase();
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// A file's name as shown and downloaded: the last part of any path a client sent, without
/// control characters.
pub(crate) fn clean_name(raw: &str) -> Result<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::invalid("file", "the file needs a name"));
    }
    if name.chars().count() > 255 {
        return Err(Error::invalid(
            "file",
            "a file name has at most 255 characters",
        ));
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if extension.is_some_and(|e| REFUSED_EXTENSIONS.contains(&e.as_str())) {
        return Err(Error::invalid(
            "file",
            "programs and scripts are not accepted",
        ));
    }
    Ok(name.to_owned())
}

/// The record a file is filed under must be the business's own.
pub(crate) async fn check_folder(tx: &TenantTx, kind: FolderKind, id: Uuid) -> Result<()> {
    use tianguis_entity::{billing, commerce, crm, scheduling};
    let found = match kind {
        FolderKind::Contact => tx
            .get::<crm::contacts::Entity>(id, "contact")
            .await
            .map(drop),
        FolderKind::Company => tx
            .get::<crm::companies::Entity>(id, "company")
            .await
            .map(drop),
        FolderKind::Lead => tx.get::<crm::leads::Entity>(id, "lead").await.map(drop),
        FolderKind::Order => tx
            .get::<commerce::sales_orders::Entity>(id, "order")
            .await
            .map(drop),
        FolderKind::Event => tx
            .get::<scheduling::events::Entity>(id, "event")
            .await
            .map(drop),
        FolderKind::Proposal => tx
            .get::<crm::proposals::Entity>(id, "proposal")
            .await
            .map(drop),
        FolderKind::Invoice => tx
            .get::<billing::invoices::Entity>(id, "invoice")
            .await
            .map(drop),
        FolderKind::PurchaseOrder => tx
            .get::<commerce::purchase_orders::Entity>(id, "purchase order")
            .await
            .map(drop),
        FolderKind::PayrollPeriod => tx
            .get::<scheduling::payroll_periods::Entity>(id, "payroll period")
            .await
            .map(drop),
        FolderKind::Ticket => tx
            .get::<commerce::tickets::Entity>(id, "ticket")
            .await
            .map(drop),
    };
    found.map_err(|_| Error::invalid("folderId", format!("no such {}", kind.key())))
}

pub(crate) fn storage_key(tenant: Uuid, file: Uuid) -> String {
    format!("{tenant}/{file}")
}

#[derive(Clone, Debug)]
pub struct NewFile {
    pub folder_kind: FolderKind,
    pub folder_id: Uuid,
    pub name: String,
    pub content_type: Option<String>,
    pub tags: Vec<String>,
}

/// Stores `body` as a new file of the record. The bytes are hashed and counted as they go
/// to the store; the record is written once they are all there, so a file is listed only
/// when it can be downloaded, and stored bytes without a record are removed.
pub async fn upload(deps: &Deps, ctx: &TenantCtx, new: NewFile, body: ByteStream) -> Result<File> {
    ctx.require(Permission::FilesUpload)?;
    let name = clean_name(&new.name)?;
    let content_type = content_type_of(&name, new.content_type.as_deref());
    let tags = tianguis_kernel::rules::tags(&new.tags, "tags")?;
    // Checked before the bytes are streamed, so a wrong folder or a full plan costs no
    // upload; checked again where the record is written.
    {
        let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
        check_folder(&tx, new.folder_kind, new.folder_id).await?;
        plans::ensure_room(&tx, &STORAGE).await?;
        tx.commit().await?;
    }
    let id = Uuid::now_v7();
    let key = storage_key(ctx.tenant_id, id);
    let seen = Arc::new(Mutex::new((sha2::Sha256::new(), 0_u64)));
    let counted = seen.clone();
    let body = body
        .map(move |chunk| {
            let chunk = chunk?;
            let mut seen = counted
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?;
            seen.0.update(&chunk);
            seen.1 += chunk.len() as u64;
            if seen.1 > MAX_BYTES {
                return Err(std::io::Error::other("the file is too large"));
            }
            Ok(chunk)
        })
        .boxed();
    let stored = deps.files.put(&key, body).await;
    let (digest, size) = {
        let seen = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        (hex::encode(seen.0.clone().finalize()), seen.1)
    };
    if size > MAX_BYTES {
        return Err(Error::invalid(
            "file",
            format!("a file has at most {} MB", MAX_BYTES / 1024 / 1024),
        ));
    }
    stored.map_err(|e| e.context("storing a file"))?;
    let record = files::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant_id),
        folder_kind: Set(new.folder_kind.key().into()),
        folder_id: Set(new.folder_id),
        name: Set(name),
        content_type: Set(content_type),
        size_bytes: Set(size as i64),
        sha256: Set(digest),
        storage_key: Set(key.clone()),
        tags: Set(serde_json::json!(tags)),
        uploaded_by: Set(ctx.actor_user()),
        deleted_at: Set(None),
        ..Default::default()
    };
    let recorded = record_upload(
        deps,
        ctx,
        new.folder_kind,
        new.folder_id,
        size,
        record,
        None,
    )
    .await;
    if recorded.is_err() {
        // The bytes are of no use without their record.
        if let Err(e) = deps.files.delete(&key).await {
            tracing::warn!(error = %e, key, "removing the bytes of a file not recorded");
        }
    }
    recorded
}

/// A document a record produces: an invoice's printed copy, a proposal, a receipt.
pub struct Generated {
    pub folder_kind: FolderKind,
    pub folder_id: Uuid,
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Keeps a generated document among its record's files, in the caller's transaction, and
/// hands back its record. The same bytes under the same name are kept once: documents are
/// rendered deterministically, so asking again for an unchanged one returns the file kept
/// before. A business's own legal documents are kept even over its storage quota, which
/// counts them all the same.
pub async fn keep_generated(deps: &Deps, tx: &mut TenantTx, document: &Generated) -> Result<File> {
    let digest = hex::encode(sha2::Sha256::digest(&document.bytes));
    let kept = tx
        .select::<files::Entity>()
        .filter(files::Column::FolderKind.eq(document.folder_kind.key()))
        .filter(files::Column::FolderId.eq(document.folder_id))
        .filter(files::Column::Name.eq(&document.name))
        .filter(files::Column::Sha256.eq(&digest))
        .filter(files::Column::DeletedAt.is_null())
        .one(&**tx)
        .await?;
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let id = Uuid::now_v7();
    let key = storage_key(tx.tenant_id(), id);
    let size = document.bytes.len() as i64;
    let bytes = bytes::Bytes::copy_from_slice(&document.bytes);
    let body = futures_util::stream::once(async move { Ok(bytes) });
    deps.files
        .put(&key, body.boxed())
        .await
        .map_err(|e| e.context("storing a generated document"))?;
    let file = tx
        .insert(files::ActiveModel {
            id: Set(id),
            tenant_id: Set(tx.tenant_id()),
            folder_kind: Set(document.folder_kind.key().into()),
            folder_id: Set(document.folder_id),
            name: Set(document.name.clone()),
            content_type: Set(document.content_type.into()),
            size_bytes: Set(size),
            sha256: Set(digest),
            storage_key: Set(key),
            tags: Set(serde_json::json!(["generated"])),
            uploaded_by: Set(None),
            deleted_at: Set(None),
            ..Default::default()
        })
        .await?;
    Ok(file)
}

/// Writes the record of stored bytes, once the folder and the plan still allow it, and
/// for a direct upload removes its declaration.
pub(crate) async fn record_upload(
    deps: &Deps,
    ctx: &TenantCtx,
    folder_kind: FolderKind,
    folder_id: Uuid,
    size: u64,
    file: files::ActiveModel,
    confirming: Option<Uuid>,
) -> Result<File> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    check_folder(&tx, folder_kind, folder_id).await?;
    plans::ensure_room_for(&tx, &STORAGE, megabytes(size as i64)).await?;
    if let Some(pending) = confirming {
        // The declaration goes with the record, so an upload is confirmed once.
        let gone = tianguis_entity::documents::pending_uploads::Entity::delete_many()
            .filter(tianguis_entity::documents::pending_uploads::Column::TenantId.eq(ctx.tenant_id))
            .filter(tianguis_entity::documents::pending_uploads::Column::Id.eq(pending))
            .exec(&*tx)
            .await?
            .rows_affected;
        if gone == 0 {
            return Err(Error::conflict("id", "the upload was just confirmed"));
        }
    }
    let file = tx.insert(file).await?;
    record(&mut tx, ctx, "documents.file.uploaded", &file).await?;
    tx.commit().await?;
    Ok(file)
}

async fn record(tx: &mut TenantTx, ctx: &TenantCtx, action: &str, file: &File) -> Result<()> {
    audit::record(
        tx,
        ctx,
        action,
        ("file", Some(file.id)),
        serde_json::json!({
            "name": file.name,
            "folderKind": file.folder_kind,
            "folderId": file.folder_id,
            "sizeBytes": file.size_bytes,
            "sha256": file.sha256,
        }),
    )
    .await
}

fn require_read(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::FilesDownload)
        .or_else(|_| ctx.require(Permission::FilesUpload))
}

/// The record's files, newest first; `deleted` lists its bin instead.
pub async fn list(
    deps: &Deps,
    ctx: &TenantCtx,
    folder_kind: FolderKind,
    folder_id: Uuid,
    deleted: bool,
) -> Result<Vec<File>> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let in_bin = if deleted {
        files::Column::DeletedAt.is_not_null()
    } else {
        files::Column::DeletedAt.is_null()
    };
    let found = tx
        .select::<files::Entity>()
        .filter(files::Column::FolderKind.eq(folder_kind.key()))
        .filter(files::Column::FolderId.eq(folder_id))
        .filter(in_bin)
        .order_by_desc(files::Column::Id)
        .limit(500)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<File> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let file = tx.get::<files::Entity>(id, "file").await?;
    tx.commit().await?;
    Ok(file)
}

/// A new name, new tags, or both; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct FileChange {
    pub name: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Renames or retags a file; the extension a file was uploaded with may change only to
/// another accepted one, as for an upload.
pub async fn update(deps: &Deps, ctx: &TenantCtx, id: Uuid, change: FileChange) -> Result<File> {
    ctx.require(Permission::FilesUpload)?;
    let name = change.name.as_deref().map(clean_name).transpose()?;
    let tags = change
        .tags
        .as_deref()
        .map(|t| tianguis_kernel::rules::tags(t, "tags"))
        .transpose()?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let file = tx.get::<files::Entity>(id, "file").await?;
    if file.deleted_at.is_some() {
        return Err(Error::conflict("id", "the file is in the bin"));
    }
    let mut model: files::ActiveModel = file.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(tags) = tags {
        model.tags = Set(serde_json::json!(tags));
    }
    let file = tx.update(model).await?;
    record(&mut tx, ctx, "documents.file.updated", &file).await?;
    tx.commit().await?;
    Ok(file)
}

/// Into the bin: no longer listed or downloadable, restorable for [`RETENTION_DAYS`].
pub async fn delete(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<File> {
    set_deleted(deps, ctx, id, true).await
}

pub async fn restore(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<File> {
    set_deleted(deps, ctx, id, false).await
}

async fn set_deleted(deps: &Deps, ctx: &TenantCtx, id: Uuid, deleted: bool) -> Result<File> {
    ctx.require(Permission::FilesUpload)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let file = tx.get::<files::Entity>(id, "file").await?;
    if file.deleted_at.is_some() == deleted {
        return Err(Error::conflict(
            "id",
            if deleted {
                "the file is already in the bin"
            } else {
                "the file is not in the bin"
            },
        ));
    }
    let mut model: files::ActiveModel = file.into();
    model.deleted_at = Set(deleted.then(|| tx.now()));
    let file = tx.update(model).await?;
    let action = if deleted {
        "documents.file.deleted"
    } else {
        "documents.file.restored"
    };
    record(&mut tx, ctx, action, &file).await?;
    tx.commit().await?;
    Ok(file)
}

/// A link that downloads the file for [`LINK_MINUTES`], for the caller only to use.
#[derive(Clone, Debug)]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn link_message(tenant: Uuid, file: Uuid, user: Option<Uuid>, expires: i64) -> String {
    let user = user.map_or_else(|| "-".to_owned(), |u| u.to_string());
    format!("{tenant}.{file}.{user}.{expires}")
}

pub async fn download_link(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<DownloadLink> {
    ctx.require(Permission::FilesDownload)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let file = tx.get::<files::Entity>(id, "file").await?;
    tx.commit().await?;
    if file.deleted_at.is_some() {
        return Err(Error::conflict("id", "the file is in the bin"));
    }
    Ok(link_to(deps, ctx, &file))
}

/// A document a record printed, with a link that downloads it now.
#[derive(Clone, Debug)]
pub struct Printed {
    pub file: File,
    pub link: DownloadLink,
}

/// A printed document handed to a caller its record's rules admitted: whoever may read the
/// record may read its printed copy (a person's own pay statement, an invoice's PDF), so
/// the link is issued without asking for `files.download`.
pub fn printed(deps: &Deps, ctx: &TenantCtx, file: File) -> Printed {
    let link = link_to(deps, ctx, &file);
    Printed { file, link }
}

fn link_to(deps: &Deps, ctx: &TenantCtx, file: &File) -> DownloadLink {
    let expires_at = deps.clock.now() + TimeDelta::minutes(LINK_MINUTES);
    let message = link_message(
        ctx.tenant_id,
        file.id,
        ctx.actor_user(),
        expires_at.timestamp(),
    );
    let signature = deps.secrets.sign(message.as_bytes());
    DownloadLink {
        url: format!(
            "{}/archivos/{message}.{signature}",
            deps.mail.public_url.trim_end_matches('/')
        ),
        expires_at,
    }
}

/// Why a download link does not open its file.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a link this service signed (or not for this file).
    Invalid,
    Expired,
    /// The file was deleted since.
    Gone,
}

/// The file a signed link opens, with its bytes; the download is logged first, with who
/// asked for the link and where it is opened from.
pub async fn open_link(
    deps: &Deps,
    token: &str,
    meta: &RequestMeta,
) -> Result<std::result::Result<(File, ByteStream), Refused>> {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return Ok(Err(Refused::Invalid));
    };
    if !deps.secrets.verify(message.as_bytes(), signature) {
        return Ok(Err(Refused::Invalid));
    }
    let parts: Vec<&str> = message.split('.').collect();
    let [tenant, file, user, expires] = parts[..] else {
        return Ok(Err(Refused::Invalid));
    };
    let (Ok(tenant), Ok(file), Ok(expires)) = (
        tenant.parse::<Uuid>(),
        file.parse::<Uuid>(),
        expires.parse::<i64>(),
    ) else {
        return Ok(Err(Refused::Invalid));
    };
    if deps.clock.now().timestamp() > expires {
        return Ok(Err(Refused::Expired));
    }
    let tx = TenantTx::begin(deps, tenant).await?;
    let Ok(found) = tx.get::<files::Entity>(file, "file").await else {
        return Ok(Err(Refused::Gone));
    };
    if found.deleted_at.is_some() {
        return Ok(Err(Refused::Gone));
    }
    let clip = |v: &Option<String>, max: usize| v.as_ref().map(|s| s.chars().take(max).collect());
    tx.insert(file_downloads::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant),
        file_id: Set(found.id),
        user_id: Set(user.parse().ok()),
        ip: Set(clip(&meta.ip, 64)),
        user_agent: Set(clip(&meta.user_agent, 300)),
        ..Default::default()
    })
    .await?;
    tx.commit().await?;
    match deps.files.get(&found.storage_key).await? {
        Some(bytes) => Ok(Ok((found, bytes))),
        None => Err(Error::Unexpected(anyhow::anyhow!(
            "the bytes of file {} are missing from the store",
            found.id
        ))),
    }
}

/// Who downloaded the file, newest first: for whoever uploaded it and for those who read
/// the audit log.
pub async fn downloads(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Vec<FileDownload>> {
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let file = tx.get::<files::Entity>(id, "file").await?;
    let uploader = file.uploaded_by.is_some() && file.uploaded_by == ctx.actor_user();
    if !uploader {
        ctx.require(Permission::AuditRead)?;
    }
    let found = tx
        .select::<file_downloads::Entity>()
        .filter(file_downloads::Column::FileId.eq(id))
        .order_by_desc(file_downloads::Column::Id)
        .limit(500)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// Empties the bin of files deleted more than [`RETENTION_DAYS`] ago, in every business: the
/// bytes first, then the record, so a failure leaves the file to try again.
pub async fn purge_deleted(deps: &Deps) -> Result<usize> {
    let before = deps.clock.now() - TimeDelta::days(RETENTION_DAYS);
    let due = files::Entity::find()
        .filter(files::Column::DeletedAt.lt(before))
        .order_by_asc(files::Column::DeletedAt)
        .limit(200)
        .all(&deps.db)
        .await?;
    let mut purged = 0;
    for file in due {
        // The record goes first: bytes left behind by a failure are harmless, a record
        // without its bytes is not.
        let mut tx = TenantTx::begin(deps, file.tenant_id).await?;
        let gone = files::Entity::delete_many()
            .filter(files::Column::TenantId.eq(file.tenant_id))
            .filter(files::Column::Id.eq(file.id))
            .filter(files::Column::DeletedAt.lt(before))
            .exec(&*tx)
            .await?
            .rows_affected;
        if gone == 0 {
            continue;
        }
        let ctx = TenantCtx::system(file.tenant_id);
        record(&mut tx, &ctx, "documents.file.purged", &file).await?;
        tx.commit().await?;
        if let Err(e) = deps.files.delete(&file.storage_key).await {
            tracing::warn!(error = %e, key = file.storage_key, "removing a purged file's bytes");
        }
        purged += 1;
    }
    Ok(purged)
}
