//! Signed links in campaign emails: the open pixel, click redirects and one-click
//! unsubscribe (RFC 8058). A token names a recipient and carries an HMAC of what it allows,
//! so it can be neither forged nor pointed at another URL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ActiveValue::Set, EntityTrait};
use tianguis_entity::marketing::campaign_recipients;
use tianguis_entity::tenancy::tenants;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::messaging::ChannelKind;
use crate::{Deps, Error, Result};

#[derive(Clone, Copy)]
pub enum Purpose {
    Open,
    Click,
    Unsubscribe,
}

impl Purpose {
    fn tag(self) -> &'static [u8] {
        match self {
            Purpose::Open => b"open",
            Purpose::Click => b"click",
            Purpose::Unsubscribe => b"unsubscribe",
        }
    }
}

fn message(purpose: Purpose, recipient: Uuid, url: &str) -> Vec<u8> {
    let mut m = purpose.tag().to_vec();
    m.push(0);
    m.extend_from_slice(recipient.as_bytes());
    m.push(0);
    m.extend_from_slice(url.as_bytes());
    m
}

/// A token for `recipient` and `purpose` (and, for clicks, the destination `url`).
pub fn token(deps: &Deps, purpose: Purpose, recipient: Uuid, url: &str) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(recipient.as_bytes()),
        deps.secrets.sign(&message(purpose, recipient, url))
    )
}

/// The recipient a token names, if its signature holds.
pub fn verify(deps: &Deps, purpose: Purpose, token: &str, url: &str) -> Result<Uuid> {
    let invalid = || Error::invalid("token", "the link is not valid");
    let (id, signature) = token.split_once('.').ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?;
    let recipient = Uuid::from_slice(&bytes).map_err(|_| invalid())?;
    if !deps
        .secrets
        .verify(&message(purpose, recipient, url), signature)
    {
        return Err(invalid());
    }
    Ok(recipient)
}

pub fn open_url(deps: &Deps, recipient: Uuid) -> String {
    format!(
        "{}/t/o/{}",
        deps.mail.public_url,
        token(deps, Purpose::Open, recipient, "")
    )
}

pub fn click_url(deps: &Deps, recipient: Uuid, url: &str) -> String {
    let mut query = String::new();
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            query.push(b as char);
        } else {
            query.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "{}/t/c/{}?u={query}",
        deps.mail.public_url,
        token(deps, Purpose::Click, recipient, url)
    )
}

pub fn unsubscribe_url(deps: &Deps, recipient: Uuid) -> String {
    format!(
        "{}/u/{}",
        deps.mail.public_url,
        token(deps, Purpose::Unsubscribe, recipient, "")
    )
}

async fn recipient(deps: &Deps, id: Uuid) -> Result<campaign_recipients::Model> {
    campaign_recipients::Entity::find_by_id(id)
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("recipient"))
}

/// Changes a recipient in its business's transaction.
async fn touch(
    deps: &Deps,
    found: campaign_recipients::Model,
    apply: impl FnOnce(
        &mut campaign_recipients::ActiveModel,
        &campaign_recipients::Model,
        chrono::DateTime<chrono::Utc>,
    ) -> bool,
) -> Result<()> {
    let tx = TenantTx::begin(deps, found.tenant_id).await?;
    let now = tx.now();
    let mut model: campaign_recipients::ActiveModel = found.clone().into();
    if apply(&mut model, &found, now) {
        tx.update(model).await?;
    }
    tx.commit().await
}

fn mark_read(
    model: &mut campaign_recipients::ActiveModel,
    found: &campaign_recipients::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if found.read_at.is_some() {
        return false;
    }
    model.read_at = Set(Some(now));
    if ["sent", "delivered"].contains(&found.status.as_str()) {
        model.status = Set(crate::campaigns::RecipientStatus::Read.key().into());
    }
    true
}

/// The open pixel was loaded.
pub async fn opened(deps: &Deps, token: &str) -> Result<()> {
    let id = verify(deps, Purpose::Open, token, "")?;
    let found = recipient(deps, id).await?;
    touch(deps, found, mark_read).await
}

/// A tracked link was followed; returns where to send the reader.
pub async fn clicked(deps: &Deps, token: &str, url: &str) -> Result<String> {
    let id = verify(deps, Purpose::Click, token, url)?;
    let found = recipient(deps, id).await?;
    touch(deps, found, |model, found, now| {
        let read = mark_read(model, found, now);
        if found.clicked_at.is_some() {
            return read;
        }
        model.clicked_at = Set(Some(now));
        true
    })
    .await?;
    Ok(url.to_owned())
}

/// The business an unsubscribe link is for, to name on the page.
pub async fn unsubscribe_page(deps: &Deps, token: &str) -> Result<(String, bool)> {
    let id = verify(deps, Purpose::Unsubscribe, token, "")?;
    let found = recipient(deps, id).await?;
    let tenant = tenants::Entity::find_by_id(found.tenant_id)
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("business"))?;
    Ok((tenant.name, found.unsubscribed_at.is_some()))
}

/// One-click unsubscribe: the contact gets no more email from the business.
pub async fn unsubscribe(deps: &Deps, token: &str) -> Result<()> {
    let id = verify(deps, Purpose::Unsubscribe, token, "")?;
    let found = recipient(deps, id).await?;
    let mut tx = TenantTx::begin(deps, found.tenant_id).await?;
    crate::messaging::channels::record_opt_out(
        &tx,
        found.contact_id,
        ChannelKind::Email,
        "unsubscribe link",
    )
    .await?;
    if found.unsubscribed_at.is_none() {
        let now = tx.now();
        let (campaign_id, contact_id) = (found.campaign_id, found.contact_id);
        let mut model: campaign_recipients::ActiveModel = found.into();
        model.unsubscribed_at = Set(Some(now));
        tx.update(model).await?;
        crate::events::append(
            &mut tx,
            "marketing.contact.unsubscribed",
            Some(format!("contact/{contact_id}")),
            serde_json::json!({ "campaignId": campaign_id, "channelKind": "email" }),
            now,
        )
        .await?;
    }
    tx.commit().await
}
