//! Commerce's GraphQL types of prepaid cards and their ledger.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use tianguis_domain::commerce::pos::PaymentMethod as Method;
use tianguis_domain::commerce::prepaid;

use crate::graphql::commerce::*;
use crate::graphql::common::{Money, money, stored};
use crate::graphql::crm::Contact;
use crate::graphql::loaders::{ContactLoader, load_opt};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prepaid::CardStatus")]
pub enum PrepaidCardStatus {
    Active,
    /// Lost or retired: it cannot be charged or loaded.
    Blocked,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prepaid::EntryKind")]
pub enum PrepaidEntryKind {
    TopUp,
    Charge,
    Refund,
    TransferIn,
    TransferOut,
}

pub struct PrepaidCard(pub prepaid::Card);

#[Object]
impl PrepaidCard {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// The tag's UID or the QR's text.
    async fn uid(&self) -> &str {
        &self.0.uid
    }
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }
    async fn status(&self) -> async_graphql::Result<PrepaidCardStatus> {
        stored(prepaid::CardStatus::from_stored, &self.0.status)
    }
    async fn balance(&self) -> Money {
        money(self.0.balance_minor, &self.0.currency)
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    /// The card a blocked card's balance went to.
    async fn replaced_by_id(&self) -> Option<ID> {
        self.0.replaced_by.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct PrepaidEntry(pub prepaid::Entry, pub String);

#[Object]
impl PrepaidEntry {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> async_graphql::Result<PrepaidEntryKind> {
        stored(prepaid::EntryKind::from_stored, &self.0.kind)
    }
    /// Negative when money left the card.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    async fn balance_after(&self) -> Money {
        money(self.0.balance_after_minor, &self.1)
    }
    /// The reader's or till's id for the operation.
    async fn transaction_id(&self) -> &str {
        &self.0.transaction_id
    }
    /// How a top-up was paid.
    async fn method(&self) -> async_graphql::Result<Option<PaymentMethod>> {
        self.0
            .method
            .as_deref()
            .map(|m| stored(Method::from_stored, m))
            .transpose()
    }
    async fn ticket_id(&self) -> Option<ID> {
        self.0.ticket_id.map(Into::into)
    }
    /// The reader that charged the card.
    async fn device_id(&self) -> Option<ID> {
        self.0.device_id.map(Into::into)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
