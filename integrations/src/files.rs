//! Files' bytes through `object_store`: a folder on this machine, or an S3-compatible bucket
//! (AWS S3, MinIO, Cloudflare R2) with the usual `AWS_*` credentials and endpoint.

use std::sync::Arc;

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ObjectStore, WriteMultipart};
use tianguis_domain::ports::{ByteStream, FileStore};

pub struct ObjectFileStore {
    store: Arc<dyn ObjectStore>,
    /// Signs direct-upload addresses, for a bucket.
    signer: Option<Arc<dyn Signer>>,
    prefix: Path,
}

impl ObjectFileStore {
    /// Files under `dir`, created if missing.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self {
            store: Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?),
            signer: None,
            prefix: Path::default(),
        })
    }

    /// `s3://bucket/prefix` (credentials, region and endpoint from the `AWS_*` variables) or
    /// `file:///absolute/dir`.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).context("the object store's URL")?;
        match parsed.scheme() {
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .context("s3://bucket/prefix: the bucket is missing")?;
                let store = Arc::new(
                    object_store::aws::AmazonS3Builder::from_env()
                        .with_bucket_name(bucket)
                        .build()?,
                );
                Ok(Self {
                    signer: Some(store.clone()),
                    store,
                    prefix: Path::from(parsed.path().trim_matches('/')),
                })
            }
            "file" => Self::local(std::path::Path::new(parsed.path())),
            other => anyhow::bail!("object store scheme {other}: use s3:// or file://"),
        }
    }

    fn path(&self, key: &str) -> Path {
        self.prefix.parts().chain(Path::from(key).parts()).collect()
    }
}

#[async_trait::async_trait]
impl FileStore for ObjectFileStore {
    async fn put(&self, key: &str, mut body: ByteStream) -> anyhow::Result<()> {
        // Parts go up as they fill (5 MB on S3), so memory stays flat whatever the size.
        let upload = self.store.put_multipart(&self.path(key)).await?;
        let mut writer = WriteMultipart::new(upload);
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    writer.wait_for_capacity(4).await?;
                    writer.write(&chunk);
                }
                Err(e) => {
                    writer.abort().await?;
                    return Err(e.into());
                }
            }
        }
        writer.finish().await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<ByteStream>> {
        match self.store.get(&self.path(key)).await {
            Ok(found) => Ok(Some(
                found
                    .into_stream()
                    .map_err(|e| std::io::Error::other(e.to_string()))
                    .boxed(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn upload_url(
        &self,
        key: &str,
        valid_for: std::time::Duration,
    ) -> anyhow::Result<Option<String>> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let url = signer
            .signed_url(reqwest::Method::PUT, &self.path(key), valid_for)
            .await?;
        Ok(Some(url.to_string()))
    }
}
