//! Messaging providers: the WhatsApp Cloud API (Meta's Graph API) and Twilio's SMS API,
//! each at a configurable base URL, and a router that picks one by the channel's kind.

use std::time::Duration;

use serde_json::{Value, json};
use tianguis_domain::ports::{
    MediaKind, Messenger, MessengerError, OutboundContent, ProviderAccount, TemplateContent,
    TemplateReview,
};

/// The Graph API version the requests are written for.
const GRAPH_VERSION: &str = "v21.0";
const TIMEOUT: Duration = Duration::from_secs(15);

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(TIMEOUT).build()?)
}

fn unavailable(e: impl std::fmt::Display) -> MessengerError {
    MessengerError::Unavailable(e.to_string())
}

/// Reads a provider's JSON answer: its body on success; a refusal for a 4xx other than
/// 429; a temporary failure otherwise.
async fn answer(
    response: reqwest::Response,
    error_of: fn(&Value) -> (String, String),
) -> Result<Value, MessengerError> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let (code, message) = error_of(&body);
    if status.is_client_error() && status.as_u16() != 429 {
        Err(MessengerError::Rejected { code, message })
    } else {
        Err(MessengerError::Unavailable(format!(
            "{status}: {code} {message}"
        )))
    }
}

fn token(account: &ProviderAccount) -> Result<&str, MessengerError> {
    account.token.as_deref().ok_or(MessengerError::Rejected {
        code: "NO_CREDENTIALS".into(),
        message: "the channel has no access token".into(),
    })
}

/// The WhatsApp Cloud API.
pub struct WhatsAppCloud {
    http: reqwest::Client,
    base: String,
}

impl WhatsAppCloud {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: client()?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn graph_error(body: &Value) -> (String, String) {
        let error = &body["error"];
        (
            error["code"]
                .as_i64()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            error["message"].as_str().unwrap_or("no message").to_owned(),
        )
    }

    fn message_body(to: &str, content: &OutboundContent) -> Value {
        let to = to.trim_start_matches('+');
        let mut body =
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to });
        match content {
            OutboundContent::Text { body: text } => {
                body["type"] = json!("text");
                body["text"] = json!({ "preview_url": false, "body": text });
            }
            OutboundContent::Media {
                kind,
                url,
                caption,
                filename,
            } => {
                let mut media = json!({ "link": url });
                if let Some(caption) = caption.as_ref().filter(|_| *kind != MediaKind::Audio) {
                    media["caption"] = json!(caption);
                }
                if let Some(filename) = filename.as_ref().filter(|_| *kind == MediaKind::Document) {
                    media["filename"] = json!(filename);
                }
                body["type"] = json!(kind.key());
                body[kind.key()] = media;
            }
            OutboundContent::Location {
                latitude,
                longitude,
                name,
                address,
            } => {
                body["type"] = json!("location");
                body["location"] = json!({
                    "latitude": latitude, "longitude": longitude, "name": name, "address": address,
                });
            }
            OutboundContent::Template {
                name,
                language,
                variables,
            } => {
                let parameters: Vec<Value> = variables
                    .iter()
                    .map(|v| json!({ "type": "text", "text": v }))
                    .collect();
                let mut template = json!({ "name": name, "language": { "code": language } });
                if !parameters.is_empty() {
                    template["components"] = json!([{ "type": "body", "parameters": parameters }]);
                }
                body["type"] = json!("template");
                body["template"] = template;
            }
        }
        body
    }

    fn review(body: &Value, fallback_id: &str) -> TemplateReview {
        TemplateReview {
            provider_template_id: body["id"].as_str().unwrap_or(fallback_id).to_owned(),
            status: body["status"]
                .as_str()
                .unwrap_or("PENDING")
                .to_ascii_lowercase(),
            reason: body["rejected_reason"]
                .as_str()
                .filter(|r| *r != "NONE")
                .map(str::to_owned),
        }
    }
}

/// Meta's component list for a template.
fn template_components(content: &TemplateContent) -> Vec<Value> {
    let mut components = Vec::new();
    if let Some(header) = &content.header {
        components.push(json!({ "type": "HEADER", "format": "TEXT", "text": header }));
    }
    let mut body = json!({ "type": "BODY", "text": content.body });
    if !content.examples.is_empty() {
        body["example"] = json!({ "body_text": [content.examples] });
    }
    components.push(body);
    if let Some(footer) = &content.footer {
        components.push(json!({ "type": "FOOTER", "text": footer }));
    }
    if !content.buttons.is_empty() {
        let buttons: Vec<Value> = content
            .buttons
            .iter()
            .map(|b| {
                let mut button =
                    json!({ "type": b.kind.key().to_ascii_uppercase(), "text": b.text });
                if let Some(url) = &b.url {
                    button["url"] = json!(url);
                }
                if let Some(phone) = &b.phone_number {
                    button["phone_number"] = json!(phone);
                }
                button
            })
            .collect();
        components.push(json!({ "type": "BUTTONS", "buttons": buttons }));
    }
    components
}

#[async_trait::async_trait]
impl Messenger for WhatsAppCloud {
    async fn send(
        &self,
        account: &ProviderAccount,
        to: &str,
        content: &OutboundContent,
    ) -> Result<String, MessengerError> {
        let url = format!("{}/{GRAPH_VERSION}/{}/messages", self.base, account.address);
        let response = self
            .http
            .post(url)
            .bearer_auth(token(account)?)
            .json(&Self::message_body(to, content))
            .send()
            .await
            .map_err(unavailable)?;
        let body = answer(response, Self::graph_error).await?;
        body["messages"][0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unavailable("the answer carries no message id"))
    }

