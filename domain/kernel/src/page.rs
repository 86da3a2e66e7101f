//! Keyset pagination over UUID v7 ids, whose order is creation order.

use sea_orm::sea_query::{
    Alias, Asterisk, Condition as JoinCondition, DynIden, Expr, ExprTrait, Func, JoinType, Query,
    SelectStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use crate::{Error, Result};

/// The column a page's rows carry the filtered total in.
const TOTAL_COUNT_COLUMN: &str = "page_total_count";

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<Uuid>,
    pub last: Option<i32>,
    pub before: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }

    pub fn try_map<U>(self, f: impl FnMut(T) -> Result<U>) -> Result<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_>>()?,
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        })
    }
}

fn size(value: Option<i32>, field: &'static str) -> Result<Option<u64>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(Error::invalid(field, format!("{field} cannot be negative"))),
        Some(n) if n as u64 > MAX_PAGE_SIZE => Err(Error::invalid(
            field,
            format!("{field} can be at most {MAX_PAGE_SIZE}"),
        )),
        Some(n) => Ok(Some(n as u64)),
    }
}

/// Fetches one page of `select` ordered by `id` in `direction`, plus the total count.
pub async fn paginate<E, C>(
    conn: &C,
    select: Select<E>,
    id: E::Column,
    direction: SortDirection,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + ModelTrait<Entity = E> + Send + Sync,
    C: ConnectionTrait,
{
    paginate_by(conn, select, None, id, direction, request).await
}

/// As [`paginate`], ordered by `key` then `id`. Cursors stay row ids: the key value of the
/// row a cursor names is read back, so a page boundary is exact even among equal keys.
pub async fn paginate_by<E, C>(
    conn: &C,
    select: Select<E>,
    key: Option<E::Column>,
    id: E::Column,
    direction: SortDirection,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + ModelTrait<Entity = E> + Send + Sync,
    C: ConnectionTrait,
{
    let page = paginate_with(
        conn,
        select,
        key,
        id,
        direction,
        request,
        |_| {},
        |_| Ok(()),
    )
    .await?;
    Ok(page.map(|(item, ())| item))
}

/// As [`paginate_by`], with rows of other tables read beside each row in the same statement:
/// `beside` joins them (see [`join_beside`]) and `decode` reads them from each row.
#[allow(clippy::too_many_arguments)]
pub async fn paginate_with<E, C, X>(
    conn: &C,
    select: Select<E>,
    key: Option<E::Column>,
    id: E::Column,
    direction: SortDirection,
    request: &PageRequest,
    beside: impl FnOnce(&mut SelectStatement),
    decode: impl Fn(&QueryResult) -> Result<X>,
) -> Result<Page<(E::Model, X)>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + ModelTrait<Entity = E> + Send + Sync,
    C: ConnectionTrait,
{
    let first = size(request.first, "first")?;
    let last = size(request.last, "last")?;
    if first.is_some() && last.is_some() {
        return Err(Error::invalid("last", "use either first or last, not both"));
    }

    let backward = last.is_some();
    let limit = last.or(first).unwrap_or(DEFAULT_PAGE_SIZE);
    // Walking backward reads in the opposite order, then flips the page.
    let ascending = (direction == SortDirection::Asc) != backward;
    let mut query = select.clone();
    for (anchor, field, later) in [
        (request.after, "after", direction == SortDirection::Asc),
        (request.before, "before", direction != SortDirection::Asc),
    ] {
        let Some(anchor) = anchor else { continue };
        // `later`: rows past the anchor in ascending order of (key, id).
        let beyond_id = if later { id.gt(anchor) } else { id.lt(anchor) };
        let condition = match key {
            None => Condition::all().add(beyond_id),
            Some(key) => {
                let row = select
                    .clone()
                    .filter(id.eq(anchor))
                    .one(conn)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(field, "the cursor's record is gone or filtered out")
                    })?;
                let value = row.get(key);
                let beyond_key = if later {
                    key.gt(value.clone())
                } else {
                    key.lt(value.clone())
                };
                Condition::any()
                    .add(beyond_key)
                    .add(Condition::all().add(key.eq(value)).add(beyond_id))
            }
        };
        query = query.filter(condition);
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    if let Some(key) = key {
        query = query.order_by(key, order.clone());
    }
    // The filtered total rides along as a column: one statement, not a count and a page.
    let counted = Query::select()
        .expr(Func::count(Expr::col(Asterisk)))
        .from_subquery(select.clone().into_query(), "filtered")
        .to_owned();
    let mut statement = query
        .order_by(id, order)
        .limit(limit + 1)
        .expr_as(
            Expr::SubQuery(None, Box::new(counted.into())),
            TOTAL_COUNT_COLUMN,
        )
        .into_query();
    beside(&mut statement);
    let statement = conn.get_database_backend().build(&statement);
    let rows = conn.query_all_raw(statement).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut total_count = None;
    for row in &rows {
        if total_count.is_none() {
            total_count = Some(row.try_get::<i64>("", TOTAL_COUNT_COLUMN)?);
        }
        items.push((E::Model::from_query_result(row, "")?, decode(row)?));
    }
    let total_count = match total_count {
        Some(total) => u64::try_from(total).unwrap_or_default(),
        // Past the last row there is no row to carry it.
        None => select.count(conn).await?,
    };
    let more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    if backward {
        items.reverse();
    }
    Ok(Page {
        items,
        has_next_page: if backward {
            request.before.is_some()
        } else {
            more
        },
        has_previous_page: if backward {
            more
        } else {
            request.after.is_some()
        },
        total_count,
    })
}
/// Joins `R` under `alias` to the rows of a page through `on`, a column of the page's table
/// holding `R`'s id, within the same business; `R`'s columns come back as `{alias}_{column}`,
/// for `R::Model::from_query_result_optional(row, "{alias}_")`.
pub fn join_beside<R>(
    query: &mut SelectStatement,
    alias: &'static str,
    on: (DynIden, DynIden),
    tenant: (DynIden, DynIden),
) where
    R: EntityTrait,
{
    let joined = Alias::new(alias);
    query.join_as(
        JoinType::LeftJoin,
        R::default(),
        joined.clone(),
        JoinCondition::all()
            .add(Expr::col((joined.clone(), Alias::new("id"))).equals(on))
            // Row-level security holds this on PostgreSQL; SQLite has only this.
            .add(Expr::col((joined.clone(), Alias::new("tenant_id"))).equals(tenant)),
    );
    for column in R::Column::iter() {
        query.expr_as(
            Expr::col((joined.clone(), column)),
            Alias::new(format!("{alias}_{}", column.as_str())),
        );
    }
}

/// Rows grouped by their parent's id, for loaders that answer many parents at once.
pub fn group_by<T>(
    rows: Vec<T>,
    parent: impl Fn(&T) -> Option<Uuid>,
) -> std::collections::HashMap<Uuid, Vec<T>> {
    let mut out: std::collections::HashMap<Uuid, Vec<T>> = std::collections::HashMap::new();
    for row in rows {
        if let Some(id) = parent(&row) {
            out.entry(id).or_default().push(row);
        }
    }
    out
}
