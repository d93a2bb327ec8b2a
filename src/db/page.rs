//! X4's pages, and the one way a list query reads one: keyset pagination on an id-like key.

use diesel::dsl::{Asc, Desc, Gt, Lt};
use diesel::expression::AsExpression;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OrderDsl};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::SqlType;
use diesel::ExpressionMethods;
use diesel::QueryResult;

use super::DbConn;

/// X4: how much of a list to answer and where to go on from.
#[derive(Debug, Clone)]
pub struct PageParams {
    pub limit: i64,
    pub cursor: Option<String>,
}

/// X4: one page of a list, and the cursor of the next one if there is more.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `rows` (read with `limit + 1`) to a page; the cursor is `cursor_of` the last row kept.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(cursor_of) } else { None };
        Page { data: rows, next_cursor }
    }

    /// The same page with each row turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { data: self.data.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// One page of a boxed list query, newest first by `key` (an id-like column: UUID v7 or a
/// sequence): orders by `key` descending, keeps rows with `key < before`, reads `limit + 1` to
/// know whether there is more, and makes the cursor `cursor_of` the last row kept. Filter the
/// query as the list needs, then hand it here:
/// `newest_first(conn, users::table.into_boxed(), users::id, cursor, limit, |u| u.id.clone())`.
pub fn newest_first<Q, K, V, T>(
    conn: &mut DbConn,
    query: Q,
    key: K,
    before: Option<V>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> QueryResult<Page<T>>
where
    K: ExpressionMethods + Copy,
    K::SqlType: SqlType,
    V: AsExpression<K::SqlType>,
    Q: OrderDsl<Desc<K>, Output = Q> + FilterDsl<Lt<K, V>, Output = Q> + LimitDsl<Output = Q>,
    Q: for<'a> LoadQuery<'a, DbConn, T>,
{
    let mut q = query.order(key.desc());
    if let Some(b) = before {
        q = q.filter(key.lt(b));
    }
    Ok(Page::from_rows(q.limit(limit + 1).load(conn)?, limit, cursor_of))
}

/// The same for a list kept in the order it was written (a release's items by position): `key`
/// ascending, rows with `key > after`.
pub(crate) fn in_written_order<Q, K, V, T>(
    conn: &mut DbConn,
    query: Q,
    key: K,
    after: Option<V>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> QueryResult<Page<T>>
where
    K: ExpressionMethods + Copy,
    K::SqlType: SqlType,
    V: AsExpression<K::SqlType>,
    Q: OrderDsl<Asc<K>, Output = Q> + FilterDsl<Gt<K, V>, Output = Q> + LimitDsl<Output = Q>,
    Q: for<'a> LoadQuery<'a, DbConn, T>,
{
    let mut q = query.order(key.asc());
    if let Some(a) = after {
        q = q.filter(key.gt(a));
    }
    Ok(Page::from_rows(q.limit(limit + 1).load(conn)?, limit, cursor_of))
}

/// The tables whose rows' ids are the cursors of lists (X4).
#[derive(Debug, Clone, Copy)]
pub(crate) enum CursorTable {
    Users,
    Tokens,
    Environments,
    Items,
    Releases,
    Deployments,
    WebhookEndpoints,
    Holds,
}

/// X4: whether `id` is the id of a row of `table`, whatever the list's filters: a list goes on
/// from a row of its own kind only, while a row that left the list since (deleted, or of
/// another status now) is still a place to go on from.
pub(crate) fn names_a_row(conn: &mut DbConn, table: CursorTable, id: &str) -> QueryResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let table = match table {
        CursorTable::Users => "users",
        CursorTable::Tokens => "tokens",
        CursorTable::Environments => "environments",
        CursorTable::Items => "items",
        CursorTable::Releases => "releases",
        CursorTable::Deployments => "deployments",
        CursorTable::WebhookEndpoints => "webhook_endpoints",
        CursorTable::Holds => "holds",
    };
    let query = format!("SELECT COUNT(*) AS n FROM {table} WHERE id = $1");
    use diesel::RunQueryDsl;
    let found: Found = super::sql(conn, &query).bind::<diesel::sql_types::Text, _>(id).get_result(conn)?;
    Ok(found.n > 0)
}
