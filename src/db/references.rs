//! Version references (R1): written with each version, and read for a whole plan at once,
//! over the plan's keys as arrays (PostgreSQL) or chunked `VALUES` lists (SQLite).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};

use super::schema::version_references;
use super::{DbConn, MultiBackend};
use crate::domain::references::{IncomingReference, OutgoingReference, ReferenceFacts};
use crate::domain::{Key, Outcome, PlannedItem};

/// Keys per statement on SQLite: three parameters a key stay far under its 32,766.
const CHUNK_KEYS: usize = 4000;

/// One reference of a version, as inserted.
#[derive(Debug, Insertable)]
#[diesel(table_name = version_references)]
struct NewVersionReference<'a> {
    item_id: &'a str,
    locale: &'a str,
    version: i32,
    referenced_item_id: &'a str,
}

/// Records the references of a new version, in the caller's transaction.
pub fn insert_for_version(
    conn: &mut DbConn,
    item_id: &str,
    locale: &str,
    version: i32,
    referenced: &[String],
) -> QueryResult<()> {
    for r in referenced {
        diesel::insert_into(version_references::table)
            .values(NewVersionReference { item_id, locale, version, referenced_item_id: r })
            .execute(conn)?;
    }
    Ok(())
}

/// A reference of a version being published, with the referenced key's state now.
#[derive(QueryableByName)]
struct OutgoingRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    referenced_item_id: String,
    #[diesel(sql_type = Nullable<Integer>)]
    referenced_version: Option<i32>,
}

/// A published version that references a key being unpublished.
#[derive(QueryableByName)]
struct IncomingRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    referrer_item_id: String,
}

/// The version references of the versions one key has.
const OUTGOING_JOIN: &str = "JOIN version_references vr \
       ON vr.item_id = p.item_id AND vr.locale = p.locale AND vr.version = p.version \
     LEFT JOIN publish_states ps ON ps.environment_id = $ENV \
       AND ps.item_id = vr.referenced_item_id AND ps.locale = vr.locale";

/// The versions, published now in the environment, that reference a key.
const INCOMING_JOIN: &str = "JOIN version_references vr ON vr.referenced_item_id = u.item_id AND vr.locale = u.locale \
     JOIN publish_states ps ON ps.environment_id = $ENV \
       AND ps.item_id = vr.item_id AND ps.locale = vr.locale AND ps.version = vr.version";

/// What R1 needs to know of a plan in `environment_id`, read in a few statements for the whole
/// plan: the references of every version it publishes (with the referenced keys' state now),
/// and the published versions that reference a key it unpublishes.
pub fn facts(conn: &mut DbConn, environment_id: &str, plan: &[PlannedItem]) -> QueryResult<ReferenceFacts> {
    let published: Vec<(&Key, i32)> =
        plan.iter().filter(|p| p.outcome == Outcome::Published).filter_map(|p| Some((&p.key, p.version?))).collect();
    let unpublished: Vec<&Key> = plan.iter().filter(|p| p.outcome == Outcome::Unpublished).map(|p| &p.key).collect();
    let (outgoing, incoming) = match conn {
        DbConn::Pg(pg) => {
            (outgoing_pg(pg, environment_id, &published)?, incoming_pg(pg, environment_id, &unpublished)?)
        }
        DbConn::Sqlite(_) => {
            (outgoing_sqlite(conn, environment_id, &published)?, incoming_sqlite(conn, environment_id, &unpublished)?)
        }
    };
    Ok(ReferenceFacts {
        outgoing: outgoing
            .into_iter()
            .map(|r| OutgoingReference {
                from: Key::new(r.item_id, r.locale),
                referenced_item_id: r.referenced_item_id,
                referenced_current_version: r.referenced_version,
            })
            .collect(),
        incoming: incoming
            .into_iter()
            .map(|r| IncomingReference { to: Key::new(r.item_id, r.locale), referrer_item_id: r.referrer_item_id })
            .collect(),
    })
}

fn outgoing_pg(pg: &mut PgConnection, environment_id: &str, keys: &[(&Key, i32)]) -> QueryResult<Vec<OutgoingRow>> {
    use diesel::sql_types::Array;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(format!(
        "SELECT p.item_id, p.locale, vr.referenced_item_id, ps.version AS referenced_version \
         FROM unnest($2::text[], $3::text[], $4::int4[]) AS p(item_id, locale, version) {}",
        OUTGOING_JOIN.replace("$ENV", "$1")
    ))
    .bind::<Text, _>(environment_id)
    .bind::<Array<Text>, _>(keys.iter().map(|(k, _)| k.item_id.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|(k, _)| k.locale.as_str()).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(keys.iter().map(|(_, v)| *v).collect::<Vec<_>>())
    .load(pg)
}

fn incoming_pg(pg: &mut PgConnection, environment_id: &str, keys: &[&Key]) -> QueryResult<Vec<IncomingRow>> {
    use diesel::sql_types::Array;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(format!(
        "SELECT u.item_id, u.locale, vr.item_id AS referrer_item_id \
         FROM unnest($2::text[], $3::text[]) AS u(item_id, locale) {}",
        INCOMING_JOIN.replace("$ENV", "$1")
    ))
    .bind::<Text, _>(environment_id)
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.item_id.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.locale.as_str()).collect::<Vec<_>>())
    .load(pg)
}

/// SQLite binds `?` in the order they appear: the `VALUES` list first, the environment last.
fn outgoing_sqlite(conn: &mut DbConn, environment_id: &str, keys: &[(&Key, i32)]) -> QueryResult<Vec<OutgoingRow>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(CHUNK_KEYS) {
        let text = format!(
            "WITH p(item_id, locale, version) AS (VALUES {}) \
             SELECT p.item_id, p.locale, vr.referenced_item_id, ps.version AS referenced_version FROM p {}",
            super::values_list(conn, chunk.len(), 3),
            OUTGOING_JOIN.replace("$ENV", "?")
        );
        let mut q = diesel::sql_query(text).into_boxed::<MultiBackend>();
        for (k, v) in chunk {
            q = q.bind::<Text, _>(k.item_id.clone()).bind::<Text, _>(k.locale.clone()).bind::<Integer, _>(*v);
        }
        out.extend(q.bind::<Text, _>(environment_id.to_string()).load::<OutgoingRow>(conn)?);
    }
    Ok(out)
}

fn incoming_sqlite(conn: &mut DbConn, environment_id: &str, keys: &[&Key]) -> QueryResult<Vec<IncomingRow>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(CHUNK_KEYS) {
        let text = format!(
            "WITH u(item_id, locale) AS (VALUES {}) \
             SELECT u.item_id, u.locale, vr.item_id AS referrer_item_id FROM u {}",
            super::values_list(conn, chunk.len(), 2),
            INCOMING_JOIN.replace("$ENV", "?")
        );
        let mut q = diesel::sql_query(text).into_boxed::<MultiBackend>();
        for k in chunk {
            q = q.bind::<Text, _>(k.item_id.clone()).bind::<Text, _>(k.locale.clone());
        }
        out.extend(q.bind::<Text, _>(environment_id.to_string()).load::<IncomingRow>(conn)?);
    }
    Ok(out)
}
