//! Direct uploads, for files too large to send through a GraphQL request: the client
//! declares the file (name, size, SHA-256) and gets an address to PUT its bytes to (the
//! bucket itself on S3, so the bytes never pass through the server; the server's own
//! address for a local folder), then confirms. The file is recorded only when the stored
//! bytes have the declared size and hash; bytes never confirmed are removed once the
//! address expires.

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::Digest;
use tianguis_entity::documents::{files, pending_uploads};
use tianguis_kernel::plans;
use tianguis_kernel::ports::ByteStream;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::files::{
    File, FolderKind, STORAGE, check_folder, clean_name, content_type_of, megabytes, record_upload,
    storage_key,
};
use crate::{Deps, Error, Permission, Result, TenantCtx};

/// The largest file a direct upload takes: S3's limit for one PUT.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// How long the upload address works; the upload is confirmed within twice that.
pub const ADDRESS_MINUTES: i64 = 30;

#[derive(Clone, Debug)]
pub struct NewDirectUpload {
    pub folder_kind: FolderKind,
    pub folder_id: Uuid,
    pub name: String,
    pub content_type: Option<String>,
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes the client will send.
    pub sha256: String,
    pub tags: Vec<String>,
}

/// Where to send the bytes: PUT the file's bytes as they are to `url` before `expires_at`,
/// then confirm `id`.
#[derive(Clone, Debug)]
pub struct DirectUpload {
    pub id: Uuid,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

fn hex_digest(raw: &str) -> Result<String> {
    let digest = raw.trim().to_ascii_lowercase();
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "sha256",
            "the file's SHA-256 as 64 hexadecimal digits",
        ));
    }
    Ok(digest)
}

/// Declares a direct upload and hands out the address its bytes go to.
pub async fn request(deps: &Deps, ctx: &TenantCtx, new: NewDirectUpload) -> Result<DirectUpload> {
    ctx.require(Permission::FilesUpload)?;
    let name = clean_name(&new.name)?;
    let content_type = content_type_of(&name, new.content_type.as_deref());
    let tags = tianguis_kernel::rules::tags(&new.tags, "tags")?;
    let sha256 = hex_digest(&new.sha256)?;
    if new.size_bytes == 0 || new.size_bytes > MAX_BYTES {
        return Err(Error::invalid(
            "sizeBytes",
            format!(
                "a direct upload has 1 byte to {} GB",
                MAX_BYTES / 1024 / 1024 / 1024
            ),
        ));
    }
    let id = Uuid::now_v7();
    let key = storage_key(ctx.tenant_id, id);
    let expires_at = deps.clock.now() + TimeDelta::minutes(ADDRESS_MINUTES);
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    check_folder(&tx, new.folder_kind, new.folder_id).await?;
    plans::ensure_room_for(&tx, &STORAGE, megabytes(new.size_bytes as i64)).await?;
    tx.insert(pending_uploads::ActiveModel {
        id: Set(id),
        tenant_id: Set(ctx.tenant_id),
        folder_kind: Set(new.folder_kind.key().into()),
        folder_id: Set(new.folder_id),
        name: Set(name),
        content_type: Set(content_type),
        size_bytes: Set(new.size_bytes as i64),
        sha256: Set(sha256),
        storage_key: Set(key.clone()),
        tags: Set(serde_json::json!(tags)),
        uploaded_by: Set(ctx.actor_user()),
        expires_at: Set(expires_at),
        ..Default::default()
    })
    .await?;
    let valid_for = std::time::Duration::from_secs(ADDRESS_MINUTES as u64 * 60);
    let url = match deps.files.upload_url(&key, valid_for).await? {
        Some(url) => url,
        None => {
            let message = format!("{}.{id}", ctx.tenant_id);
            format!(
                "{}/archivos/subidas/{message}.{}",
                deps.mail.public_url.trim_end_matches('/'),
                deps.secrets.sign(message.as_bytes())
            )
        }
    };
    tx.commit().await?;
    Ok(DirectUpload {
        id,
        url,
        expires_at,
    })
}

