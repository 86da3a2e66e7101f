//! GraphQL of files: uploads (the GraphQL multipart request spec), a record's files and
//! its bin, download links, and who downloaded what.

use async_graphql::{Context, Enum, ID, InputObject, Object, Upload};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tianguis_domain::documents::{files, uploads};
use tianguis_domain::ports::ByteStream;

use crate::graphql::common::user;
use crate::graphql::context::{deps, tenant};
use crate::graphql::error::{GqlResult, parse_id};
use crate::graphql::tenancy::User;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "files::FolderKind")]
pub enum FolderKind {
    Contact,
    Company,
    Lead,
    Order,
    Event,
    Proposal,
    Invoice,
    PurchaseOrder,
    PayrollPeriod,
    Ticket,
}

pub struct File(pub files::File);

#[Object]
impl File {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn folder_kind(&self) -> async_graphql::Result<FolderKind> {
        Ok(files::FolderKind::from_stored(&self.0.folder_kind)
            .gql()?
            .into())
    }
    async fn folder_id(&self) -> ID {
        self.0.folder_id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// Hex SHA-256 of the bytes, to check a download against.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn uploaded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.uploaded_by).await
    }
    /// When it went into the bin; it is purged for good 30 days later.
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct FileDownload(files::FileDownload);

#[Object]
impl FileDownload {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Who asked for the link it was opened with.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.user_id).await
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    async fn downloaded_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct DownloadLink(pub files::DownloadLink);

/// A document a record printed, and a link that downloads it now.
pub struct PrintedFile(pub files::Printed);

#[Object]
impl PrintedFile {
    async fn file(&self) -> File {
        File(self.0.file.clone())
    }
    async fn download(&self) -> DownloadLink {
        DownloadLink(self.0.link.clone())
    }
}

#[Object]
impl DownloadLink {
    /// Opens the file for a few minutes; every opening is logged.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

#[derive(Default)]
pub struct DocumentsQuery;

#[Object]
impl DocumentsQuery {
    /// A record's files, newest first; `deleted: true` lists its bin.
    async fn files(
        &self,
        ctx: &Context<'_>,
        folder_kind: FolderKind,
        folder_id: ID,
        #[graphql(default = false)] deleted: bool,
    ) -> async_graphql::Result<Vec<File>> {
        let folder = parse_id(&folder_id, "folderId")?;
        Ok(files::list(
            deps(ctx)?,
            tenant(ctx)?,
            folder_kind.into(),
            folder,
            deleted,
        )
        .await
        .gql()?
        .into_iter()
        .map(File)
        .collect())
    }

    async fn file(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<File> {
        let id = parse_id(&id, "id")?;
        Ok(File(files::get(deps(ctx)?, tenant(ctx)?, id).await.gql()?))
    }

    /// Who downloaded the file: for its uploader and for those who read the audit log.
    async fn file_downloads(
        &self,
        ctx: &Context<'_>,
        file_id: ID,
    ) -> async_graphql::Result<Vec<FileDownload>> {
        let id = parse_id(&file_id, "fileId")?;
        Ok(files::downloads(deps(ctx)?, tenant(ctx)?, id)
            .await
            .gql()?
            .into_iter()
            .map(FileDownload)
            .collect())
    }
}

#[derive(InputObject)]
pub struct UploadFileInput {
    pub folder_kind: FolderKind,
    pub folder_id: ID,
    /// Sent as a part of a multipart request (the GraphQL multipart request spec).
    pub file: Upload,
    #[graphql(default)]
    pub tags: Vec<String>,
}

#[derive(InputObject)]
pub struct RequestUploadInput {
    pub folder_kind: FolderKind,
    pub folder_id: ID,
    pub name: String,
    pub content_type: Option<String>,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes that will be sent.
    pub sha256: String,
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// Where a direct upload's bytes go.
pub struct DirectUpload(uploads::DirectUpload);

#[Object]
impl DirectUpload {
    /// Confirm this with `confirmUpload` once the bytes are sent.
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// PUT the file's bytes here, as they are, with no other header needed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

#[derive(InputObject)]
pub struct UpdateFileInput {
    pub id: ID,
    pub name: Option<String>,
    /// Replaces the file's tags.
    pub tags: Option<Vec<String>>,
}

/// An uploaded part, read from the temporary file it was received into, in chunks.
fn chunks(file: std::fs::File) -> ByteStream {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::from_std(file);
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = bytes::BytesMut::with_capacity(64 * 1024);
        match file.read_buf(&mut buffer).await {
            Ok(0) => None,
            Ok(_) => Some((Ok(buffer.freeze()), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

#[derive(Default)]
pub struct DocumentsMutation;

#[Object]
impl DocumentsMutation {
    /// Files a new file under a record.
    async fn upload_file(
        &self,
        ctx: &Context<'_>,
        input: UploadFileInput,
    ) -> async_graphql::Result<File> {
        let folder = parse_id(&input.folder_id, "folderId")?;
        let upload = input.file.value(ctx)?;
        let new = files::NewFile {
            folder_kind: input.folder_kind.into(),
            folder_id: folder,
            name: upload.filename.clone(),
            content_type: upload.content_type.clone(),
            tags: input.tags,
        };
        Ok(File(
            files::upload(deps(ctx)?, tenant(ctx)?, new, chunks(upload.content))
                .await
                .gql()?,
        ))
    }

    /// A link that downloads the file for a few minutes.
    async fn file_download_url(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DownloadLink> {
        let id = parse_id(&id, "id")?;
        Ok(DownloadLink(
            files::download_link(deps(ctx)?, tenant(ctx)?, id)
                .await
                .gql()?,
        ))
    }

    /// Declares a large file and returns where to PUT its bytes (the bucket itself on S3);
    /// `confirmUpload` then records it once the bytes match the declared size and SHA-256.
    async fn request_upload(
        &self,
        ctx: &Context<'_>,
        input: RequestUploadInput,
    ) -> async_graphql::Result<DirectUpload> {
        // A negative size reads as zero, which the domain refuses naming sizeBytes.
        let size_bytes = u64::try_from(input.size_bytes).unwrap_or(0);
        let new = uploads::NewDirectUpload {
            folder_kind: input.folder_kind.into(),
            folder_id: parse_id(&input.folder_id, "folderId")?,
            name: input.name,
            content_type: input.content_type,
            size_bytes,
            sha256: input.sha256,
            tags: input.tags,
        };
        Ok(DirectUpload(
            uploads::request(deps(ctx)?, tenant(ctx)?, new)
                .await
                .gql()?,
        ))
    }

    /// Records a direct upload whose bytes were sent; refused (and the bytes removed) when
    /// they are not the file declared.
    async fn confirm_upload(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<File> {
        let id = parse_id(&id, "id")?;
        Ok(File(
            uploads::confirm(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    /// Renames or retags a file.
    async fn update_file(
        &self,
        ctx: &Context<'_>,
        input: UpdateFileInput,
    ) -> async_graphql::Result<File> {
        let id = parse_id(&input.id, "id")?;
        let change = files::FileChange {
            name: input.name,
            tags: input.tags,
        };
        Ok(File(
            files::update(deps(ctx)?, tenant(ctx)?, id, change)
                .await
                .gql()?,
        ))
    }

    /// Into the bin, restorable for 30 days.
    async fn delete_file(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<File> {
        let id = parse_id(&id, "id")?;
        Ok(File(
            files::delete(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }

    async fn restore_file(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<File> {
        let id = parse_id(&id, "id")?;
        Ok(File(
            files::restore(deps(ctx)?, tenant(ctx)?, id).await.gql()?,
        ))
    }
}
