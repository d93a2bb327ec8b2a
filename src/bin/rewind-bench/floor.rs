//! The benchmark's own statements: its scratch database on PostgreSQL, and the floors, the same
//! writes as a deployment's and as a manual publish's on plain integer tables, which time what
//! the database itself does. They touch no table of rewind's, so they live beside the benchmark
//! rather than in the library's `db/`.

use std::error::Error;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Timestamp};
use diesel::{Connection, PgConnection, QueryResult, RunQueryDsl};
use rewind::db::{now, sql, write_transaction, DbConn};

/// Creates the database `name` on the PostgreSQL server at `admin_url`.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut c = PgConnection::establish(admin_url)?;
    c.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(())
}

/// Drops the database `name` on the server at `admin_url`, also with sessions still open; a
/// failure is ignored, as this runs while a finished or failed run cleans up.
pub fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut c) = PgConnection::establish(admin_url) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Creates the floor's plain tables, keyed by integers with no secondary index, in the same
/// database as the measured run: `n` keys published at version 1, and a release of version 2 of each.
pub fn floor_setup(conn: &mut DbConn, n: usize) -> QueryResult<()> {
    let serial = match conn {
        DbConn::Pg(_) => "BIGSERIAL PRIMARY KEY",
        DbConn::Sqlite(_) => "INTEGER PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE floor_ps (env INT, item BIGINT, loc TEXT, version INT, last_event BIGINT, \
           PRIMARY KEY (env, item, loc)); \
         CREATE TABLE floor_ev (id {serial}, env INT, item BIGINT, loc TEXT, from_v INT, to_v INT, dep INT); \
         CREATE TABLE floor_di (dep INT, item BIGINT, loc TEXT, prior INT, applied BIGINT, outcome TEXT, \
           PRIMARY KEY (dep, item, loc)); \
         CREATE TABLE floor_ri (rel INT, item BIGINT, loc TEXT, version INT, PRIMARY KEY (rel, item, loc)); \
         WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) \
           INSERT INTO floor_ps SELECT 1, x, 'en', 1, 0 FROM s; \
         WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) \
           INSERT INTO floor_ri SELECT 7, x, 'en', 2 FROM s;"
    ))?;
    if matches!(conn, DbConn::Pg(_)) {
        conn.batch_execute("ANALYZE floor_ps; ANALYZE floor_ri")?;
    }
    Ok(())
}

/// The floor's writes, what a deployment of the release must do (read each key's state, append
/// one publish event, record one deployment item, update the state), as three set-based
/// statements in one transaction: the run times this call.
pub fn floor_writes(conn: &mut DbConn) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        conn.batch_execute(
            "INSERT INTO floor_ev (env, item, loc, from_v, to_v, dep) \
               SELECT 1, ri.item, ri.loc, ps.version, ri.version, 42 FROM floor_ri ri \
               LEFT JOIN floor_ps ps ON ps.env = 1 AND ps.item = ri.item AND ps.loc = ri.loc WHERE ri.rel = 7; \
             INSERT INTO floor_di SELECT 42, item, loc, from_v, id, 'published' FROM floor_ev WHERE dep = 42; \
             UPDATE floor_ps SET version = floor_ev.to_v, last_event = floor_ev.id FROM floor_ev \
               WHERE floor_ev.dep = 42 AND floor_ev.env = floor_ps.env AND floor_ev.item = floor_ps.item \
               AND floor_ev.loc = floor_ps.loc;",
        )
    })
}

/// The write floor's plain tables (no secondary index), with `keys` keys published at version 1:
/// what a manual publish or unpublish must write, straight to the database.
pub fn write_floor_setup(conn: &mut DbConn, keys: usize) -> QueryResult<()> {
    let serial = match conn {
        DbConn::Pg(_) => "BIGSERIAL PRIMARY KEY",
        DbConn::Sqlite(_) => "INTEGER PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE wfloor_ps (env INT, item BIGINT, loc TEXT, version INT, last_event BIGINT, \
           PRIMARY KEY (env, item, loc)); \
         CREATE TABLE wfloor_ev (id {serial}, env INT, item BIGINT, loc TEXT, from_v INT, to_v INT, at TIMESTAMP); \
         WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {keys}) \
           INSERT INTO wfloor_ps SELECT 1, x, 'en', 1, 0 FROM s;"
    ))
}

/// One manual write of the floor: in one transaction, read the key's state, append its event and
/// update the state (to `version`, or unpublished).
pub fn write_floor_one(conn: &mut DbConn, key: i64, version: Option<i32>) -> QueryResult<()> {
    use diesel::sql_types::{Integer, Nullable};
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    write_transaction(conn, |conn| {
        let event: Id = sql(
            conn,
            "INSERT INTO wfloor_ev (env, item, loc, from_v, to_v, at) \
             SELECT 1, $1, 'en', version, $2, $3 FROM wfloor_ps WHERE env = 1 AND item = $1 AND loc = 'en' \
             RETURNING id",
        )
        .bind::<BigInt, _>(key)
        .bind::<Nullable<Integer>, _>(version)
        .bind::<Timestamp, _>(now())
        .get_result(conn)?;
        sql(conn, "UPDATE wfloor_ps SET version = $2, last_event = $3 WHERE env = 1 AND item = $1 AND loc = 'en'")
            .bind::<BigInt, _>(key)
            .bind::<Nullable<Integer>, _>(version)
            .bind::<BigInt, _>(event.id)
            .execute(conn)?;
        Ok(())
    })
}
