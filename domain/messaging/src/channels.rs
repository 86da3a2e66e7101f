//! Channels: the WhatsApp numbers, SMS numbers and email identities a business talks on.
//! Provider tokens are sealed at rest and never shown again.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tianguis_entity::crm::contacts;
use tianguis_entity::messaging::{channels, opt_outs};
use uuid::Uuid;

use super::ChannelKind;
use crate::db::TenantTx;
use crate::db::stamped;
use crate::error::conflict_on;
use crate::ports::ProviderAccount;
use crate::rules;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use channels::Model as Channel;

#[derive(Clone, Debug)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    /// WhatsApp: phone number id; SMS: sending number; email: address.
    pub address: String,
    /// WhatsApp: business account id; SMS: Twilio account SID.
    pub account_id: Option<String>,
    pub display_name: Option<String>,
    pub token: Option<String>,
    pub send_rate_per_second: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct ChannelChanges {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub token: Option<String>,
    pub send_rate_per_second: Option<i32>,
    pub active: Option<bool>,
}

fn rate(value: Option<i32>) -> Result<Option<i32>> {
    match value {
        Some(n) if !(1..=10_000).contains(&n) => Err(Error::invalid(
            "sendRatePerSecond",
            "sendRatePerSecond must be between 1 and 10000",
        )),
        other => Ok(other),
    }
}

fn required(value: Option<String>, field: &'static str, kind: ChannelKind) -> Result<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{field} is required for a {} channel", kind.key()),
            )
        })
}

pub async fn create(deps: &Deps, ctx: &TenantCtx, input: NewChannel) -> Result<Channel> {
    ctx.require(Permission::MessagingWrite)?;
    let kind = input.kind;
    let name = required_text(&input.name, "name", 100)?;
    let (address, account_id, token) = match kind {
        ChannelKind::Whatsapp => {
            let address = required(Some(input.address), "address", kind)?;
            if !address.chars().all(|c| c.is_ascii_digit()) {
                return Err(Error::invalid(
                    "address",
                    "a WhatsApp channel's address is its phone number id (digits)",
                ));
            }
            (
                address,
                Some(required(input.account_id, "accountId", kind)?),
                Some(required(input.token, "token", kind)?),
            )
        }
        ChannelKind::Sms => {
            let address = rules::phone_e164(&input.address, "MX", "address")?;
            let sid = required(input.account_id, "accountId", kind)?;
            if !sid.starts_with("AC") {
                return Err(Error::invalid(
                    "accountId",
                    "a Twilio account SID starts with AC",
                ));
            }
            (
                address,
                Some(sid),
                Some(required(input.token, "token", kind)?),
            )
        }
        ChannelKind::Email => {
            let address = rules::optional_email(Some(&input.address), "address")?
                .ok_or_else(|| Error::invalid("address", "address is required"))?;
            (address, None, None)
        }
    };
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let now = tx.now();
    let model = stamped(
        now,
        channels::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            kind: Set(kind.key().to_owned()),
            name: Set(name),
            address: Set(address),
            account_id: Set(account_id),
            display_name: Set(rules::optional_text(
                input.display_name.as_deref(),
                "displayName",
                100,
            )?),
            credentials_sealed: Set(token.map(|t| deps.secrets.seal(&t)).transpose()?),
            send_rate_per_second: Set(rate(input.send_rate_per_second)?),
            active: Set(true),
            ..Default::default()
        },
    );
    let channel = channels::Entity::insert(model)
        .exec_with_returning(&*tx)
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_channels_kind_address",
                "channels.kind, channels.address",
                "address",
                "this address is already connected as a channel",
            )
        })?;
    audit::record(
        &mut tx,
        ctx,
        "messaging.channel.created",
        ("channel", Some(channel.id)),
        serde_json::json!({ "kind": channel.kind, "name": channel.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(channel)
}

pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    changes: ChannelChanges,
) -> Result<Channel> {
    ctx.require(Permission::MessagingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let channel = tx.get::<channels::Entity>(id, "channel").await?;
    let mut model: channels::ActiveModel = channel.into();
    if let Some(name) = changes.name {
        model.name = Set(required_text(&name, "name", 100)?);
    }
    if let Some(display) = changes.display_name {
        model.display_name = Set(rules::optional_text(Some(&display), "displayName", 100)?);
    }
    if let Some(token) = changes.token {
        model.credentials_sealed = Set(Some(
            deps.secrets.seal(&required_text(&token, "token", 1000)?)?,
        ));
    }
    if changes.send_rate_per_second.is_some() {
        model.send_rate_per_second = Set(rate(changes.send_rate_per_second)?);
    }
    if let Some(active) = changes.active {
        model.active = Set(active);
    }
    let channel = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "messaging.channel.updated",
        ("channel", Some(id)),
        serde_json::json!({ "name": channel.name, "active": channel.active }),
    )
    .await?;
    tx.commit().await?;
    Ok(channel)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Channel>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows =
        sea_orm::QueryOrder::order_by_asc(tx.select::<channels::Entity>(), channels::Column::Id)
            .all(&*tx)
            .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn by_ids(deps: &Deps, ctx: &TenantCtx, ids: &[Uuid]) -> Result<HashMap<Uuid, Channel>> {
    TenantTx::read_many::<channels::Entity>(deps, ctx, Permission::MessagingRead, ids).await
}

/// The channel's provider account, its token opened.
pub fn account(deps: &Deps, channel: &Channel) -> Result<ProviderAccount> {
    Ok(ProviderAccount {
        kind: channel.kind.clone(),
        address: channel.address.clone(),
        account_id: channel.account_id.clone(),
        token: channel
            .credentials_sealed
            .as_deref()
            .map(|sealed| deps.secrets.open(sealed))
            .transpose()?,
        status_callback: (channel.kind == ChannelKind::Sms.key())
            .then(|| super::twilio::webhook_url(deps)),
    })
}

/// The `From` of an email channel's messages.
pub fn email_sender(channel: &Channel) -> String {
    match &channel.display_name {
        Some(name) => format!("\"{}\" <{}>", name.replace('"', ""), channel.address),
        None => channel.address.clone(),
    }
}

/// Records that a contact wants no more messages on `kind`; already recorded is fine.
pub async fn record_opt_out(
    tx: &TenantTx,
    contact_id: Uuid,
    kind: ChannelKind,
    source: &str,
) -> Result<()> {
    let now = tx.now();
    opt_outs::Entity::insert(stamped(
        now,
        opt_outs::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            contact_id: Set(contact_id),
            channel_kind: Set(kind.key().to_owned()),
            source: Set(source.to_owned()),
            ..Default::default()
        },
    ))
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            opt_outs::Column::TenantId,
            opt_outs::Column::ContactId,
            opt_outs::Column::ChannelKind,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&**tx)
    .await?;
    Ok(())
}

