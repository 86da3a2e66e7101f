//! What WhatsApp's webhook brings: messages contacts send, delivery statuses of ours, and
//! Meta's verdicts on templates. The body is checked against X-Hub-Signature-256 first.

use hmac::{Hmac, Mac};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;
use tianguis_entity::crm::contacts;
use tianguis_entity::messaging::{channels, conversations, messages};
use uuid::Uuid;

use super::messages::{Direction, Kind, Status};
use super::{ChannelKind, InboxChange, publish};
use crate::DeliveryReport;
use crate::db::TenantTx;
use crate::secrets::constant_time_eq;
use crate::{Deps, Error, Result};

/// Meta's GET handshake: the challenge back when the verify token matches.
pub fn verify_subscription(
    deps: &Deps,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> Result<String> {
    let expected = deps
        .settings::<crate::MessagingSettings>()?
        .whatsapp_verify_token
        .as_deref();
    match (mode, token, challenge, expected) {
        (Some("subscribe"), Some(token), Some(challenge), Some(expected))
            if constant_time_eq(token, expected) =>
        {
            Ok(challenge.to_owned())
        }
        _ => Err(Error::unauthenticated(
            "BAD_VERIFY_TOKEN",
            "the verify token does not match",
        )),
    }
}

fn check_signature(deps: &Deps, body: &[u8], signature: Option<&str>) -> Result<()> {
    let secret = deps
        .settings::<crate::MessagingSettings>()?
        .whatsapp_app_secret
        .as_deref()
        .ok_or_else(|| {
            Error::unauthenticated("NOT_CONFIGURED", "WhatsApp webhooks are not configured")
        })?;
    let given = signature
        .and_then(|s| s.strip_prefix("sha256="))
        .ok_or_else(|| Error::unauthenticated("BAD_SIGNATURE", "X-Hub-Signature-256 is missing"))?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if !constant_time_eq(&expected, &given.to_ascii_lowercase()) {
        return Err(Error::unauthenticated(
            "BAD_SIGNATURE",
            "X-Hub-Signature-256 does not match the body",
        ));
    }
    Ok(())
}

/// Applies one webhook POST; returns how many changes it made (a redelivery makes none).
pub async fn receive_whatsapp(deps: &Deps, body: &[u8], signature: Option<&str>) -> Result<usize> {
    check_signature(deps, body, signature)?;
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("not JSON: {e}")))?;
    let mut applied = 0;
    for entry in payload["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            match change["field"].as_str() {
                Some("messages") => applied += messages_change(deps, value).await?,
                Some("message_template_status_update") => {
                    let waba = entry["id"].as_str().unwrap_or_default();
                    applied += super::templates::apply_review_event(deps, waba, value).await?;
                }
                _ => {}
            }
        }
    }
    Ok(applied)
}

/// The WhatsApp channel a webhook names by phone number id, of whichever business.
async fn channel_by_address(
    deps: &Deps,
    kind: ChannelKind,
    address: &str,
) -> Result<Option<channels::Model>> {
    Ok(channels::Entity::find()
        .filter(channels::Column::Kind.eq(kind.key()))
        .filter(channels::Column::Address.eq(address))
        .one(&deps.db)
        .await?)
}

