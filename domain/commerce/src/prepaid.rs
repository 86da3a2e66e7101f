//! Prepaid cards: an RFID tag or QR a customer loads at the till and spends at the bar,
//! charged by the till or by a reader device.
//!
//! The balance lives on the card's row and every change is an entry in an append-only
//! ledger. A charge is one conditional `UPDATE … WHERE balance >= amount`, so a hundred
//! concurrent charges on one card take exactly what it holds and never more; an entry's
//! transaction id is unique per card, so a reader's retried charge is applied once and
//! answers what the first try did.

use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    TryIntoModel,
};
use tianguis_entity::commerce::{prepaid_cards as cards, prepaid_entries as entries};
use tianguis_kernel::rules::{from_minor, money_minor, optional_text};
use uuid::Uuid;

use crate::db::{TenantTx, raw, stamped, tenant_region};
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::pos::PaymentMethod;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use cards::Model as Card;
pub use entries::Model as Entry;

tianguis_kernel::stored_enum! {
    pub enum CardStatus {
        Active = "active",
        /// Lost or retired: it cannot be charged or loaded.
        Blocked = "blocked",
    }
}

tianguis_kernel::stored_enum! {
    pub enum EntryKind {
        TopUp = "top_up",
        Charge = "charge",
        Refund = "refund",
        TransferIn = "transfer_in",
        TransferOut = "transfer_out",
    }
}

/// Why a charge was declined; readers show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declined {
    UnknownCard,
    CardBlocked,
    InsufficientBalance,
}

impl Declined {
    pub fn code(self) -> &'static str {
        match self {
            Declined::UnknownCard => "UNKNOWN_CARD",
            Declined::CardBlocked => "CARD_BLOCKED",
            Declined::InsufficientBalance => "INSUFFICIENT_BALANCE",
        }
    }
}

/// What a charge came to: approved with its entry (`replayed` when a retry found it
/// written), or declined with the balance the card still holds.
#[derive(Clone, Debug)]
pub enum Charged {
    Approved { entry: Box<Entry>, replayed: bool },
    Declined { reason: Declined, balance: i64 },
}

/// Whoever works the till may issue and load cards.
fn require_till(ctx: &TenantCtx) -> Result<()> {
    ctx.require(Permission::PosOperate)
        .or_else(|_| ctx.require(Permission::CommerceWrite))
}

/// A card's UID as readers send it: letters, digits and dashes, upper-cased.
pub fn card_uid(raw: &str, field: &'static str) -> Result<String> {
    let uid: String = raw.trim().to_uppercase().replace([':', ' '], "");
    if (4..=64).contains(&uid.len()) && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(uid)
    } else {
        Err(Error::invalid(
            field,
            "a card UID is 4 to 64 letters, digits and dashes",
        ))
    }
}

fn transaction_id(raw: &str) -> Result<String> {
    let id = raw.trim();
    if (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(id.to_owned())
    } else {
        Err(Error::invalid(
            "transactionId",
            "a transaction id is 1 to 100 printable characters",
        ))
    }
}

/// Issues a card with a zero balance.
pub async fn issue(
    deps: &Deps,
    ctx: &TenantCtx,
    uid: &str,
    contact_id: Option<Uuid>,
    label: Option<String>,
) -> Result<Card> {
    require_till(ctx)?;
    let uid = card_uid(uid, "uid")?;
    let label = optional_text(label.as_deref(), "label", 80)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(contact) = contact_id {
        tx.get::<tianguis_entity::crm::contacts::Entity>(contact, "contact")
            .await
            .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let card = tx
        .insert(cards::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            uid: Set(uid),
            contact_id: Set(contact_id),
            label: Set(label),
            status: Set(CardStatus::Active.key().into()),
            currency: Set(currency),
            balance_minor: Set(0),
            replaced_by: Set(None),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_prepaid_cards_uid",
                "prepaid_cards.tenant_id, prepaid_cards.uid",
                "uid",
                "a card with this UID exists",
            )
        })?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.prepaid_card.issued",
        ("prepaid_card", Some(card.id)),
        serde_json::json!({ "uid": card.uid }),
    )
    .await?;
    tx.commit().await?;
    Ok(card)
}

#[derive(FromQueryResult)]
struct Balance {
    balance_minor: i64,
}