pub(crate) async fn is_opted_out(
    tx: &TenantTx,
    contact_id: Uuid,
    kind: ChannelKind,
) -> Result<bool> {
    Ok(tx
        .select::<opt_outs::Entity>()
        .filter(opt_outs::Column::ContactId.eq(contact_id))
        .filter(opt_outs::Column::ChannelKind.eq(kind.key()))
        .one(&**tx)
        .await?
        .is_some())
}

/// Opts a contact out of (or back into) messages on a kind of channel; returns the kinds
/// the contact is now opted out of.
pub async fn set_opt_out(
    deps: &Deps,
    ctx: &TenantCtx,
    contact_id: Uuid,
    kind: ChannelKind,
    opted_out: bool,
) -> Result<Vec<ChannelKind>> {
    ctx.require(Permission::MessagingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<contacts::Entity>(contact_id, "contact").await?;
    if opted_out {
        record_opt_out(&tx, contact_id, kind, "team").await?;
    } else {
        opt_outs::Entity::delete_many()
            .filter(opt_outs::Column::TenantId.eq(ctx.tenant_id))
            .filter(opt_outs::Column::ContactId.eq(contact_id))
            .filter(opt_outs::Column::ChannelKind.eq(kind.key()))
            .exec(&*tx)
            .await?;
    }
    audit::record(
        &mut tx,
        ctx,
        if opted_out {
            "messaging.contact.opted_out"
        } else {
            "messaging.contact.opted_in"
        },
        ("contact", Some(contact_id)),
        serde_json::json!({ "channelKind": kind.key() }),
    )
    .await?;
    let kinds = opt_out_kinds(&tx, contact_id).await?;
    tx.commit().await?;
    Ok(kinds)
}

async fn opt_out_kinds(tx: &TenantTx, contact_id: Uuid) -> Result<Vec<ChannelKind>> {
    tx.select::<opt_outs::Entity>()
        .filter(opt_outs::Column::ContactId.eq(contact_id))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|o| ChannelKind::from_stored(&o.channel_kind))
        .collect()
}

/// The kinds of channel each contact opted out of, for the contact's `optOuts` field.
pub async fn opt_outs_of(
    deps: &Deps,
    ctx: &TenantCtx,
    contact_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ChannelKind>>> {
    ctx.require(Permission::MessagingRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<opt_outs::Entity>()
        .filter(opt_outs::Column::ContactId.is_in(contact_ids.iter().copied()))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    let mut out: HashMap<Uuid, Vec<ChannelKind>> = HashMap::new();
    for row in rows {
        out.entry(row.contact_id)
            .or_default()
            .push(ChannelKind::from_stored(&row.channel_kind)?);
    }
    Ok(out)
}
