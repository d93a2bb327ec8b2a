//! The database: one connection type over PostgreSQL and SQLite, the pool, embedded
//! migrations, and the transaction helper every write goes through.

pub mod bench;
pub mod claims;
pub mod deployments;
pub mod environments;
pub mod idempotency;
pub mod items;
pub mod page;
pub mod plan_keys;
pub mod publish;
pub mod publish_state;
pub mod queue;
pub mod references;
pub mod releases;
pub mod rollback_releases;
pub mod rows;
/// The one schema that both `migrations/sqlite` and `migrations/postgres` satisfy, as the diesel CLI
/// prints it from PostgreSQL (`diesel.toml`). Ids are text (UUID v7) and times UTC `Timestamp`, so
/// the multi backend carries them.
pub mod schema;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// The pool every request and the worker draw connections from.
pub type Pool = r2d2::Pool<Manager>;
/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<Manager>;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Where the data lives, chosen from `DATABASE_URL` by its scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://` or `postgresql://` is PostgreSQL; `sqlite://path` or a bare path is SQLite.
    /// The scheme is read here because SQLite would accept any string as a file name.
    pub fn parse(url: &str) -> DatabaseUrl {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DatabaseUrl::Postgres(url.to_string())
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            DatabaseUrl::Sqlite(path.to_string())
        }
    }

    /// Whether this is the PostgreSQL backend.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

/// Opens connections for r2d2, with the per-connection SQLite settings.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

/// Why a connection could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

/// Opens one connection to the database at `url`.
pub fn connect(url: &DatabaseUrl) -> Result<DbConn, ConnectError> {
    match url {
        DatabaseUrl::Postgres(u) => Ok(DbConn::Pg(PgConnection::establish(u)?)),
        DatabaseUrl::Sqlite(path) => {
            let mut c = SqliteConnection::establish(path)?;
            // WAL is set once before the pool opens (see `build_pool`); these are per connection.
            c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
            Ok(DbConn::Sqlite(c))
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        connect(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Runs pending migrations on the connection's own backend.
pub fn migrate(conn: &mut DbConn) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match conn {
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    }
}

/// Reverts every migration (used by the migration test: up, down, up).
pub fn revert_all(conn: &mut DbConn) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match conn {
        DbConn::Pg(c) => c.revert_all_migrations(PG_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    }
}

/// Migrates the database, then builds the pool of `size` connections.
pub fn build_pool(url: &DatabaseUrl, size: u32) -> Result<Pool, Box<dyn std::error::Error + Send + Sync>> {
    let mut first = connect(url)?;
    if let DbConn::Sqlite(c) = &mut first {
        // Once, on one connection: switching to WAL from many connections at once races.
        c.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    migrate(&mut first)?;
    drop(first);
    // A SQLite connection is a file handle that cannot break, so it is not pinged at every
    // checkout (a statement per request); a PostgreSQL one can, so it is, and a server that
    // came back is used again without a restart.
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .test_on_check_out(url.is_postgres())
        .connection_timeout(Duration::from_secs(5))
        .build(Manager { url: url.clone() })?;
    Ok(pool)
}

/// Runs `f` in a transaction that holds the write lock from its first statement: on SQLite
/// `BEGIN IMMEDIATE`, so that a transaction that reads before it writes never fails to upgrade.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            Tm::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The current time as stored: UTC, truncated to microseconds so that a read-back is equal.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// A new id: UUID v7, time-ordered, so ordering by id is ordering by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Raw SQL written once with PostgreSQL's `$1, $2, …`: on SQLite they become `?1, ?2, …`,
/// which bind by number too (SQLite would number `$N` names by first appearance instead).
pub fn sql(conn: &DbConn, text: &str) -> diesel::query_builder::SqlQuery {
    match conn {
        DbConn::Pg(_) => diesel::sql_query(text),
        DbConn::Sqlite(_) => diesel::sql_query(text.replace('$', "?")),
    }
}

/// The placeholders of a multi-row `VALUES` list, `rows` rows of `cols` parameters bound in
/// order: `($1,$2),($3,$4)` on PostgreSQL and `(?,?),(?,?)` on SQLite, whose numbered parameters
/// cost time that grows with the square of their count.
pub fn values_list(conn: &DbConn, rows: usize, cols: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rows * cols * 4);
    let mut n = 0;
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            n += 1;
            if c > 0 {
                out.push(',');
            }
            match conn {
                DbConn::Pg(_) => {
                    let _ = write!(out, "${n}");
                }
                DbConn::Sqlite(_) => out.push('?'),
            }
        }
        out.push(')');
    }
    out
}

/// Whether an insert went in: `false` when a unique key it carries is taken already, so that
/// the use case answers that in its own words (`name_taken`, a key in use).
pub fn inserted(result: diesel::QueryResult<usize>) -> Result<bool, diesel::result::Error> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Answers whether the database takes queries (`/readyz`).
pub fn ping(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    conn.batch_execute("SELECT 1")
}