/// A new ledger entry, stamped.
#[allow(clippy::too_many_arguments)]
fn entry(
    tx: &TenantTx,
    card: &Card,
    kind: EntryKind,
    amount: i64,
    balance_after: i64,
    transaction_id: String,
    links: Links,
) -> Result<Entry> {
    Ok(stamped(
        tx.now(),
        entries::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(card.tenant_id),
            card_id: Set(card.id),
            kind: Set(kind.key().into()),
            amount_minor: Set(amount),
            balance_after_minor: Set(balance_after),
            transaction_id: Set(transaction_id),
            method: Set(links.method.map(|m| m.key().to_owned())),
            session_id: Set(links.session_id),
            ticket_id: Set(links.ticket_id),
            device_id: Set(links.device_id),
            actor_id: Set(links.actor_id),
            reference: Set(links.reference),
            ..Default::default()
        },
    )
    .try_into_model()?)
}

/// What an entry points at besides its card.
#[derive(Clone, Debug, Default)]
pub(crate) struct Links {
    pub method: Option<PaymentMethod>,
    pub session_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub reference: Option<String>,
}

/// Writes an entry; a transaction id the card already has answers CONFLICT on
/// `transactionId`.
async fn write_entry(tx: &TenantTx, entry: &Entry) -> Result<()> {
    entries::Entity::insert(entries::ActiveModel::from(entry.clone()))
        .exec_without_returning(&**tx)
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_prepaid_entries_transaction",
                "prepaid_entries.tenant_id, prepaid_entries.card_id, prepaid_entries.transaction_id",
                "transactionId",
                "this transaction id was used on the card",
            )
        })?;
    Ok(())
}

/// Adds `amount` (signed) to an active card's balance; a debit happens only when the card
/// holds it. None when the card is blocked or short.
async fn move_balance(tx: &TenantTx, card: Uuid, amount: i64) -> Result<Option<i64>> {
    Ok(Balance::find_by_statement(raw(
        tx.get_database_backend(),
        "UPDATE prepaid_cards SET balance_minor = balance_minor + $1, updated_at = $2
         WHERE tenant_id = $3 AND id = $4 AND status = 'active' AND balance_minor + $1 >= 0
         RETURNING balance_minor",
        [
            amount.into(),
            tx.now().into(),
            tx.tenant_id().into(),
            card.into(),
        ],
    ))
    .one(&**tx)
    .await?
    .map(|b| b.balance_minor))
}

async fn by_uid(tx: &TenantTx, uid: &str) -> Result<Option<Card>> {
    Ok(tx
        .select::<cards::Entity>()
        .filter(cards::Column::Uid.eq(uid))
        .one(&**tx)
        .await?)
}

/// The entry a transaction id already wrote on a card, if any.
async fn recorded(tx: &TenantTx, card: Uuid, transaction_id: &str) -> Result<Option<Entry>> {
    Ok(tx
        .select::<entries::Entity>()
        .filter(entries::Column::CardId.eq(card))
        .filter(entries::Column::TransactionId.eq(transaction_id))
        .one(&**tx)
        .await?)
}

/// Charges `amount` to the card with `uid` inside the caller's transaction. A transaction
/// id the card has seen answers that charge again (the same amount) or CONFLICT.
pub(crate) async fn charge_in(
    tx: &TenantTx,
    uid: &str,
    amount: i64,
    transaction_id: String,
    links: Links,
) -> Result<Charged> {
    let Some(card) = by_uid(tx, uid).await? else {
        return Ok(Charged::Declined {
            reason: Declined::UnknownCard,
            balance: 0,
        });
    };
    if let Some(done) = recorded(tx, card.id, &transaction_id).await? {
        return replayed(done, amount);
    }
    let Some(balance) = move_balance(tx, card.id, -amount).await? else {
        let reason = if card.status == CardStatus::Blocked.key() {
            Declined::CardBlocked
        } else {
            Declined::InsufficientBalance
        };
        return Ok(Charged::Declined {
            reason,
            balance: card.balance_minor,
        });
    };
    let entry = entry(
        tx,
        &card,
        EntryKind::Charge,
        -amount,
        balance,
        transaction_id,
        links,
    )?;
    write_entry(tx, &entry).await?;
    Ok(Charged::Approved {
        entry: Box::new(entry),
        replayed: false,
    })
}

