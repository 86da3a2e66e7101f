//! The point of sale: registers, cash sessions and tickets (sales and returns).
//!
//! A cashier sells only in a session they opened; closing it compares what the tickets say
//! each payment method should hold with what was counted. A ticket carries the till's
//! idempotency key: a till that retries after a timeout gets the ticket it already
//! recorded, never a second sale.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tianguis_entity::commerce::{cash_sessions, registers, ticket_lines, ticket_payments, tickets};
use tianguis_kernel::pricing::Tax;
use tianguis_kernel::rules::{from_minor, money_minor, optional_text, required_text};
use uuid::Uuid;

use crate::amounts::{self, from_milli, line_figures};
use crate::catalog::{self, ProductStatus, ieps_of, require_catalog_read, unit_of};
use crate::db::{TenantTx, Touched, stamped, tenant_region};
use crate::error::conflict_on;
use crate::page::{Page, PageRequest, SortDirection, paginate};
use crate::stock::{Move, MovementKind, active_location, apply_moves, variants_with_products};
use crate::{Deps, Error, Permission, Result, TenantCtx, audit, prepaid};

pub use cash_sessions::Model as CashSession;
pub use registers::Model as Register;
pub use ticket_lines::Model as TicketLine;
pub use ticket_payments::Model as TicketPayment;
pub use tickets::Model as Ticket;

tianguis_kernel::stored_enum! {
    pub enum SessionStatus {
        Open = "open",
        Closed = "closed",
    }
}

tianguis_kernel::stored_enum! {
    pub enum TicketKind {
        Sale = "sale",
        Return = "return",
    }
}

tianguis_kernel::stored_enum! {
    pub enum PaymentMethod {
        Cash = "cash",
        /// A card on the store's terminal; the terminal's reference is kept.
        Card = "card",
        Transfer = "transfer",
        /// A prepaid card of the business, charged on the spot.
        PrepaidCard = "prepaid_card",
    }
}

/// Lines one ticket may have.
pub const MAX_LINES: usize = 200;

/// Whoever sees commerce sees every session and ticket; a cashier sees their own.
enum Sight {
    All,
    Own(Uuid),
}

fn sight(ctx: &TenantCtx) -> Result<Sight> {
    if ctx.require(Permission::CommerceRead).is_ok() {
        return Ok(Sight::All);
    }
    ctx.require(Permission::PosOperate)?;
    ctx.actor_user()
        .map(Sight::Own)
        .ok_or(Error::Forbidden(Permission::CommerceRead))
}

fn cashier(ctx: &TenantCtx) -> Result<Uuid> {
    ctx.require(Permission::PosOperate)?;
    ctx.actor_user().ok_or_else(|| {
        Error::invalid(
            "sessionId",
            "a cash session belongs to a person: sign in rather than use an API key",
        )
    })
}

// ---- registers ----

