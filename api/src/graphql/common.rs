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

/// A long list of scalars, resolved in one step. async-graphql runs each item of a list
/// through the schema's extensions, with two formatted type names and a future per item;
/// a scalar has no selection of its own to resolve, so a month of free times becomes values
/// directly. The schema shows the same `[T!]!` as for a `Vec<T>`.
pub struct Scalars<'a, T>(pub &'a [T]);

impl<T> async_graphql::OutputType for Scalars<'_, T>
where
    T: async_graphql::ScalarType + async_graphql::OutputType + Sync,
{
    fn type_name() -> std::borrow::Cow<'static, str> {
        <Vec<T> as async_graphql::OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as async_graphql::OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <Vec<T> as async_graphql::OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _: &async_graphql::ContextSelectionSet<'_>,
        _: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> async_graphql::ServerResult<async_graphql::Value> {
        Ok(async_graphql::Value::List(
            self.0
                .iter()
                .map(async_graphql::ScalarType::to_value)
                .collect(),
        ))
    }
}