async fn messages_change(deps: &Deps, value: &Value) -> Result<usize> {
    let phone_number_id = value["metadata"]["phone_number_id"]
        .as_str()
        .unwrap_or_default();
    let Some(channel) = channel_by_address(deps, ChannelKind::Whatsapp, phone_number_id).await?
    else {
        tracing::warn!(
            phone_number_id,
            "a WhatsApp webhook for a number no business has"
        );
        return Ok(0);
    };
    let mut applied = 0;
    let mut tx = TenantTx::begin(deps, channel.tenant_id).await?;
    for message in value["messages"].as_array().into_iter().flatten() {
        let from = message["from"].as_str().unwrap_or_default();
        let profile = value["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["wa_id"].as_str() == Some(from))
            .and_then(|c| c["profile"]["name"].as_str());
        let (kind, body, content) = whatsapp_content(message);
        let inbound = Inbound {
            from: format!("+{}", from.trim_start_matches('+')),
            profile_name: profile.map(str::to_owned),
            provider_id: message["id"].as_str().unwrap_or_default().to_owned(),
            kind,
            body,
            content,
        };
        if record(deps, &mut tx, &channel, inbound).await? {
            applied += 1;
        }
    }
    for status in value["statuses"].as_array().into_iter().flatten() {
        let provider_id = status["id"].as_str().unwrap_or_default();
        // Statuses this build does not know (e.g. a new one from Meta) change nothing.
        let Some(state) = status["status"].as_str().and_then(DeliveryReport::from_key) else {
            continue;
        };
        let error = status["errors"][0]["title"]
            .as_str()
            .or(status["errors"][0]["message"].as_str())
            .map(|t| format!("{}: {t}", status["errors"][0]["code"]));
        if super::messages::apply_status(&mut tx, channel.id, provider_id, state, error.clone())
            .await?
            | crate::notify_delivery_status(deps, &tx, provider_id, state, error).await?
        {
            applied += 1;
        }
    }
    tx.commit().await?;
    Ok(applied)
}

/// A message a contact sent, as any provider brings it.
pub(crate) struct Inbound {
    /// E.164.
    pub from: String,
    pub profile_name: Option<String>,
    pub provider_id: String,
    pub kind: Kind,
    pub body: Option<String>,
    pub content: Option<Value>,
}

/// The kind, text and details of a WhatsApp message.
fn whatsapp_content(m: &Value) -> (Kind, Option<String>, Option<Value>) {
    let kind = m["type"].as_str().unwrap_or("text");
    let (body, content) = match kind {
        "text" => (m["text"]["body"].as_str().map(str::to_owned), None),
        "location" => (
            m["location"]["name"].as_str().map(str::to_owned),
            Some(m["location"].clone()),
        ),
        "image" | "document" | "audio" | "video" | "sticker" => {
            let media = &m[kind];
            (
                media["caption"].as_str().map(str::to_owned),
                Some(media.clone()),
            )
        }
        "button" => (m["button"]["text"].as_str().map(str::to_owned), None),
        "interactive" => (
            m["interactive"]["button_reply"]["title"]
                .as_str()
                .or(m["interactive"]["list_reply"]["title"].as_str())
                .map(str::to_owned),
            Some(m["interactive"].clone()),
        ),
        _ => (None, Some(m.clone())),
    };
    let kind = match kind {
        "sticker" => Kind::Image,
        // Buttons, list replies and kinds this build does not know arrive as their text.
        other => Kind::from_key(other)
            .filter(|k| !matches!(k, Kind::Template | Kind::Note))
            .unwrap_or(Kind::Text),
    };
    (kind, body, content)
}

/// Words that opt a contact out of a channel, as Mexican senders expect them honoured.
const STOP_WORDS: &[&str] = &["STOP", "BAJA", "ALTO", "CANCELAR", "UNSUBSCRIBE"];

/// Stores an inbound message once: finds or creates the contact and the conversation,
/// reopens a closed one. Returns false for a message already stored.
pub(crate) async fn record(
    deps: &Deps,
    tx: &mut TenantTx,
    channel: &channels::Model,
    inbound: Inbound,
) -> Result<bool> {
    if inbound.provider_id.is_empty() {
        return Ok(false);
    }
    let duplicate = tx
        .select::<messages::Entity>()
        .filter(messages::Column::ChannelId.eq(channel.id))
        .filter(messages::Column::ProviderMessageId.eq(inbound.provider_id.as_str()))
        .one(&**tx)
        .await?;
    if duplicate.is_some() {
        return Ok(false);
    }
    let contact = contact_for(tx, &inbound.from, inbound.profile_name.as_deref()).await?;
    let (conversation, _) = super::conversations::find_or_open(tx, channel.id, contact.id).await?;
    let now = tx.now();
    let (kind, body, content) = (inbound.kind, inbound.body, inbound.content);
    let message = super::messages::insert(
        tx,
        &conversation,
        super::messages::NewMessage {
            direction: Direction::Inbound,
            kind,
            body: body.clone(),
            content,
            provider_message_id: Some(inbound.provider_id.clone()),
            status: Status::Received,
            author_id: None,
        },
    )
    .await?;
    let mut model: conversations::ActiveModel = conversation.clone().into();
    if conversation.status == "closed" || conversation.status == "snoozed" {
        // A new cycle: the team is measured on it afresh.
        if conversation.status == "closed" {
            model.opened_at = Set(now);
            model.first_response_at = Set(None);
            model.resolved_at = Set(None);
        }
        model.status = Set(crate::conversations::Status::Open.key().into());
        model.snoozed_until = Set(None);
    }
    model.unread_count = Set(conversation.unread_count + 1);
    model.last_message_at = Set(now);
    model.last_inbound_at = Set(Some(now));
    model.last_message_preview = Set(Some(super::preview(
        body.as_deref().unwrap_or(&format!("[{kind}]")),
    )));
    tx.update(model).await?;
    let channel_kind = ChannelKind::from_stored(&channel.kind)?;
    let mut answered = false;
    if let Some(text) = body.as_deref() {
        let reply = crate::Reply {
            contact_id: contact.id,
            conversation_id: conversation.id,
            channel: channel_kind,
            text: text.to_owned(),
        };
        for handler in deps.registry.all::<Box<dyn crate::ReplyHandler>>() {
            if handler.handle(deps, tx, &reply).await? {
                answered = true;
                break;
            }
        }
    }
    if !answered
        && body
            .as_deref()
            .is_some_and(|b| STOP_WORDS.contains(&b.trim().to_uppercase().as_str()))
    {
        super::channels::record_opt_out(tx, contact.id, channel_kind, "keyword").await?;
    }
    crate::events::append(
        tx,
        "messaging.message.received",
        Some(format!("message/{}", message.id)),
        json!({ "conversationId": conversation.id, "contactId": contact.id, "kind": kind, "channelId": channel.id }),
        now,
    )
    .await?;
    publish(
        tx,
        InboxChange::MessageAdded,
        conversation.id,
        Some(message.id),
    );
    Ok(true)
}

/// The same Mexican mobile number with and without the `1` after the country code:
/// WhatsApp still reports many as +521…, while numbers are written +52… since 2019.
fn mexican_variants(phone: &str) -> Vec<String> {
    let mut variants = vec![phone.to_owned()];
    if let Some(rest) = phone.strip_prefix("+521").filter(|r| r.len() == 10) {
        variants.push(format!("+52{rest}"));
    } else if let Some(rest) = phone.strip_prefix("+52").filter(|r| r.len() == 10) {
        variants.push(format!("+521{rest}"));
    }
    variants
}

/// The contact with this phone number, or a new one named as the sender's profile says.
/// A message is never refused for the plan's contact limit: it is the customer writing.
async fn contact_for(
    tx: &TenantTx,
    phone: &str,
    profile_name: Option<&str>,
) -> Result<contacts::Model> {
    if let Some(found) = tx
        .select::<contacts::Entity>()
        .filter(contacts::Column::Phone.is_in(mexican_variants(phone)))
        .one(&**tx)
        .await?
    {
        return Ok(found);
    }
    let name = profile_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(phone);
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    Ok(tx
        .insert(contacts::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            first_name: Set(first.chars().take(100).collect()),
            last_name: Set(last.chars().take(100).collect()),
            email: Set(None),
            phone: Set(Some(phone.to_owned())),
            rfc: Set(None),
            job_title: Set(None),
            city: Set(None),
            company_id: Set(None),
            owner_id: Set(None),
            tags: Set(json!([])),
            custom_fields: Set(json!({})),
            is_customer: Set(false),
            customer_since: Set(None),
            search_text: Set(crate::search::search_text(&[Some(name), Some(phone)])),
            ..Default::default()
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mexican_mobile_matches_with_and_without_the_old_mobile_prefix() {
        assert_eq!(
            mexican_variants("+5215512345678"),
            ["+5215512345678", "+525512345678"]
        );
        assert_eq!(
            mexican_variants("+525512345678"),
            ["+525512345678", "+5215512345678"]
        );
        assert_eq!(mexican_variants("+14155550100"), ["+14155550100"]);
    }
}
