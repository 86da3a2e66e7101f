//! What Twilio's webhook brings for SMS channels: messages contacts send and delivery
//! statuses of ours. Each request carries X-Twilio-Signature: HMAC-SHA1, keyed with the
//! account's auth token, of the URL Twilio called followed by every POST parameter, sorted
//! by name, as name and value.

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha1::Sha1;
use tianguis_entity::messaging::channels;

use super::inbound::Inbound;
use super::{ChannelKind, DeliveryReport};
use crate::db::TenantTx;
use crate::secrets::constant_time_eq;
use crate::{Deps, Error, Result};

/// Where Twilio is told to send statuses, and where it must be configured to send
/// incoming messages.
pub fn webhook_url(deps: &Deps) -> String {
    format!("{}/webhooks/twilio", deps.mail.public_url)
}

/// X-Twilio-Signature of a request to `url` with `params`, under `auth_token`.
pub fn signature(auth_token: &str, url: &str, params: &BTreeMap<String, String>) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (name, value) in params {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Twilio's status names in ours.
fn status(twilio: &str) -> Option<DeliveryReport> {
    match twilio {
        "undelivered" => Some(DeliveryReport::Failed),
        other => DeliveryReport::from_key(other),
    }
}

/// Applies one webhook request; returns how many changes it made.
pub async fn receive(
    deps: &Deps,
    params: BTreeMap<String, String>,
    given: Option<&str>,
) -> Result<usize> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let inbound = params.contains_key("Body") && !params.contains_key("MessageStatus");
    // Our number is `To` of a message to us and `From` of a status of ours.
    let ours = if inbound { param("To") } else { param("From") };
    let channel = channels::Entity::find()
        .filter(channels::Column::Kind.eq(ChannelKind::Sms.key()))
        .filter(channels::Column::Address.eq(ours))
        .one(&deps.db)
        .await?
        .filter(|c| c.account_id.as_deref() == Some(param("AccountSid")));
    let refused = || Error::unauthenticated("BAD_SIGNATURE", "X-Twilio-Signature does not match");
    let Some(channel) = channel else {
        return Err(refused());
    };
    let token = super::channels::account(deps, &channel)?
        .token
        .ok_or_else(refused)?;
    let expected = signature(&token, &webhook_url(deps), &params);
    if !given.is_some_and(|g| constant_time_eq(g, &expected)) {
        return Err(refused());
    }
    let mut tx = TenantTx::begin(deps, channel.tenant_id).await?;
    let applied = if inbound {
        let message = Inbound {
            from: param("From").to_owned(),
            profile_name: None,
            provider_id: param("MessageSid").to_owned(),
            kind: crate::messages::Kind::Text,
            body: Some(param("Body").to_owned()),
            content: (param("NumMedia") != "0" && !param("NumMedia").is_empty()).then(
                || json!({ "url": param("MediaUrl0"), "mimeType": param("MediaContentType0") }),
            ),
        };
        super::inbound::record(deps, &mut tx, &channel, message).await?
    } else if let Some(state) = status(param("MessageStatus")) {
        let error = Some(param("ErrorCode"))
            .filter(|c| !c.is_empty())
            .map(|c| format!("{c}: Twilio error"));
        let sid = param("MessageSid");
        super::messages::apply_status(&mut tx, channel.id, sid, state, error.clone()).await?
            | crate::notify_delivery_status(deps, &tx, sid, state, error).await?
    } else {
        false
    };
    tx.commit().await?;
    Ok(usize::from(applied))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_follows_twilios_documented_example() {
        // Twilio's security documentation: this URL, these parameters and this auth token
        // sign to this value.
        let params: BTreeMap<String, String> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }
}