/// The server's own upload address, for a store that hands out none: the bytes go to the
/// store as they arrive, never more than were declared. `Ok(false)` for an address that is
/// not one, or no longer works.
pub async fn receive(deps: &Deps, token: &str, body: ByteStream) -> Result<bool> {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return Ok(false);
    };
    if !deps.secrets.verify(message.as_bytes(), signature) {
        return Ok(false);
    }
    let Some((Ok(tenant), Ok(id))) = message
        .split_once('.')
        .map(|(t, i)| (t.parse::<Uuid>(), i.parse::<Uuid>()))
    else {
        return Ok(false);
    };
    let tx = TenantTx::begin(deps, tenant).await?;
    let pending = tx
        .select::<pending_uploads::Entity>()
        .filter(pending_uploads::Column::Id.eq(id))
        .one(&*tx)
        .await?;
    tx.commit().await?;
    let Some(pending) = pending.filter(|p| p.expires_at > deps.clock.now()) else {
        return Ok(false);
    };
    let limit = pending.size_bytes as u64;
    let overflowed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = overflowed.clone();
    let mut seen = 0_u64;
    let body = body
        .map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > limit {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(std::io::Error::other("more bytes than were declared"));
            }
            Ok(chunk)
        })
        .boxed();
    let stored = deps.files.put(&pending.storage_key, body).await;
    // Only the client's own excess is its error; a store that fails is ours.
    if overflowed.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::invalid("body", "more bytes than were declared"));
    }
    stored.map_err(|e| e.context("storing an upload"))?;
    Ok(true)
}

/// Records the uploaded file once its stored bytes have the declared size and SHA-256;
/// bytes that do not are removed, and the upload must start over. Confirming twice
/// returns the file recorded the first time.
pub async fn confirm(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<File> {
    ctx.require(Permission::FilesUpload)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(file) = tx
        .select::<files::Entity>()
        .filter(files::Column::Id.eq(id))
        .one(&*tx)
        .await?
    {
        return Ok(file);
    }
    let pending = tx
        .get::<pending_uploads::Entity>(id, "upload")
        .await
        .map_err(|_| Error::invalid("id", "no such upload"))?;
    tx.commit().await?;
    if pending.expires_at + TimeDelta::minutes(ADDRESS_MINUTES) < deps.clock.now() {
        return Err(Error::invalid(
            "id",
            "the upload expired: ask for a new one",
        ));
    }
    let Some(mut stored) = deps.files.get(&pending.storage_key).await? else {
        return Err(Error::invalid("id", "no bytes were uploaded yet"));
    };
    let (mut hash, mut size) = (sha2::Sha256::new(), 0_u64);
    while let Some(chunk) = stored.next().await {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("reading an upload back: {e}"))?;
        hash.update(&chunk);
        size += chunk.len() as u64;
    }
    let digest = hex::encode(hash.finalize());
    if size != pending.size_bytes as u64 || digest != pending.sha256 {
        discard(deps, &pending).await?;
        return Err(Error::invalid(
            "sha256",
            "the uploaded bytes are not the file declared (size or SHA-256 differ); upload it again",
        ));
    }
    let folder_kind = FolderKind::from_stored(&pending.folder_kind)?;
    let file = files::ActiveModel {
        id: Set(pending.id),
        tenant_id: Set(ctx.tenant_id),
        folder_kind: Set(pending.folder_kind.clone()),
        folder_id: Set(pending.folder_id),
        name: Set(pending.name.clone()),
        content_type: Set(pending.content_type.clone()),
        size_bytes: Set(pending.size_bytes),
        sha256: Set(digest),
        storage_key: Set(pending.storage_key.clone()),
        tags: Set(pending.tags.clone()),
        uploaded_by: Set(pending.uploaded_by),
        deleted_at: Set(None),
        ..Default::default()
    };
    let recorded = record_upload(
        deps,
        ctx,
        folder_kind,
        pending.folder_id,
        size,
        file,
        Some(pending.id),
    )
    .await;
    if recorded.is_err() {
        discard(deps, &pending).await?;
    }
    recorded
}

/// Removes an upload's bytes and its declaration.
async fn discard(deps: &Deps, pending: &pending_uploads::Model) -> Result<()> {
    deps.files.delete(&pending.storage_key).await?;
    let tx = TenantTx::begin(deps, pending.tenant_id).await?;
    pending_uploads::Entity::delete_many()
        .filter(pending_uploads::Column::TenantId.eq(pending.tenant_id))
        .filter(pending_uploads::Column::Id.eq(pending.id))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes uploads never confirmed once they can no longer be.
pub async fn discard_abandoned(deps: &Deps) -> Result<usize> {
    let before = deps.clock.now() - TimeDelta::minutes(ADDRESS_MINUTES);
    let due = pending_uploads::Entity::find()
        .filter(pending_uploads::Column::ExpiresAt.lt(before))
        .order_by_asc(pending_uploads::Column::ExpiresAt)
        .limit(200)
        .all(&deps.db)
        .await?;
    for pending in &due {
        discard(deps, pending).await?;
    }
    Ok(due.len())
}
