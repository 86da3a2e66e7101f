//! GraphQL pieces every context uses: money, optional ids and the user behind an id.

use async_graphql::{Context, ID, MaybeUndefined, SimpleObject};
use rust_decimal::Decimal;
use uuid::Uuid;

pub(crate) use crate::graphql::error::GqlResult;
use crate::graphql::error::parse_id;
use crate::graphql::loaders::{UserLoader, load_opt};
use crate::graphql::tenancy::User;

/// A stored status or kind as its GraphQL mirror, read with the domain enum's
/// `from_stored`: a value this build does not know answers INTERNAL, never a default.
pub fn stored<D, G: From<D>>(
    read: fn(&str) -> tianguis_domain::Result<D>,
    key: &str,
) -> async_graphql::Result<G> {
    read(key).gql().map(G::from)
}

/// An optional id argument, parsed.
pub fn optional_id(
    id: Option<&ID>,
    field: &'static str,
) -> async_graphql::Result<Option<uuid::Uuid>> {
    id.map(|id| parse_id(id, field)).transpose()
}

/// A nullable id argument: absent leaves it, null clears it, a value sets it.
pub fn maybe_id(
    value: MaybeUndefined<ID>,
    field: &'static str,
) -> async_graphql::Result<Option<Option<uuid::Uuid>>> {
    maybe(value)
        .map(|id| id.map(|id| parse_id(&id, field)).transpose())
        .transpose()
}

/// A nullable argument: absent leaves it (None), null clears it (Some(None)).
pub fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// An exact amount of money: a decimal string and an ISO 4217 currency.
#[derive(SimpleObject, Clone)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

impl From<tianguis_domain::money::Money> for Money {
    fn from(m: tianguis_domain::money::Money) -> Self {
        Self {
            amount: m.amount(),
            currency: m.currency,
        }
    }
}

pub(crate) fn money(minor: i64, currency: &str) -> Money {
    tianguis_domain::money::Money::new(minor, currency).into()
}

/// The user behind an id, through the request's loader.
pub(crate) async fn user(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<User>> {
    Ok(load_opt::<UserLoader>(ctx, id).await?.map(User::from))
}