    async fn submit_template(
        &self,
        account: &ProviderAccount,
        name: &str,
        language: &str,
        category: &str,
        content: &TemplateContent,
    ) -> Result<TemplateReview, MessengerError> {
        let waba = account
            .account_id
            .as_deref()
            .ok_or(MessengerError::Rejected {
                code: "NO_ACCOUNT".into(),
                message: "the channel has no WhatsApp business account id".into(),
            })?;
        let url = format!("{}/{GRAPH_VERSION}/{waba}/message_templates", self.base);
        let request = json!({
            "name": name,
            "language": language,
            "category": category.to_ascii_uppercase(),
            "components": template_components(content),
        });
        let response = self
            .http
            .post(url)
            .bearer_auth(token(account)?)
            .json(&request)
            .send()
            .await
            .map_err(unavailable)?;
        let body = answer(response, Self::graph_error).await?;
        Ok(Self::review(&body, ""))
    }

    async fn template_status(
        &self,
        account: &ProviderAccount,
        provider_template_id: &str,
    ) -> Result<TemplateReview, MessengerError> {
        let url = format!(
            "{}/{GRAPH_VERSION}/{provider_template_id}?fields=id,name,status,rejected_reason",
            self.base
        );
        let response = self
            .http
            .get(url)
            .bearer_auth(token(account)?)
            .send()
            .await
            .map_err(unavailable)?;
        let body = answer(response, Self::graph_error).await?;
        Ok(Self::review(&body, provider_template_id))
    }
}

/// Twilio's Programmable Messaging API, for SMS.
pub struct Twilio {
    http: reqwest::Client,
    base: String,
}

impl Twilio {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: client()?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn twilio_error(body: &Value) -> (String, String) {
        (
            body["code"]
                .as_i64()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            body["message"].as_str().unwrap_or("no message").to_owned(),
        )
    }
}

fn no_templates() -> MessengerError {
    MessengerError::Rejected {
        code: "UNSUPPORTED".into(),
        message: "SMS channels have no message templates".into(),
    }
}

#[async_trait::async_trait]
impl Messenger for Twilio {
    async fn send(
        &self,
        account: &ProviderAccount,
        to: &str,
        content: &OutboundContent,
    ) -> Result<String, MessengerError> {
        let sid = account.account_id.as_deref().unwrap_or_default();
        let mut form = vec![("To", to.to_owned()), ("From", account.address.clone())];
        match content {
            OutboundContent::Text { body } => form.push(("Body", body.clone())),
            OutboundContent::Media { url, caption, .. } => {
                form.push(("MediaUrl", url.clone()));
                form.push(("Body", caption.clone().unwrap_or_default()));
            }
            OutboundContent::Location {
                latitude,
                longitude,
                name,
                ..
            } => form.push((
                "Body",
                format!(
                    "{}https://maps.google.com/?q={latitude},{longitude}",
                    name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default()
                ),
            )),
            OutboundContent::Template { .. } => return Err(no_templates()),
        }
        if let Some(callback) = &account.status_callback {
            form.push(("StatusCallback", callback.clone()));
        }
        let url = format!("{}/2010-04-01/Accounts/{sid}/Messages.json", self.base);
        let response = self
            .http
            .post(url)
            .basic_auth(sid, Some(token(account)?))
            .form(&form)
            .send()
            .await
            .map_err(unavailable)?;
        let body = answer(response, Self::twilio_error).await?;
        body["sid"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unavailable("the answer carries no message sid"))
    }

    async fn submit_template(
        &self,
        _: &ProviderAccount,
        _: &str,
        _: &str,
        _: &str,
        _: &TemplateContent,
    ) -> Result<TemplateReview, MessengerError> {
        Err(no_templates())
    }

    async fn template_status(
        &self,
        _: &ProviderAccount,
        _: &str,
    ) -> Result<TemplateReview, MessengerError> {
        Err(no_templates())
    }
}

/// Routes each channel to its provider by kind.
pub struct MessengerRouter {
    whatsapp: WhatsAppCloud,
    sms: Twilio,
}

impl MessengerRouter {
    pub fn new(whatsapp: WhatsAppCloud, sms: Twilio) -> Self {
        Self { whatsapp, sms }
    }

    fn provider(&self, account: &ProviderAccount) -> &dyn Messenger {
        match account.kind.as_str() {
            "sms" => &self.sms,
            _ => &self.whatsapp,
        }
    }
}

#[async_trait::async_trait]
impl Messenger for MessengerRouter {
    async fn send(
        &self,
        account: &ProviderAccount,
        to: &str,
        content: &OutboundContent,
    ) -> Result<String, MessengerError> {
        self.provider(account).send(account, to, content).await
    }

    async fn submit_template(
        &self,
        account: &ProviderAccount,
        name: &str,
        language: &str,
        category: &str,
        content: &TemplateContent,
    ) -> Result<TemplateReview, MessengerError> {
        self.provider(account)
            .submit_template(account, name, language, category, content)
            .await
    }

    async fn template_status(
        &self,
        account: &ProviderAccount,
        provider_template_id: &str,
    ) -> Result<TemplateReview, MessengerError> {
        self.provider(account)
            .template_status(account, provider_template_id)
            .await
    }
}
