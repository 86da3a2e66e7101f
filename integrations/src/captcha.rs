//! hCaptcha and Cloudflare Turnstile: both verify a widget's token with a form-encoded
//! POST of `secret`, `response` and `remoteip` to their `siteverify`, answering
//! `{"success": true|false}`.

use std::time::Duration;

use serde::Deserialize;
use tianguis_domain::automation::forms::{CaptchaVerifier, CaptchaWidget};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptchaProvider {
    HCaptcha,
    Turnstile,
}

impl CaptchaProvider {
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "hcaptcha" => Some(Self::HCaptcha),
            "turnstile" => Some(Self::Turnstile),
            _ => None,
        }
    }

    pub fn default_verify_url(self) -> &'static str {
        match self {
            Self::HCaptcha => "https://api.hcaptcha.com/siteverify",
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        }
    }
}

pub struct SiteVerify {
    provider: CaptchaProvider,
    verify_url: String,
    secret: String,
    site_key: String,
    http: reqwest::Client,
}

impl SiteVerify {
    pub fn new(
        provider: CaptchaProvider,
        verify_url: &str,
        site_key: &str,
        secret: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            provider,
            verify_url: verify_url.to_owned(),
            secret: secret.to_owned(),
            site_key: site_key.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }
}

#[derive(Deserialize)]
struct Verdict {
    success: bool,
}

#[async_trait::async_trait]
impl CaptchaVerifier for SiteVerify {
    fn widget(&self) -> CaptchaWidget {
        let (script_url, class, response_field) = match self.provider {
            CaptchaProvider::HCaptcha => (
                "https://js.hcaptcha.com/1/api.js",
                "h-captcha",
                "h-captcha-response",
            ),
            CaptchaProvider::Turnstile => (
                "https://challenges.cloudflare.com/turnstile/v0/api.js",
                "cf-turnstile",
                "cf-turnstile-response",
            ),
        };
        CaptchaWidget {
            script_url: script_url.to_owned(),
            class: class.to_owned(),
            site_key: self.site_key.clone(),
            response_field: response_field.to_owned(),
        }
    }

    async fn verify(&self, token: &str, remote_ip: Option<&str>) -> anyhow::Result<bool> {
        let mut form = vec![("secret", self.secret.as_str()), ("response", token)];
        if let Some(ip) = remote_ip {
            form.push(("remoteip", ip));
        }
        let response = self
            .http
            .post(&self.verify_url)
            .form(&form)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json::<Verdict>().await?.success)
    }
}
