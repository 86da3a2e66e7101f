//! Relay connections over the domain's keyset pages.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tianguis_domain::Error;
use tianguis_domain::page::{Page, PageRequest};
use uuid::Uuid;

use super::error::to_graphql;

/// An opaque cursor: the row's id, base64url-encoded.
pub struct IdCursor(pub Uuid);

impl CursorType for IdCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "malformed cursor".to_owned())?;
        Uuid::from_slice(&bytes)
            .map(IdCursor)
            .map_err(|_| "malformed cursor".to_owned())
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many records match the filter, over all pages.
    pub total_count: u64,
}

pub type Conn<N> = Connection<IdCursor, N, ConnectionTotals>;

fn cursor(raw: Option<String>, field: &'static str) -> async_graphql::Result<Option<Uuid>> {
    raw.map(|s| {
        IdCursor::decode_cursor(&s)
            .map(|c| c.0)
            .map_err(|_| to_graphql(Error::invalid(field, "not a cursor this API gave out")))
    })
    .transpose()
}

/// Reads the Relay arguments every connection field takes.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> async_graphql::Result<PageRequest> {
    Ok(PageRequest {
        first,
        after: cursor(after, "after")?,
        last,
        before: cursor(before, "before")?,
    })
}

/// Builds a connection from a page, keying each edge by the record's id.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    id: impl Fn(&T) -> Uuid,
    node: impl Fn(T) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        ConnectionTotals {
            total_count: page.total_count,
        },
    );
    conn.edges = page
        .items
        .into_iter()
        .map(|item| Edge::new(IdCursor(id(&item)), node(item)))
        .collect();
    conn
}

/// The complexity of a connection field: its page size times the cost of one node.
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first
        .or(last)
        .map_or(tianguis_domain::page::DEFAULT_PAGE_SIZE as usize, |n| {
            n.max(0) as usize
        });
    1 + size * child
}
