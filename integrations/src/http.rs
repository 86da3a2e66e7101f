//! HTTP client for outgoing webhooks.

use std::time::Duration;

use tianguis_domain::ports::{HttpOutcome, WebhookTransport};

/// The most of a response body read back, for the delivery log.
const READ_LIMIT: usize = 4096;

pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            // Redirects are not followed: a webhook URL is the one place we post to.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }
}

#[async_trait::async_trait]
impl WebhookTransport for ReqwestTransport {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: String,
        timeout: Duration,
    ) -> anyhow::Result<HttpOutcome> {
        let mut request = self.client.post(url).timeout(timeout).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while bytes.len() < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
        bytes.truncate(READ_LIMIT);
        Ok(HttpOutcome {
            status,
            body_excerpt: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}