/// Gives `amount` back to the card with `uid` (a return paid with it), inside the caller's
/// transaction.
pub(crate) async fn refund_in(
    tx: &TenantTx,
    uid: &str,
    amount: i64,
    transaction_id: String,
    links: Links,
) -> Result<Entry> {
    let card = by_uid(tx, uid)
        .await?
        .ok_or_else(|| Error::invalid("cardUid", "no such card"))?;
    let balance = move_balance(tx, card.id, amount)
        .await?
        .ok_or_else(|| Error::invalid("cardUid", "the card is blocked"))?;
    let entry = entry(
        tx,
        &card,
        EntryKind::Refund,
        amount,
        balance,
        transaction_id,
        links,
    )?;
    write_entry(tx, &entry).await?;
    Ok(entry)
}

/// A charge the card already has under this transaction id: the same answer for the same
/// amount, a conflict for another.
fn replayed(done: Entry, amount: i64) -> Result<Charged> {
    if done.kind == EntryKind::Charge.key() && done.amount_minor == -amount {
        Ok(Charged::Approved {
            entry: Box::new(done),
            replayed: true,
        })
    } else {
        Err(Error::conflict(
            "transactionId",
            "this transaction id was used on the card for something else",
        ))
    }
}

/// A reader device charges a card: approved with the new balance or declined with a
/// reason, and the business's currency. Safe to retry with the same transaction id.
pub async fn charge_by_device(
    deps: &Deps,
    tenant_id: Uuid,
    device_id: Uuid,
    uid: &str,
    amount: Decimal,
    transaction_id: &str,
) -> Result<(Charged, String)> {
    let ctx = TenantCtx::system(tenant_id);
    let uid = card_uid(uid, "cardUid")?;
    let transaction_id = self::transaction_id(transaction_id)?;
    let attempt = async {
        let mut tx = TenantTx::begin(deps, tenant_id).await?;
        let currency = tenant_region(&*tx, tenant_id).await?.currency;
        let amount = money_minor(amount, &currency, "amount")?;
        if amount == 0 {
            return Err(Error::invalid("amount", "amount must be above zero"));
        }
        let links = Links {
            device_id: Some(device_id),
            ..Links::default()
        };
        let charged = charge_in(&tx, &uid, amount, transaction_id.clone(), links).await?;
        if let Charged::Approved {
            entry,
            replayed: false,
        } = &charged
        {
            audit::record(
                &mut tx,
                &ctx,
                "commerce.prepaid_card.charged",
                ("prepaid_card", Some(entry.card_id)),
                serde_json::json!({ "amount": from_minor(amount, &currency), "deviceId": device_id,
                                    "transactionId": entry.transaction_id }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok((charged, currency))
    };
    match attempt.await {
        // The id is on the card already: a race this try lost (answer what the first did),
        // or a reuse with another amount (a conflict).
        Err(Error::Conflict {
            field: "transactionId",
            ..
        }) => {
            let tx = TenantTx::begin(deps, tenant_id).await?;
            let card = by_uid(&tx, &uid).await?.ok_or(Error::NotFound("card"))?;
            let done = recorded(&tx, card.id, &transaction_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the transaction's entry vanished"))?;
            tx.commit().await?;
            // The same id with another amount is a conflict, not a replay.
            let amount = money_minor(amount, &card.currency, "amount")?;
            Ok((replayed(done, amount)?, card.currency))
        }
        other => other,
    }
}

/// Loads money onto a card at the till, paid in cash, by card or by transfer within the
/// cashier's open session (cash top-ups are money in the drawer).
pub async fn top_up(
    deps: &Deps,
    ctx: &TenantCtx,
    card_id: Uuid,
    session_id: Uuid,
    amount: Decimal,
    method: PaymentMethod,
    transaction_id: &str,
) -> Result<(Card, Entry)> {
    ctx.require(Permission::PosOperate)?;
    let cashier = ctx
        .actor_user()
        .ok_or_else(|| Error::invalid("sessionId", "a top-up is made in a person's session"))?;
    if method == PaymentMethod::PrepaidCard {
        return Err(Error::invalid("method", "a card is not loaded from a card"));
    }
    let transaction_id = self::transaction_id(transaction_id)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let session = crate::pos::selling_session(&tx, session_id, cashier).await?;
    let card = tx.get::<cards::Entity>(card_id, "prepaid card").await?;
    let amount = money_minor(amount, &card.currency, "amount")?;
    if amount == 0 {
        return Err(Error::invalid("amount", "amount must be above zero"));
    }
    if let Some(done) = recorded(&tx, card.id, &transaction_id).await? {
        tx.commit().await?;
        if done.kind == EntryKind::TopUp.key() && done.amount_minor == amount {
            return Ok((card, done));
        }
        return Err(Error::conflict(
            "transactionId",
            "this transaction id was used on the card for something else",
        ));
    }
    let balance = move_balance(&tx, card.id, amount)
        .await?
        .ok_or_else(|| Error::invalid("cardId", "the card is blocked"))?;
    let links = Links {
        method: Some(method),
        session_id: Some(session.id),
        actor_id: Some(cashier),
        ..Links::default()
    };
    let entry = entry(
        &tx,
        &card,
        EntryKind::TopUp,
        amount,
        balance,
        transaction_id,
        links,
    )?;
    write_entry(&tx, &entry).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.prepaid_card.topped_up",
        ("prepaid_card", Some(card.id)),
        serde_json::json!({ "amount": from_minor(amount, &card.currency), "method": method.key() }),
    )
    .await?;
    tx.commit().await?;
    Ok((
        Card {
            balance_minor: balance,
            ..card
        },
        entry,
    ))
}

/// A Stripe Checkout page where the card's holder loads `amount` by card from their phone;
/// the top-up is written when Stripe reports the payment.
pub async fn checkout_link(
    deps: &Deps,
    ctx: &TenantCtx,
    card_id: Uuid,
    amount: Decimal,
) -> Result<String> {
    ctx.require(Permission::PosOperate)
        .or_else(|_| ctx.require(Permission::CommerceWrite))?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let card = tx.get::<cards::Entity>(card_id, "prepaid card").await?;
    let email = crate::online::email_of(&tx, card.contact_id).await?;
    tx.commit().await?;
    if card.status != CardStatus::Active.key() {
        return Err(Error::invalid("cardId", "the card is blocked"));
    }
    let amount = money_minor(amount, &card.currency, "amount")?;
    if amount <= 0 {
        return Err(Error::invalid("amount", "amount must be above zero"));
    }
    let link = crate::online::checkout(
        deps,
        ctx,
        crate::online::Page {
            subject: ("prepaid_card_id", card_id),
            return_path: format!("prepaid-cards/{card_id}"),
            description: format!(
                "Recarga de tarjeta {}",
                card.label.as_deref().unwrap_or(&card.uid)
            ),
            amount,
            currency: &card.currency,
            customer_email: email,
            // Every request is a new page: two top-ups of one amount are two purchases.
            idempotency_key: format!("prepaid-top-up-{}", Uuid::now_v7()),
        },
    )
    .await?;
    Ok(link.url)
}

/// The card a payment provider's event names, inside its transaction.
pub async fn get_in(tx: &TenantTx, id: Uuid) -> Result<Card> {
    tx.get::<cards::Entity>(id, "prepaid card").await
}

/// A top-up Stripe reports: loaded once per payment intent, whichever of its events comes
/// first. Money for a card blocked meanwhile is recorded as `commerce.prepaid_card.top_up_unapplied`
/// for a person to settle.
pub async fn paid_online(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    card: Card,
    payment_intent: &str,
    amount: i64,
    currency: &str,
) -> Result<()> {
    let transaction_id = format!("stripe:{payment_intent}");
    if recorded(tx, card.id, &transaction_id).await?.is_some() {
        return Ok(());
    }
    let currency = currency.to_uppercase();
    let loaded = if currency == card.currency {
        move_balance(tx, card.id, amount).await?
    } else {
        None
    };
    let Some(balance) = loaded else {
        return audit::record(
            tx,
            ctx,
            "commerce.prepaid_card.top_up_unapplied",
            ("prepaid_card", Some(card.id)),
            serde_json::json!({
                "paymentIntent": payment_intent,
                "amount": from_minor(amount, &currency).to_string(),
                "currency": currency,
                "reason": if currency == card.currency { "the card is blocked" } else { "another currency" },
            }),
        )
        .await;
    };
    let links = Links {
        method: Some(PaymentMethod::Card),
        reference: Some(payment_intent.to_owned()),
        ..Links::default()
    };
    let entry = entry(
        tx,
        &card,
        EntryKind::TopUp,
        amount,
        balance,
        transaction_id,
        links,
    )?;
    write_entry(tx, &entry).await?;
    audit::record(
        tx,
        ctx,
        "commerce.prepaid_card.topped_up",
        ("prepaid_card", Some(card.id)),
        serde_json::json!({ "amount": from_minor(amount, &card.currency), "method": "stripe", "paymentIntent": payment_intent }),
    )
    .await
}

/// Blocks a lost card; with `move_to`, its balance goes to that (active) card in the same
/// transaction, as a pair of entries.
pub async fn block(
    deps: &Deps,
    ctx: &TenantCtx,
    card_id: Uuid,
    move_to: Option<Uuid>,
) -> Result<Card> {
    ctx.require(Permission::CommerceWrite)?;
    if move_to == Some(card_id) {
        return Err(Error::invalid("moveToCardId", "pick another card"));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let card = tx.get::<cards::Entity>(card_id, "prepaid card").await?;
    if card.status == CardStatus::Blocked.key() {
        return Err(Error::invalid("id", "the card is already blocked"));
    }
    // Take the whole balance while the card is still active: a charge racing the block
    // either lands first (and is moved net of it) or finds the card blocked.
    let held = Balance::find_by_statement(raw(
        tx.get_database_backend(),
        "UPDATE prepaid_cards SET status = 'blocked', replaced_by = $1, updated_at = $2
         WHERE tenant_id = $3 AND id = $4 AND status = 'active'
         RETURNING balance_minor",
        [
            move_to.into(),
            tx.now().into(),
            ctx.tenant_id.into(),
            card.id.into(),
        ],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| Error::invalid("id", "the card is already blocked"))?
    .balance_minor;
    if let Some(target_id) = move_to {
        let target = tx
            .get::<cards::Entity>(target_id, "prepaid card")
            .await
            .map_err(|_| Error::invalid("moveToCardId", "no such card"))?;
        if held > 0 {
            let reference = Uuid::now_v7().to_string();
            let credited = move_balance(&tx, target.id, held)
                .await?
                .ok_or_else(|| Error::invalid("moveToCardId", "that card is blocked"))?;
            cards::Entity::update_many()
                .col_expr(
                    cards::Column::BalanceMinor,
                    sea_orm::sea_query::Expr::value(0_i64),
                )
                .filter(cards::Column::TenantId.eq(ctx.tenant_id))
                .filter(cards::Column::Id.eq(card.id))
                .exec(&*tx)
                .await?;
            let actor = Links {
                actor_id: ctx.actor_user(),
                ..Links::default()
            };
            let out = entry(
                &tx,
                &card,
                EntryKind::TransferOut,
                -held,
                0,
                reference.clone(),
                actor.clone(),
            )?;
            let into = entry(
                &tx,
                &target,
                EntryKind::TransferIn,
                held,
                credited,
                reference,
                actor,
            )?;
            write_entry(&tx, &out).await?;
            write_entry(&tx, &into).await?;
        }
    }
    audit::record(
        &mut tx,
        ctx,
        "commerce.prepaid_card.blocked",
        ("prepaid_card", Some(card.id)),
        serde_json::json!({ "movedTo": move_to, "balance": from_minor(held, &card.currency) }),
    )
    .await?;
    let card = tx.get::<cards::Entity>(card.id, "prepaid card").await?;
    tx.commit().await?;
    Ok(card)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Card> {
    crate::catalog::require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let card = tx.get::<cards::Entity>(id, "prepaid card").await?;
    tx.commit().await?;
    Ok(card)
}

pub async fn get_by_uid(deps: &Deps, ctx: &TenantCtx, uid: &str) -> Result<Card> {
    crate::catalog::require_catalog_read(ctx)?;
    let uid = card_uid(uid, "uid")?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let card = by_uid(&tx, &uid)
        .await?
        .ok_or(Error::NotFound("prepaid card"))?;
    tx.commit().await?;
    Ok(card)
}

pub async fn list(deps: &Deps, ctx: &TenantCtx, page: &PageRequest) -> Result<Page<Card>> {
    crate::catalog::require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let page = paginate(
        &*tx,
        tx.select::<cards::Entity>(),
        cards::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// A card's ledger, newest first.
pub async fn entries(
    deps: &Deps,
    ctx: &TenantCtx,
    card_id: Uuid,
    page: &PageRequest,
) -> Result<Page<Entry>> {
    crate::catalog::require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    tx.get::<cards::Entity>(card_id, "prepaid card").await?;
    let select = tx
        .select::<entries::Entity>()
        .filter(entries::Column::CardId.eq(card_id));
    let page = paginate(&*tx, select, entries::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}
