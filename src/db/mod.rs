//! The database: one connection type over PostgreSQL and SQLite, the pool, embedded
//! migrations, and the transaction helper every write goes through.

pub mod approvals;
pub mod claims;
pub mod console_sessions;
pub mod content;
pub mod deployment_keys;
pub mod deployment_list;
pub mod deployment_writes;
pub mod deployments;
pub mod environments;
pub mod holds;
pub mod idempotency;
pub mod items;
pub mod page;
pub mod plan_keys;
pub(crate) mod prepared;
pub mod promotions;
pub mod publish;
pub mod publish_state;
pub mod published_counts;
pub mod queue_stats;
pub mod references;
pub mod releases;
pub mod rollback_releases;
pub mod rows;
/// The one schema that both `migrations/sqlite` and `migrations/postgres` satisfy, as the diesel CLI
/// prints it from PostgreSQL (`diesel.toml`). Ids are text (UUID v7) and times UTC `Timestamp`, so
/// the multi backend carries them.
pub mod schema;
pub mod seed;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod words;

mod transactions;
pub(crate) use transactions::read_transaction;
pub use transactions::write_transaction;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
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

/// A connection as the pool keeps it: the connection, and the count of database failures this
/// process had seen when it was last known to work (see [`connection_failed`]).
pub struct Kept {
    conn: DbConn,
    known_good_at: u64,
}

impl std::ops::Deref for Kept {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Kept {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// How many times this process saw the database go away: a failed query or a failed connect.
static FAILURES_SEEN: AtomicU64 = AtomicU64::new(0);

impl r2d2::ManageConnection for Manager {
    type Connection = Kept;
    type Error = ConnectError;

    fn connect(&self) -> Result<Kept, ConnectError> {
        let known_good_at = FAILURES_SEEN.load(Ordering::SeqCst);
        connect(&self.url).map(|conn| Kept { conn, known_good_at }).inspect_err(|e| {
            if matches!(e, ConnectError::Connection(_)) {
                FAILURES_SEEN.fetch_add(1, Ordering::SeqCst);
            }
        })
    }

    /// Free, unless the database went away since this connection last worked: then one ping, so
    /// that a connection that sat idle through an outage is replaced rather than handed to a
    /// request that would answer 503 with the database back.
    fn is_valid(&self, kept: &mut Kept) -> Result<(), ConnectError> {
        let seen = FAILURES_SEEN.load(Ordering::SeqCst);
        if kept.known_good_at == seen {
            return Ok(());
        }
        kept.conn.batch_execute("SELECT 1")?;
        kept.known_good_at = seen;
        Ok(())
    }

    /// A PostgreSQL connection on whose thread a query just failed for want of the server: r2d2
    /// closes it rather than handing it out again (a SQLite connection never breaks).
    fn has_broken(&self, kept: &mut Kept) -> bool {
        let failed = CONNECTION_FAILED.with(|f| f.replace(false));
        failed && matches!(kept.conn, DbConn::Pg(_))
    }
}

thread_local! {
    /// Set when a query on this thread failed because the database went away (`connection_failed`).
    static CONNECTION_FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Notes that a query on this thread failed because the database went away. The pool does not
/// ping at every checkout (a round trip per request); instead the connection that failed is
/// closed when it goes back to the pool, and every other connection that was open then is
/// pinged once at its next checkout (`is_valid`), so a server that went away and came back is
/// used again without a restart and without a 503 per stale connection. At worst another
/// connection of the same thread is closed with it.
pub fn connection_failed() {
    FAILURES_SEEN.fetch_add(1, Ordering::SeqCst);
    CONNECTION_FAILED.with(|f| f.set(true));
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
    // A connection is pinged at checkout only after the database went away (`Manager::is_valid`),
    // not at every one (a round trip per request on PostgreSQL).
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .test_on_check_out(true)
        .connection_timeout(Duration::from_secs(5))
        .build(Manager { url: url.clone() })?;
    Ok(pool)
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
pub(crate) fn values_list(conn: &DbConn, rows: usize, cols: usize) -> String {
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
pub(crate) fn inserted(result: diesel::QueryResult<usize>) -> Result<bool, diesel::result::Error> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Answers whether the database takes queries (`/readyz`).
pub(crate) fn ping(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    conn.batch_execute("SELECT 1")
}