pub async fn create_register(
    deps: &Deps,
    ctx: &TenantCtx,
    name: &str,
    location_id: Uuid,
) -> Result<Register> {
    ctx.require(Permission::CommerceWrite)?;
    let name = required_text(name, "name", 80)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    active_location(&tx, location_id, "locationId").await?;
    let register = tx
        .insert(registers::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            location_id: Set(location_id),
            active: Set(true),
            ..Default::default()
        })
        .await
        .map_err(register_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.register.created",
        ("register", Some(register.id)),
        serde_json::json!({ "name": register.name, "locationId": location_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(register)
}

fn register_taken(e: sea_orm::DbErr) -> Error {
    conflict_on(
        e,
        "ux_registers_name",
        "registers.tenant_id, registers.name",
        "name",
        "a register with this name exists",
    )
}

pub async fn update_register(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    active: Option<bool>,
) -> Result<Register> {
    ctx.require(Permission::CommerceWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: registers::ActiveModel =
        tx.get::<registers::Entity>(id, "register").await?.into();
    if let Some(name) = name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    if let Some(active) = active {
        model.active = Set(active);
    }
    let register = tx.update(model).await.map_err(register_taken)?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.register.updated",
        ("register", Some(register.id)),
        serde_json::json!({ "name": register.name, "active": register.active }),
    )
    .await?;
    tx.commit().await?;
    Ok(register)
}

pub async fn list_registers(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Register>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<registers::Entity>()
        .order_by_asc(registers::Column::Name)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn registers_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Register>> {
    require_catalog_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx.get_many::<registers::Entity>(ids).await?;
    tx.commit().await?;
    Ok(found)
}

// ---- cash sessions ----

/// Opens the caller's session at a register with the cash float in the drawer.
pub async fn open_session(
    deps: &Deps,
    ctx: &TenantCtx,
    register_id: Uuid,
    opening_float: Decimal,
) -> Result<CashSession> {
    let cashier = cashier(ctx)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let register = tx.get::<registers::Entity>(register_id, "register").await?;
    if !register.active {
        return Err(Error::invalid("registerId", "the register is out of use"));
    }
    let currency = tenant_region(&*tx, ctx.tenant_id).await?.currency;
    let float = money_minor(opening_float, &currency, "openingFloat")?;
    let session = tx
        .insert(cash_sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            register_id: Set(register.id),
            cashier_id: Set(cashier),
            status: Set(SessionStatus::Open.key().into()),
            currency: Set(currency),
            opening_float_minor: Set(float),
            opened_at: Set(tx.now()),
            closed_at: Set(None),
            expected: Set(None),
            counted: Set(None),
            difference_minor: Set(None),
            note: Set(None),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_cash_sessions_open_register",
                "cash_sessions.tenant_id, cash_sessions.register_id",
                "registerId",
                "the register already has an open session",
            )
        })?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.cash_session.opened",
        ("cash_session", Some(session.id)),
        serde_json::json!({ "registerId": register.id, "openingFloat": from_minor(float, &session.currency) }),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// What a method should hold or was counted at close, in minor units.
pub type ByMethod = BTreeMap<String, i64>;

/// Closes a session with what was counted per payment method. The expected figures come
/// from the session's tickets (cash adds the opening float); the difference is kept.
pub async fn close_session(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    counted: Vec<(PaymentMethod, Decimal)>,
    note: Option<String>,
) -> Result<CashSession> {
    let cashier = cashier(ctx)?;
    let note = optional_text(note.as_deref(), "note", 1_000)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let session = own_session(&tx, ctx, id, cashier).await?;
    if session.status != SessionStatus::Open.key() {
        return Err(Error::invalid("id", "the session is already closed"));
    }
    let expected = expected_of(&tx, &session).await?;
    let mut counted_minor = ByMethod::new();
    for (method, amount) in counted {
        let minor = money_minor(amount, &session.currency, "counted")?;
        if counted_minor.insert(method.key().into(), minor).is_some() {
            return Err(Error::invalid("counted", "one amount per method"));
        }
    }
    let all: i64 = counted_minor.values().sum::<i64>() - expected.values().sum::<i64>();
    let mut model: cash_sessions::ActiveModel = session.into();
    model.status = Set(SessionStatus::Closed.key().into());
    model.closed_at = Set(Some(tx.now()));
    model.expected = Set(Some(serde_json::json!(expected)));
    model.counted = Set(Some(serde_json::json!(counted_minor)));
    model.difference_minor = Set(Some(all));
    model.note = Set(note);
    let session = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "commerce.cash_session.closed",
        ("cash_session", Some(session.id)),
        serde_json::json!({ "difference": from_minor(all, &session.currency) }),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The session, if the caller may work in it: their own, or any for a manager.
async fn own_session(
    tx: &TenantTx,
    ctx: &TenantCtx,
    id: Uuid,
    cashier: Uuid,
) -> Result<CashSession> {
    let session = tx.get::<cash_sessions::Entity>(id, "cash session").await?;
    if session.cashier_id != cashier && ctx.require(Permission::CommerceWrite).is_err() {
        // Another cashier's session is not theirs to see.
        return Err(Error::NotFound("cash session"));
    }
    Ok(session)
}

/// Per method, what the session's tickets took in (less refunds); cash adds the float.
async fn expected_of(tx: &TenantTx, session: &CashSession) -> Result<ByMethod> {
    let mut expected = ByMethod::new();
    expected.insert(
        PaymentMethod::Cash.key().into(),
        session.opening_float_minor,
    );
    for taken in takings(tx, &[session.id]).await? {
        *expected.entry(taken.method).or_default() += taken.amount.unwrap_or(0);
    }
    Ok(expected)
}

#[derive(FromQueryResult)]
struct Taken {
    session_id: Uuid,
    method: String,
    amount: Option<i64>,
}

/// Per session and method, the money that came into the till: tickets' payments (less
/// refunds) and prepaid top-ups. Prepaid card payments move no money, so they are left out.
/// Two statements.
async fn takings(tx: &TenantTx, sessions: &[Uuid]) -> Result<Vec<Taken>> {
    use tianguis_entity::commerce::prepaid_entries as entries;
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let mut taken = ticket_payments::Entity::find()
        .select_only()
        .column(ticket_payments::Column::SessionId)
        .column(ticket_payments::Column::Method)
        // PostgreSQL sums bigints as numeric: cast back to read an i64.
        .column_as(
            Expr::cust("CAST(SUM(ticket_payments.amount_minor) AS BIGINT)"),
            "amount",
        )
        .filter(ticket_payments::Column::TenantId.eq(tx.tenant_id()))
        .filter(ticket_payments::Column::SessionId.is_in(sessions.iter().copied()))
        .filter(ticket_payments::Column::Method.ne(PaymentMethod::PrepaidCard.key()))
        .group_by(ticket_payments::Column::SessionId)
        .group_by(ticket_payments::Column::Method)
        .into_model::<Taken>()
        .all(&**tx)
        .await?;
    let top_ups = entries::Entity::find()
        .select_only()
        .column(entries::Column::SessionId)
        .column(entries::Column::Method)
        .column_as(
            Expr::cust("CAST(SUM(prepaid_entries.amount_minor) AS BIGINT)"),
            "amount",
        )
        .filter(entries::Column::TenantId.eq(tx.tenant_id()))
        .filter(entries::Column::SessionId.is_in(sessions.iter().copied()))
        .filter(entries::Column::Kind.eq(crate::prepaid::EntryKind::TopUp.key()))
        .group_by(entries::Column::SessionId)
        .group_by(entries::Column::Method)
        .into_model::<Taken>()
        .all(&**tx)
        .await?;
    taken.extend(top_ups);
    Ok(taken)
}

/// A figure per method as stored in a session's JSON.
pub fn by_method(value: Option<&serde_json::Value>) -> ByMethod {
    value
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

pub async fn get_session(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<CashSession> {
    let sight = sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let session = tx.get::<cash_sessions::Entity>(id, "cash session").await?;
    tx.commit().await?;
    match sight {
        Sight::Own(user) if session.cashier_id != user => Err(Error::NotFound("cash session")),
        _ => Ok(session),
    }
}

/// Per session, what its tickets hold per method (the float in cash): what a close compares
/// the count with, or what it compared once closed. Two statements per batch.
pub async fn expected_by_sessions(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, ByMethod>> {
    let sight = sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut sessions = tx.get_many::<cash_sessions::Entity>(ids).await?;
    if let Sight::Own(user) = sight {
        sessions.retain(|_, s| s.cashier_id == user);
    }
    let open: Vec<Uuid> = sessions
        .values()
        .filter(|s| s.expected.is_none())
        .map(|s| s.id)
        .collect();
    let sums = takings(&tx, &open).await?;
    tx.commit().await?;
    let mut found: HashMap<Uuid, ByMethod> = HashMap::new();
    for session in sessions.values() {
        let figures = match &session.expected {
            Some(stored) => by_method(Some(stored)),
            None => {
                let mut open = ByMethod::new();
                open.insert(
                    PaymentMethod::Cash.key().into(),
                    session.opening_float_minor,
                );
                open
            }
        };
        found.insert(session.id, figures);
    }
    for sum in sums {
        *found
            .entry(sum.session_id)
            .or_default()
            .entry(sum.method)
            .or_default() += sum.amount.unwrap_or(0);
    }
    Ok(found)
}

/// The caller's open session, if any: a till reloads it after a restart.
pub async fn my_open_session(deps: &Deps, ctx: &TenantCtx) -> Result<Option<CashSession>> {
    let cashier = cashier(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<cash_sessions::Entity>()
        .filter(cash_sessions::Column::CashierId.eq(cashier))
        .filter(cash_sessions::Column::Status.eq(SessionStatus::Open.key()))
        .order_by_desc(cash_sessions::Column::Id)
        .one(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

#[derive(Clone, Debug, Default)]
pub struct SessionFilter {
    pub register_id: Option<Uuid>,
    pub status: Option<SessionStatus>,
}

pub async fn list_sessions(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: SessionFilter,
    page: &PageRequest,
) -> Result<Page<CashSession>> {
    let sight = sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<cash_sessions::Entity>();
    if let Sight::Own(user) = sight {
        select = select.filter(cash_sessions::Column::CashierId.eq(user));
    }
    if let Some(register) = filter.register_id {
        select = select.filter(cash_sessions::Column::RegisterId.eq(register));
    }
    if let Some(status) = filter.status {
        select = select.filter(cash_sessions::Column::Status.eq(status.key()));
    }
    let page = paginate(
        &*tx,
        select,
        cash_sessions::Column::Id,
        SortDirection::Desc,
        page,
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

// ---- tickets ----

#[derive(Clone, Debug, Serialize)]
pub struct LineInput {
    pub variant_id: Option<Uuid>,
    /// A barcode or SKU, as scanned or typed.
    pub code: Option<String>,
    pub quantity: Decimal,
    pub discount: Option<Decimal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PaymentInput {
    pub method: PaymentMethod,
    /// For cash, what the customer handed over; the change comes out of it.
    pub amount: Decimal,
    pub reference: Option<String>,
    /// For a prepaid card: its UID.
    pub card_uid: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TicketInput {
    pub session_id: Uuid,
    pub idempotency_key: String,
    pub contact_id: Option<Uuid>,
    /// Defaults to the list the customer's tags give, else the catalog's prices.
    pub price_list_id: Option<Uuid>,
    pub lines: Vec<LineInput>,
    pub payments: Vec<PaymentInput>,
    pub note: Option<String>,
}

/// A ticket with its lines and payments, as recorded.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub ticket: Ticket,
    pub lines: Vec<TicketLine>,
    pub payments: Vec<TicketPayment>,
}

fn idempotency_key(raw: &str) -> Result<String> {
    let key = raw.trim();
    if !(8..=100).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "idempotencyKey",
            "an idempotency key is 8 to 100 printable characters (a UUID is ideal)",
        ));
    }
    Ok(key.to_owned())
}

fn request_hash(input: &impl Serialize) -> Result<String> {
    let body = serde_json::to_vec(input).map_err(anyhow::Error::from)?;
    Ok(hex::encode(Sha256::digest(&body)))
}

/// The ticket a key recorded, if any; the same key with other content is a conflict.
async fn recorded_for_key(tx: &TenantTx, key: &str, hash: &str) -> Result<Option<Recorded>> {
    let Some(ticket) = tx
        .select::<tickets::Entity>()
        .filter(tickets::Column::IdempotencyKey.eq(key))
        .one(&**tx)
        .await?
    else {
        return Ok(None);
    };
    if ticket.request_hash != hash {
        return Err(Error::conflict(
            "idempotencyKey",
            "this key recorded a different ticket; use a new key for a new sale",
        ));
    }
    Ok(Some(with_parts(tx, ticket).await?))
}

async fn with_parts(tx: &TenantTx, ticket: Ticket) -> Result<Recorded> {
    let lines = tx
        .select::<ticket_lines::Entity>()
        .filter(ticket_lines::Column::TicketId.eq(ticket.id))
        .order_by_asc(ticket_lines::Column::Position)
        .all(&**tx)
        .await?;
    let payments = tx
        .select::<ticket_payments::Entity>()
        .filter(ticket_payments::Column::TicketId.eq(ticket.id))
        .order_by_asc(ticket_payments::Column::Id)
        .all(&**tx)
        .await?;
    Ok(Recorded {
        ticket,
        lines,
        payments,
    })
}

/// The open session the caller sells in, at an active register.
pub(crate) async fn selling_session(tx: &TenantTx, id: Uuid, cashier: Uuid) -> Result<CashSession> {
    let session = tx
        .get::<cash_sessions::Entity>(id, "cash session")
        .await
        .map_err(|_| Error::invalid("sessionId", "no such cash session"))?;
    if session.cashier_id != cashier {
        return Err(Error::invalid(
            "sessionId",
            "a cashier sells only in a session they opened",
        ));
    }
    if session.status != SessionStatus::Open.key() {
        return Err(Error::invalid("sessionId", "the session is closed"));
    }
    Ok(session)
}

/// How a ticket's payments settle its total: what each method keeps, and the change.
#[derive(Debug, PartialEq, Eq)]
pub struct Settlement {
    /// (method, amount kept, amount handed over for cash)
    pub kept: Vec<(PaymentMethod, i64, Option<i64>)>,
    pub change: i64,
}

/// Splits `total` over the payments given: together they must cover it, only cash may go
/// over (the difference is the change), and the change comes out of the cash.
pub fn settle(total: i64, payments: &[(PaymentMethod, i64)]) -> Result<Settlement> {
    let paid: i64 = payments.iter().map(|(_, amount)| amount).sum();
    if paid < total {
        return Err(Error::invalid(
            "payments",
            "the payments do not cover the total",
        ));
    }
    let cash: i64 = payments
        .iter()
        .filter(|(m, _)| *m == PaymentMethod::Cash)
        .map(|(_, a)| a)
        .sum();
    let change = paid - total;
    if change > cash {
        return Err(Error::invalid(
            "payments",
            "only cash can be given back as change: card and transfer amounts cannot exceed the total",
        ));
    }
    let mut to_give = change;
    let kept = payments
        .iter()
        .map(|(method, amount)| {
            if *method == PaymentMethod::Cash {
                let back = std::cmp::min(to_give, *amount);
                to_give -= back;
                (*method, amount - back, Some(*amount))
            } else {
                (*method, *amount, None)
            }
        })
        .collect();
    Ok(Settlement { kept, change })
}

/// Letters and digits a person reads off a receipt without confusing them (no 0/O, 1/I/L).
const RECEIPT_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn receipt_code() -> String {
    tianguis_kernel::secrets::random_token(64)
        .to_uppercase()
        .bytes()
        .filter(|b| RECEIPT_ALPHABET.contains(b))
        .take(10)
        .map(char::from)
        .collect()
}

/// Records a sale: prices the lines (taxes included), takes the stock at the register's
/// location, settles the payments and keeps the change. The same idempotency key and
/// content return the ticket already recorded.
pub async fn create_ticket(deps: &Deps, ctx: &TenantCtx, input: TicketInput) -> Result<Recorded> {
    let cashier = cashier(ctx)?;
    let key = idempotency_key(&input.idempotency_key)?;
    let hash = request_hash(&input)?;
    let outcome = record_sale(deps, ctx, cashier, &key, &hash, input).await;
    after_race(deps, ctx, &key, &hash, outcome).await
}

/// Two tries with one key raced and this one lost on the unique key: it answers what the
/// winner recorded.
async fn after_race(
    deps: &Deps,
    ctx: &TenantCtx,
    key: &str,
    hash: &str,
    outcome: Result<Recorded>,
) -> Result<Recorded> {
    match outcome {
        Err(Error::Conflict {
            field: "idempotencyKey",
            ..
        }) => {
            let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
            let found = recorded_for_key(&tx, key, hash).await?;
            tx.commit().await?;
            found.ok_or_else(|| anyhow::anyhow!("the key's ticket vanished").into())
        }
        other => other,
    }
}

async fn record_sale(
    deps: &Deps,
    ctx: &TenantCtx,
    cashier: Uuid,
    key: &str,
    hash: &str,
    input: TicketInput,
) -> Result<Recorded> {
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("a ticket has 1 to {MAX_LINES} lines"),
        ));
    }
    if input.payments.is_empty() || input.payments.len() > 10 {
        return Err(Error::invalid("payments", "1 to 10 payments"));
    }
    let note = optional_text(input.note.as_deref(), "note", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(recorded) = recorded_for_key(&tx, key, hash).await? {
        return Ok(recorded);
    }
    let session = selling_session(&tx, input.session_id, cashier).await?;
    let register = tx
        .get::<registers::Entity>(session.register_id, "register")
        .await?;
    let location = active_location(&tx, register.location_id, "sessionId").await?;
    if let Some(contact) = input.contact_id {
        tx.get::<tianguis_entity::crm::contacts::Entity>(contact, "contact")
            .await
            .map_err(|_| Error::invalid("contactId", "no such contact"))?;
    }

    let ids = catalog::resolve_variants(
        &tx,
        input
            .lines
            .iter()
            .map(|l| (l.variant_id, l.code.as_deref())),
    )
    .await?;
    let (variants, products) = variants_with_products(&tx, &ids, "variantId").await?;
    let list = crate::price_lists::applicable(&tx, input.price_list_id, input.contact_id).await?;
    let listed = crate::price_lists::prices(&tx, list.as_ref(), &ids).await?;

    let currency = session.currency.clone();
    let ticket_id = Uuid::now_v7();
    let mut lines = Vec::with_capacity(ids.len());
    let mut moves_of = Vec::with_capacity(ids.len());
    for (position, (line, id)) in input.lines.iter().zip(&ids).enumerate() {
        let variant = &variants[id];
        let product = &products[&variant.product_id];
        if !variant.active || product.status != ProductStatus::Active.key() {
            return Err(Error::invalid(
                "lines",
                format!("{} ({}) is not for sale", product.name, variant.sku),
            ));
        }
        let quantity = amounts::quantity_milli(line.quantity, unit_of(product)?, "quantity")?;
        let discount = line
            .discount
            .map(|d| money_minor(d, &currency, "discount"))
            .transpose()?
            .unwrap_or(0);
        let tax = Tax::from_stored(&product.tax)?;
        let ieps = ieps_of(product)?;
        let price = listed.get(id).copied().unwrap_or(variant.price_minor);
        let figures = line_figures(quantity, price, discount, tax, ieps, &currency)?;
        lines.push(
            stamped(
                tx.now(),
                ticket_lines::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    ticket_id: Set(ticket_id),
                    position: Set(position as i32),
                    variant_id: Set(variant.id),
                    description: Set(describe(product, variant)),
                    sku: Set(variant.sku.clone()),
                    quantity_milli: Set(quantity),
                    unit: Set(product.unit.clone()),
                    unit_price_minor: Set(price),
                    discount_minor: Set(discount),
                    total_minor: Set(figures.total),
                    base_minor: Set(figures.base),
                    iva_minor: Set(figures.iva),
                    ieps_minor: Set(figures.ieps),
                    tax: Set(product.tax.clone()),
                    ieps_rate: Set(product.ieps_rate.clone()),
                    sat_product_key: Set(product.sat_product_key.clone()),
                    sat_unit_key: Set(product.sat_unit_key.clone()),
                    returned_milli: Set(0),
                    original_line_id: Set(None),
                    ..Default::default()
                },
            )
            .try_into_model()?,
        );
        moves_of.push((variant, product, quantity));
    }
    let total: i64 = lines.iter().map(|l| l.total_minor).sum();

    let given: Vec<(PaymentMethod, i64)> = input
        .payments
        .iter()
        .map(|p| Ok((p.method, money_minor(p.amount, &currency, "amount")?)))
        .collect::<Result<_>>()?;
    let settlement = settle(total, &given)?;
    let mut payments = Vec::with_capacity(given.len());
    for ((method, kept, tendered), given) in settlement.kept.iter().zip(&input.payments) {
        payments.push(
            stamped(
                tx.now(),
                ticket_payments::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    ticket_id: Set(ticket_id),
                    session_id: Set(session.id),
                    method: Set(method.key().into()),
                    amount_minor: Set(*kept),
                    tendered_minor: Set(*tendered),
                    reference: Set(optional_text(
                        given.reference.as_deref().or(given.card_uid.as_deref()),
                        "reference",
                        100,
                    )?),
                    ..Default::default()
                },
            )
            .try_into_model()?,
        );
    }

    let ticket = write_ticket(
        &tx,
        Header {
            id: ticket_id,
            session: &session,
            location_id: location.id,
            kind: TicketKind::Sale,
            original_ticket_id: None,
            key,
            hash,
            contact_id: input.contact_id,
            change: settlement.change,
            note,
        },
        &lines,
        &payments,
    )
    .await?;

    let moves: Vec<Move> = moves_of
        .iter()
        .map(|(variant, product, quantity)| Move {
            variant,
            product,
            location: &location,
            kind: MovementKind::Sale,
            quantity_milli: -quantity,
            unit_cost_minor: variant.cost_minor,
            reason: None,
            reference_id: Some(ticket_id),
            releases_milli: 0,
        })
        .collect();
    apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    for (index, ((method, kept, _), given)) in
        settlement.kept.iter().zip(&input.payments).enumerate()
    {
        if *method != PaymentMethod::PrepaidCard {
            continue;
        }
        let uid = prepaid_uid(given.card_uid.as_deref())?;
        let links = prepaid::Links {
            session_id: Some(session.id),
            ticket_id: Some(ticket_id),
            actor_id: Some(cashier),
            ..prepaid::Links::default()
        };
        let transaction = format!("ticket:{ticket_id}:{index}");
        if let prepaid::Charged::Declined { reason, balance } =
            prepaid::charge_in(&tx, &uid, *kept, transaction, links).await?
        {
            return Err(Error::conflict(
                "payments",
                format!(
                    "the card {uid} was declined ({}); it holds {}",
                    reason.code(),
                    from_minor(balance, &currency)
                ),
            ));
        }
    }
    audit::record(
        &mut tx,
        ctx,
        "commerce.ticket.created",
        ("ticket", Some(ticket.id)),
        serde_json::json!({
            "number": ticket.number,
            "total": from_minor(total, &currency),
            "sessionId": session.id,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        ticket,
        lines,
        payments,
    })
}

pub(crate) fn describe(product: &catalog::Product, variant: &catalog::Variant) -> String {
    let values = catalog::option_values_of(variant);
    if values.is_empty() {
        product.name.clone()
    } else {
        format!("{} {}", product.name, values.join(" / "))
    }
}

/// What a ticket says besides its lines and payments.
struct Header<'a> {
    id: Uuid,
    session: &'a CashSession,
    location_id: Uuid,
    kind: TicketKind,
    original_ticket_id: Option<Uuid>,
    key: &'a str,
    hash: &'a str,
    contact_id: Option<Uuid>,
    change: i64,
    note: Option<String>,
}

/// Numbers a ticket and writes it with its lines and payments, its totals summed from the
/// lines. A key another request just used answers CONFLICT on `idempotencyKey`, which
/// [`after_race`] resolves.
async fn write_ticket(
    tx: &TenantTx,
    header: Header<'_>,
    lines: &[TicketLine],
    payments: &[TicketPayment],
) -> Result<Ticket> {
    let number = tianguis_kernel::numbering::next_number(tx, "ticket", tx.now()).await?;
    let session = header.session;
    let ticket = stamped(
        tx.now(),
        tickets::ActiveModel {
            id: Set(header.id),
            tenant_id: Set(session.tenant_id),
            session_id: Set(session.id),
            register_id: Set(session.register_id),
            location_id: Set(header.location_id),
            cashier_id: Set(session.cashier_id),
            number: Set(number),
            kind: Set(header.kind.key().into()),
            original_ticket_id: Set(header.original_ticket_id),
            idempotency_key: Set(header.key.to_owned()),
            request_hash: Set(header.hash.to_owned()),
            contact_id: Set(header.contact_id),
            currency: Set(session.currency.clone()),
            total_minor: Set(lines.iter().map(|l| l.total_minor).sum()),
            tax_minor: Set(lines.iter().map(|l| l.iva_minor + l.ieps_minor).sum()),
            discount_minor: Set(lines.iter().map(|l| l.discount_minor).sum()),
            change_minor: Set(header.change),
            receipt_code: Set(receipt_code()),
            invoice_id: Set(None),
            note: Set(header.note),
            ..Default::default()
        },
    )
    .try_into_model()?;
    tickets::Entity::insert(tickets::ActiveModel::from(ticket.clone()))
        .exec_without_returning(&**tx)
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_tickets_idempotency_key",
                "tickets.tenant_id, tickets.idempotency_key",
                "idempotencyKey",
                "another request recorded this key",
            )
        })?;
    ticket_lines::Entity::insert_many(lines.iter().cloned().map(ticket_lines::ActiveModel::from))
        .exec_without_returning(&**tx)
        .await?;
    ticket_payments::Entity::insert_many(
        payments
            .iter()
            .cloned()
            .map(ticket_payments::ActiveModel::from),
    )
    .exec_without_returning(&**tx)
    .await?;
    Ok(ticket)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReturnLine {
    /// The sale's line.
    pub line_id: Uuid,
    pub quantity: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReturnInput {
    /// The sale being given back.
    pub ticket_id: Uuid,
    /// The session the refund is paid from.
    pub session_id: Uuid,
    pub idempotency_key: String,
    pub lines: Vec<ReturnLine>,
    pub refund_method: PaymentMethod,
    pub reference: Option<String>,
    /// For a refund to a prepaid card: its UID.
    pub card_uid: Option<String>,
    /// Whether the goods go back on the shelf (false for damaged goods).
    pub restock: bool,
    pub reason: Option<String>,
}

/// Records a return against a sale: a ticket of its own with negative amounts, each line a
/// share of the sale's line (its price and discount in proportion), never more than was
/// sold less what came back before.
pub async fn return_ticket(deps: &Deps, ctx: &TenantCtx, input: ReturnInput) -> Result<Recorded> {
    let cashier = cashier(ctx)?;
    let key = idempotency_key(&input.idempotency_key)?;
    let hash = request_hash(&input)?;
    let outcome = record_return(deps, ctx, cashier, &key, &hash, input).await;
    after_race(deps, ctx, &key, &hash, outcome).await
}

async fn record_return(
    deps: &Deps,
    ctx: &TenantCtx,
    cashier: Uuid,
    key: &str,
    hash: &str,
    input: ReturnInput,
) -> Result<Recorded> {
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(Error::invalid("lines", format!("1 to {MAX_LINES} lines")));
    }
    let reason = optional_text(input.reason.as_deref(), "reason", 500)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    if let Some(recorded) = recorded_for_key(&tx, key, hash).await? {
        return Ok(recorded);
    }
    let session = selling_session(&tx, input.session_id, cashier).await?;
    let sale = tx
        .get::<tickets::Entity>(input.ticket_id, "ticket")
        .await
        .map_err(|_| Error::invalid("ticketId", "no such ticket"))?;
    if sale.kind != TicketKind::Sale.key() {
        return Err(Error::invalid(
            "ticketId",
            "a return is made against a sale",
        ));
    }
    let sold = with_parts(&tx, sale).await?;
    let register = tx
        .get::<registers::Entity>(session.register_id, "register")
        .await?;
    let location = active_location(&tx, register.location_id, "sessionId").await?;
    let currency = sold.ticket.currency.clone();
    let ticket_id = Uuid::now_v7();
    let variant_ids: Vec<Uuid> = sold.lines.iter().map(|l| l.variant_id).collect();
    let (variants, products) = variants_with_products(&tx, &variant_ids, "lines").await?;
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut moves_of = Vec::new();
    for (position, wanted) in input.lines.iter().enumerate() {
        let original = sold
            .lines
            .iter()
            .find(|l| l.id == wanted.line_id)
            .ok_or_else(|| Error::invalid("lineId", "the line is not on this ticket"))?;
        let unit = amounts::Unit::from_stored(&original.unit)?;
        let quantity = amounts::quantity_milli(wanted.quantity, unit, "quantity")?;
        // Claim the quantity on the sale's line, so two returns cannot give back one item twice.
        let claimed = crate::stock::claim::<ticket_lines::Entity>(
            &tx,
            ticket_lines::Column::ReturnedMilli,
            original.id,
            quantity,
            original.quantity_milli,
        )
        .await?;
        if !claimed {
            return Err(Error::invalid(
                "quantity",
                format!(
                    "at most {} of {} can still be returned",
                    from_milli(original.quantity_milli - original.returned_milli),
                    original.description
                ),
            ));
        }
        let share = |amount: i64| amounts::share(amount, quantity, original.quantity_milli);
        let total = share(original.total_minor);
        let base = share(original.base_minor);
        let ieps = share(original.ieps_minor);
        lines.push(
            stamped(
                tx.now(),
                ticket_lines::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(ctx.tenant_id),
                    ticket_id: Set(ticket_id),
                    position: Set(position as i32),
                    variant_id: Set(original.variant_id),
                    description: Set(original.description.clone()),
                    sku: Set(original.sku.clone()),
                    quantity_milli: Set(-quantity),
                    unit: Set(original.unit.clone()),
                    unit_price_minor: Set(original.unit_price_minor),
                    discount_minor: Set(-share(original.discount_minor)),
                    total_minor: Set(-total),
                    base_minor: Set(-base),
                    iva_minor: Set(-(total - base - ieps)),
                    ieps_minor: Set(-ieps),
                    tax: Set(original.tax.clone()),
                    ieps_rate: Set(original.ieps_rate.clone()),
                    sat_product_key: Set(original.sat_product_key.clone()),
                    sat_unit_key: Set(original.sat_unit_key.clone()),
                    returned_milli: Set(0),
                    original_line_id: Set(Some(original.id)),
                    ..Default::default()
                },
            )
            .try_into_model()?,
        );
        if input.restock {
            let variant = &variants[&original.variant_id];
            moves_of.push((variant, &products[&variant.product_id], quantity));
        }
    }
    let total: i64 = lines.iter().map(|l| l.total_minor).sum();
    let payment = stamped(
        tx.now(),
        ticket_payments::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            ticket_id: Set(ticket_id),
            session_id: Set(session.id),
            method: Set(input.refund_method.key().into()),
            amount_minor: Set(total),
            tendered_minor: Set(None),
            reference: Set(optional_text(
                input.reference.as_deref().or(input.card_uid.as_deref()),
                "reference",
                100,
            )?),
            ..Default::default()
        },
    )
    .try_into_model()?;
    let ticket = write_ticket(
        &tx,
        Header {
            id: ticket_id,
            session: &session,
            location_id: location.id,
            kind: TicketKind::Return,
            original_ticket_id: Some(sold.ticket.id),
            key,
            hash,
            contact_id: sold.ticket.contact_id,
            change: 0,
            note: reason,
        },
        &lines,
        std::slice::from_ref(&payment),
    )
    .await?;
    let moves: Vec<Move> = moves_of
        .iter()
        .map(|(variant, product, quantity)| Move {
            variant,
            product,
            location: &location,
            kind: MovementKind::Return,
            quantity_milli: *quantity,
            unit_cost_minor: variant.cost_minor,
            reason: None,
            reference_id: Some(ticket_id),
            releases_milli: 0,
        })
        .collect();
    apply_moves(deps, &mut tx, ctx, &moves, "lines").await?;
    if input.refund_method == PaymentMethod::PrepaidCard {
        let uid = prepaid_uid(input.card_uid.as_deref())?;
        let links = prepaid::Links {
            session_id: Some(session.id),
            ticket_id: Some(ticket_id),
            actor_id: Some(cashier),
            ..prepaid::Links::default()
        };
        prepaid::refund_in(&tx, &uid, -total, format!("ticket:{ticket_id}:0"), links).await?;
    }
    audit::record(
        &mut tx,
        ctx,
        "commerce.ticket.returned",
        ("ticket", Some(ticket.id)),
        serde_json::json!({
            "number": ticket.number,
            "originalTicketId": sold.ticket.id,
            "total": from_minor(total, &currency),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        ticket,
        lines,
        payments: vec![payment],
    })
}

/// The card a prepaid payment or refund names.
fn prepaid_uid(uid: Option<&str>) -> Result<String> {
    let uid = uid
        .ok_or_else(|| Error::invalid("cardUid", "a prepaid card payment names the card's UID"))?;
    prepaid::card_uid(uid, "cardUid")
}

// ---- invoicing ----

/// A sale by the code printed on its receipt, with its lines and payments, inside the
/// caller's transaction: what the customer invoices on the public page.
pub async fn sale_by_receipt_code(tx: &TenantTx, code: &str) -> Result<Recorded> {
    let code = code.trim().to_uppercase();
    let ticket = tx
        .select::<tickets::Entity>()
        .filter(tickets::Column::ReceiptCode.eq(code))
        .filter(tickets::Column::Kind.eq(TicketKind::Sale.key()))
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("ticket"))?;
    with_parts(tx, ticket).await
}

/// The sales rung up in `[from, to)` that nobody has invoiced, with their lines and
/// payments, oldest first: what a factura global gathers.
pub async fn uninvoiced_sales(
    tx: &TenantTx,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Recorded>> {
    let sales = tx
        .select::<tickets::Entity>()
        .filter(tickets::Column::Kind.eq(TicketKind::Sale.key()))
        .filter(tickets::Column::InvoiceId.is_null())
        .filter(tickets::Column::CreatedAt.gte(from))
        .filter(tickets::Column::CreatedAt.lt(to))
        .order_by_asc(tickets::Column::Id)
        .all(&**tx)
        .await?;
    let ids: Vec<Uuid> = sales.iter().map(|t| t.id).collect();
    let mut lines = crate::page::group_by(
        tx.select::<ticket_lines::Entity>()
            .filter(ticket_lines::Column::TicketId.is_in(ids.iter().copied()))
            .order_by_asc(ticket_lines::Column::Position)
            .all(&**tx)
            .await?,
        |l| Some(l.ticket_id),
    );
    let mut payments = crate::page::group_by(
        tx.select::<ticket_payments::Entity>()
            .filter(ticket_payments::Column::TicketId.is_in(ids.iter().copied()))
            .all(&**tx)
            .await?,
        |p| Some(p.ticket_id),
    );
    Ok(sales
        .into_iter()
        .map(|ticket| Recorded {
            lines: lines.remove(&ticket.id).unwrap_or_default(),
            payments: payments.remove(&ticket.id).unwrap_or_default(),
            ticket,
        })
        .collect())
}

/// Marks tickets as invoiced by `invoice_id`, all or none: false when one of them was
/// invoiced meanwhile.
pub async fn mark_invoiced(tx: &TenantTx, ids: &[Uuid], invoice_id: Uuid) -> Result<bool> {
    let mut marked = 0;
    // In chunks, so a month of tickets stays within the databases' parameter limits.
    for chunk in ids.chunks(5_000) {
        marked += tickets::Entity::update_many()
            .col_expr(tickets::Column::InvoiceId, Expr::value(invoice_id))
            .touched(tx.now())
            .filter(tickets::Column::TenantId.eq(tx.tenant_id()))
            .filter(tickets::Column::Id.is_in(chunk.iter().copied()))
            .filter(tickets::Column::InvoiceId.is_null())
            .exec(&**tx)
            .await?
            .rows_affected;
    }
    Ok(marked == ids.len() as u64)
}

pub async fn get_ticket(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Ticket> {
    let sight = sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let ticket = tx.get::<tickets::Entity>(id, "ticket").await?;
    tx.commit().await?;
    match sight {
        Sight::Own(user) if ticket.cashier_id != user => Err(Error::NotFound("ticket")),
        _ => Ok(ticket),
    }
}

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub session_id: Option<Uuid>,
    pub register_id: Option<Uuid>,
    pub kind: Option<TicketKind>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Tickets, newest first; a cashier sees only their own.
pub async fn list_tickets(
    deps: &Deps,
    ctx: &TenantCtx,
    filter: TicketFilter,
    page: &PageRequest,
) -> Result<Page<Ticket>> {
    let sight = sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut select = tx.select::<tickets::Entity>();
    if let Sight::Own(user) = sight {
        select = select.filter(tickets::Column::CashierId.eq(user));
    }
    if let Some(session) = filter.session_id {
        select = select.filter(tickets::Column::SessionId.eq(session));
    }
    if let Some(register) = filter.register_id {
        select = select.filter(tickets::Column::RegisterId.eq(register));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(tickets::Column::Kind.eq(kind.key()));
    }
    if let Some(from) = filter.from {
        select = select.filter(tickets::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(tickets::Column::CreatedAt.lt(to));
    }
    let page = paginate(&*tx, select, tickets::Column::Id, SortDirection::Desc, page).await?;
    tx.commit().await?;
    Ok(page)
}

/// Each ticket's lines in order: one statement per batch.
pub async fn lines_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TicketLine>>> {
    sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<ticket_lines::Entity>()
        .filter(ticket_lines::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .order_by_asc(ticket_lines::Column::Position)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.ticket_id)))
}

/// Each ticket's payments: one statement per batch.
pub async fn payments_of(
    deps: &Deps,
    ctx: &TenantCtx,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TicketPayment>>> {
    sight(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let rows = tx
        .select::<ticket_payments::Entity>()
        .filter(ticket_payments::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .order_by_asc(ticket_payments::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(rows, |row| Some(row.ticket_id)))
}

// ---- the printed receipt ----

/// A ticket as printed on 80 mm paper: plain text for ESC/POS printers and HTML for a
/// browser's print dialog.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub text: String,
    pub html: String,
}

/// Characters per line of an 80 mm printer's standard font.
pub const RECEIPT_WIDTH: usize = 48;

pub async fn receipt(deps: &Deps, ctx: &TenantCtx, id: Uuid) -> Result<Receipt> {
    let ticket = get_ticket(deps, ctx, id).await?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let business = tenant_region(&*tx, ctx.tenant_id).await?;
    let register = tx
        .get::<registers::Entity>(ticket.register_id, "register")
        .await?;
    let recorded = with_parts(&tx, ticket).await?;
    tx.commit().await?;
    let invoicing_page = format!(
        "{}/facturar/{}",
        deps.mail.public_url.trim_end_matches('/'),
        business.slug
    );
    Ok(render_receipt(
        &Letterhead {
            business: &business.name,
            register: &register.name,
            timezone: &business.timezone,
            invoicing_page: &invoicing_page,
        },
        &recorded,
    ))
}

/// The ticket's receipt as a PDF on an 80 mm roll, the same text as the printer's, kept
/// among the ticket's files.
pub async fn receipt_pdf(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<tianguis_documents::files::Printed> {
    use tianguis_documents::{files, pdf};
    let printed = receipt(deps, ctx, id).await?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let ticket = tx.get::<tickets::Entity>(id, "ticket").await?;
    let title = format!("Ticket {}", ticket.number);
    let mut doc = pdf::Document::new(pdf::PageSize::Roll80, &title);
    doc.preformatted(&printed.text, RECEIPT_WIDTH);
    let document = files::Generated {
        folder_kind: files::FolderKind::Ticket,
        folder_id: ticket.id,
        name: format!("{title}.pdf"),
        content_type: "application/pdf",
        bytes: doc.finish(),
    };
    let file = files::keep_generated(deps, &mut tx, &document).await?;
    tx.commit().await?;
    Ok(tianguis_documents::files::printed(deps, ctx, file))
}

/// What a receipt says of where it was printed.
pub struct Letterhead<'a> {
    pub business: &'a str,
    pub register: &'a str,
    pub timezone: &'a str,
    /// The self-invoicing page the customer goes to with the receipt's code.
    pub invoicing_page: &'a str,
}

/// Lays out a receipt; pure, so its layout is tested without a database.
pub fn render_receipt(head: &Letterhead, r: &Recorded) -> Receipt {
    let (business, register, timezone) = (head.business, head.register, head.timezone);
    let t = &r.ticket;
    let money = |minor: i64| format!("{:.2}", from_minor(minor, &t.currency));
    // The business's own clock: a receipt shows the hour the customer paid.
    let when = match timezone.parse::<chrono_tz::Tz>() {
        Ok(zone) => t
            .created_at
            .with_timezone(&zone)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        Err(_) => t.created_at.format("%d/%m/%Y %H:%M UTC").to_string(),
    };
    let title = if t.kind == TicketKind::Return.key() {
        "DEVOLUCIÓN"
    } else {
        "TICKET"
    };
    let mut rows: Vec<String> = vec![
        center(business),
        center(&format!("{title} {}", t.number)),
        two_columns(register, &when),
        "-".repeat(RECEIPT_WIDTH),
    ];
    for line in &r.lines {
        rows.push(clip(&line.description));
        let detail = format!(
            "  {} x {}",
            from_milli(line.quantity_milli.abs()),
            money(line.unit_price_minor)
        );
        rows.push(two_columns(&detail, &money(line.total_minor)));
        if line.discount_minor != 0 {
            rows.push(two_columns(
                "  Descuento",
                &money(-line.discount_minor.abs()),
            ));
        }
    }
    rows.push("-".repeat(RECEIPT_WIDTH));
    rows.push(two_columns(
        "TOTAL",
        &format!("{} {}", money(t.total_minor), t.currency),
    ));
    rows.push(two_columns("  IVA/IEPS incluidos", &money(t.tax_minor)));
    for p in &r.payments {
        let label = match PaymentMethod::from_key(&p.method) {
            Some(PaymentMethod::Cash) => "Efectivo",
            Some(PaymentMethod::Card) => "Tarjeta",
            Some(PaymentMethod::Transfer) => "Transferencia",
            Some(PaymentMethod::PrepaidCard) => "Tarjeta prepago",
            None => p.method.as_str(),
        };
        rows.push(two_columns(
            label,
            &money(p.tendered_minor.unwrap_or(p.amount_minor)),
        ));
    }
    if t.change_minor > 0 {
        rows.push(two_columns("Cambio", &money(t.change_minor)));
    }
    rows.push("-".repeat(RECEIPT_WIDTH));
    rows.push(center(&format!("Código para facturar: {}", t.receipt_code)));
    rows.push(center("Factura en"));
    // Never clipped, since a cut address is useless: a long one runs onto the next lines.
    let address: Vec<char> = head.invoicing_page.chars().collect();
    for part in address.chunks(RECEIPT_WIDTH) {
        rows.push(center(&part.iter().collect::<String>()));
    }
    let text = rows.join("\n") + "\n";
    let escaped = tianguis_kernel::email::templates::escape(&text);
    let html = format!(
        "<!doctype html><html lang=\"es\"><meta charset=\"utf-8\"><title>{title} {number}</title>\
         <style>@page{{size:80mm auto;margin:3mm}}body{{margin:0}}\
         pre{{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;width:72mm;white-space:pre-wrap}}</style>\
         <pre>{escaped}</pre></html>",
        number = t.number
    );
    Receipt { text, html }
}

fn clip(text: &str) -> String {
    text.chars().take(RECEIPT_WIDTH).collect()
}

fn center(text: &str) -> String {
    let text = clip(text);
    let pad = (RECEIPT_WIDTH - text.chars().count()) / 2;
    format!("{}{text}", " ".repeat(pad))
}

fn two_columns(left: &str, right: &str) -> String {
    let right_len = right.chars().count();
    let room = RECEIPT_WIDTH.saturating_sub(right_len + 1);
    let left: String = left.chars().take(room).collect();
    let gap = RECEIPT_WIDTH - left.chars().count() - right_len;
    format!("{left}{}{right}", " ".repeat(gap.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_over_the_total_is_change_and_cards_never_are() {
        let s = settle(
            15_000,
            &[(PaymentMethod::Card, 5_000), (PaymentMethod::Cash, 20_000)],
        )
        .expect("settles");
        assert_eq!(s.change, 10_000);
        assert_eq!(
            s.kept,
            vec![
                (PaymentMethod::Card, 5_000, None),
                (PaymentMethod::Cash, 10_000, Some(20_000)),
            ]
        );
        assert!(settle(15_000, &[(PaymentMethod::Card, 20_000)]).is_err());
        assert!(settle(15_000, &[(PaymentMethod::Cash, 14_999)]).is_err());
    }

    #[test]
    fn a_partial_return_takes_its_share_rounded_half_away_from_zero() {
        assert_eq!(amounts::share(1_000, 1_000, 3_000), 333);
        assert_eq!(amounts::share(1_001, 1_500, 3_000), 501);
        assert_eq!(amounts::share(-1_001, 1_500, 3_000), -501);
        assert_eq!(amounts::share(999, 3_000, 3_000), 999);
    }

    #[test]
    fn receipt_codes_avoid_characters_people_misread() {
        let code = receipt_code();
        assert_eq!(code.len(), 10);
        assert!(
            code.bytes().all(|b| RECEIPT_ALPHABET.contains(&b)),
            "{code}"
        );
    }

    #[test]
    fn receipt_rows_fit_the_paper() {
        assert_eq!(
            two_columns("TOTAL", "1,234.00").chars().count(),
            RECEIPT_WIDTH
        );
        let long = "x".repeat(100);
        assert_eq!(two_columns(&long, "9.00").chars().count(), RECEIPT_WIDTH);
        assert_eq!(clip(&long).chars().count(), RECEIPT_WIDTH);
    }
}
