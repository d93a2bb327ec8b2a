//! The two kinds of transaction every use case runs in: a write that holds the write lock from
//! its first statement, and a read over one snapshot.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::DbConn;

/// SQLite has one writer at a time: write transactions of this process queue for it here, in
/// the order they asked (a fair lock), rather than in SQLite's busy handler, whose waiting
/// writers sleep in growing steps and are served in no order. One queue for the process: a
/// process serves one database (tests that open several share it).
static SQLITE_WRITER: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

/// How long a write waits for its turn before it answers 503 (SQLite's own `busy_timeout`).
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(10);

/// Runs `f` in a transaction that holds the write lock from its first statement: on SQLite
/// `BEGIN IMMEDIATE` once its turn in the process's write queue has come, so that a transaction
/// that reads before it writes never fails to upgrade and writers are served in order.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    let _turn = match conn {
        DbConn::Sqlite(_) => Some(SQLITE_WRITER.try_lock_for(SQLITE_WRITE_WAIT).ok_or_else(|| {
            use diesel::result::{DatabaseErrorKind, Error};
            // Another writer held the turn too long: retried as a lost serialization race is.
            Error::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                Box::new("no turn to write: the database is busy".to_string()),
            )
        })?),
        DbConn::Pg(_) => None,
    };
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => Tm::begin_transaction(conn)?,
    }
    let result = f(conn);
    end_transaction(conn, result)
}

/// Runs `f` in a read-only transaction over one snapshot of the database: on SQLite a deferred
/// `BEGIN` (its first read fixes what it sees), on PostgreSQL `REPEATABLE READ`, so that reads
/// made statement after statement (a plan a page at a time) see the same state. It takes no
/// write lock and waits for no writer.
pub(crate) fn read_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
        DbConn::Pg(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?
        }
    }
    let result = f(conn);
    end_transaction(conn, result)
}

/// Commits the transaction begun on `conn` if `result` is a success, else rolls it back.
fn end_transaction<T, E>(conn: &mut DbConn, result: Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match result {
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
