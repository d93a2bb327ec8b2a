//! Version references (R1): written with each version, and read for a plan (or a page of one)
//! in a few statements, over its keys as arrays (PostgreSQL) or a JSON array through
//! `json_each` (SQLite).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::{DbConn, MultiBackend};
use crate::domain::references::{IncomingReference, OutgoingReference, ReferenceFacts};
use crate::domain::{Key, Outcome, PlannedItem};

/// Records the references of a new version, in the caller's transaction.
pub(crate) fn insert_for_version(
    conn: &mut DbConn,
    item_id: &str,
    locale: &str,
    version: i32,
    referenced: &[String],
) -> QueryResult<()> {
    // One multi-row statement per chunk (the multi connection has no batch insert); four
    // parameters a row stay far under SQLite's 32,766.
    for chunk in referenced.chunks(5000) {
        let text = format!(
            "INSERT INTO version_references (item_id, locale, version, referenced_item_id) VALUES {}",
            super::values_list(conn, chunk.len(), 4)
        );
        let mut q = diesel::sql_query(text).into_boxed::<MultiBackend>();
        for r in chunk {
            q = q
                .bind::<Text, _>(item_id.to_string())
                .bind::<Text, _>(locale.to_string())
                .bind::<Integer, _>(version)
                .bind::<Text, _>(r.clone());
        }
        q.execute(conn)?;
    }
    Ok(())
}

/// A reference of a version being published.
#[derive(QueryableByName)]
struct OutgoingRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    referenced_item_id: String,
}

/// A version that references a key being unpublished, published now or not.
#[derive(QueryableByName)]
struct ReferrerRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    referrer_item_id: String,
    #[diesel(sql_type = Integer)]
    referrer_version: i32,
}

/// A key's published version now (`None`: unpublished).
#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Nullable<Integer>)]
    version: Option<i32>,
}

/// What R1 needs to know of a plan in the environment of `environment_key`, read in three
/// statements for all of `plan`: the references of every version it publishes (with the
/// referenced keys' state now), and the published versions that reference a key it unpublishes.
pub(crate) fn facts(conn: &mut DbConn, environment_key: i64, plan: &[PlannedItem]) -> QueryResult<ReferenceFacts> {
    let published = published(plan);
    let outgoing: Vec<OutgoingRow> = over_keys(
        conn,
        environment_key,
        &KeyList::versioned(&published),
        "SELECT k.item_id, k.locale, vr.referenced_item_id FROM {keys} \
         JOIN version_references vr ON vr.item_id = k.item_id AND vr.locale = k.locale AND vr.version = k.version",
    )?;
    let unpublished: Vec<&Key> = plan.iter().filter(|p| p.outcome == Outcome::Unpublished).map(|p| &p.key).collect();
    let referrers: Vec<ReferrerRow> = over_keys(
        conn,
        environment_key,
        &KeyList::plain(&unpublished),
        "SELECT k.item_id, k.locale, vr.item_id AS referrer_item_id, vr.version AS referrer_version FROM {keys} \
         JOIN version_references vr ON vr.referenced_item_id = k.item_id AND vr.locale = k.locale",
    )?;
    // A planned key's state now is its prior version (borrowed, not copied: a plan has up to
    // 100,000 keys); only the state of referenced items and referrers outside the plan is read.
    let planned: HashMap<&Key, Option<i32>> = plan.iter().map(|p| (&p.key, p.prior_version)).collect();
    let outside: Vec<Key> = outgoing
        .iter()
        .map(|r| Key::new(r.referenced_item_id.as_str(), r.locale.as_str()))
        .chain(referrers.iter().map(|r| Key::new(r.referrer_item_id.as_str(), r.locale.as_str())))
        .filter(|k| !planned.contains_key(k))
        .collect::<HashSet<Key>>()
        .into_iter()
        .collect();
    let states: Vec<StateRow> = over_keys(
        conn,
        environment_key,
        &KeyList::plain(&outside.iter().collect::<Vec<_>>()),
        "SELECT k.item_id, k.locale, ps.version FROM {keys} \
         JOIN items i ON i.id = k.item_id \
         JOIN publish_states ps ON ps.environment_key = $ENV AND ps.item_key = i.key AND ps.locale = k.locale",
    )?;
    let outside: HashMap<Key, Option<i32>> =
        states.into_iter().map(|s| (Key::new(s.item_id, s.locale), s.version)).collect();
    let now = |k: &Key| planned.get(k).or_else(|| outside.get(k)).copied().flatten();
    let incoming = referrers
        .into_iter()
        .filter(|r| {
            let referrer = Key::new(r.referrer_item_id.as_str(), r.locale.as_str());
            now(&referrer) == Some(r.referrer_version)
        })
        .map(|r| IncomingReference { to: Key::new(r.item_id, r.locale), referrer_item_id: r.referrer_item_id })
        .collect();
    Ok(ReferenceFacts {
        outgoing: outgoing
            .into_iter()
            .map(|r| OutgoingReference {
                referenced_current_version: now(&Key::new(r.referenced_item_id.as_str(), r.locale.as_str())),
                from: Key::new(r.item_id, r.locale),
                referenced_item_id: r.referenced_item_id,
            })
            .collect(),
        incoming,
    })
}

/// The keys a plan publishes, with the version each publishes.
fn published(plan: &[PlannedItem]) -> Vec<(&Key, i32)> {
    plan.iter().filter(|p| p.outcome == Outcome::Published).filter_map(|p| Some((&p.key, p.version?))).collect()
}

/// A key at the other end of a reference (the same locale as the key at this end).
#[derive(QueryableByName)]
struct ReachedRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
}

/// The keys a plan's references reach, either way, in two statements: those the versions it
/// publishes reference, and those with any version (in the key's locale) that references one of
/// its keys, so every key whose planned version could reference them, whatever the plan
/// publishes. Some may be in the plan; a key may come more than once.
pub(crate) fn reached_keys(conn: &mut DbConn, plan: &[PlannedItem]) -> QueryResult<Vec<Key>> {
    let referenced: Vec<ReachedRow> = over_keys(
        conn,
        0,
        &KeyList::versioned(&published(plan)),
        "SELECT vr.referenced_item_id AS item_id, k.locale FROM {keys} \
         JOIN version_references vr ON vr.item_id = k.item_id AND vr.locale = k.locale AND vr.version = k.version",
    )?;
    let keys: Vec<&Key> = plan.iter().map(|p| &p.key).collect();
    let referring: Vec<ReachedRow> = over_keys(
        conn,
        0,
        &KeyList::plain(&keys),
        "SELECT DISTINCT vr.item_id, k.locale FROM {keys} \
         JOIN version_references vr ON vr.referenced_item_id = k.item_id AND vr.locale = k.locale",
    )?;
    Ok(referenced.into_iter().chain(referring).map(|r| Key::new(r.item_id, r.locale)).collect())
}

/// The keys a statement runs over, column by column, with a version per key for some.
struct KeyList<'a> {
    item_ids: Vec<&'a str>,
    locales: Vec<&'a str>,
    versions: Option<Vec<i32>>,
}

impl<'a> KeyList<'a> {
    fn plain(keys: &[&'a Key]) -> KeyList<'a> {
        KeyList {
            item_ids: keys.iter().map(|k| k.item_id.as_str()).collect(),
            locales: keys.iter().map(|k| k.locale.as_str()).collect(),
            versions: None,
        }
    }

    fn versioned(keys: &[(&'a Key, i32)]) -> KeyList<'a> {
        KeyList {
            item_ids: keys.iter().map(|(k, _)| k.item_id.as_str()).collect(),
            locales: keys.iter().map(|(k, _)| k.locale.as_str()).collect(),
            versions: Some(keys.iter().map(|(_, v)| *v).collect()),
        }
    }
}

/// Runs `select` with the keys as the relation `k(item_id, locale[, version])` in place of
/// `{keys}` and the environment's key in place of `$ENV`: on PostgreSQL one statement over arrays, on
/// SQLite one over a JSON array of the keys (its `?` bind in order: the keys, then the
/// environment if the statement reads it); binding each key's values one by one through the
/// multi connection cost more than the reads.
fn over_keys<T>(conn: &mut DbConn, environment_key: i64, keys: &KeyList, select: &str) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<MultiBackend> + 'static,
{
    use diesel::sql_types::Array;
    if keys.item_ids.is_empty() {
        return Ok(Vec::new());
    }
    let columns = if keys.versions.is_some() { "item_id, locale, version" } else { "item_id, locale" };
    match conn {
        DbConn::Pg(pg) => {
            let relation = match keys.versions {
                Some(_) => "unnest($2::text[], $3::text[], $4::int4[]) AS k(item_id, locale, version)",
                None => "unnest($2::text[], $3::text[]) AS k(item_id, locale)",
            };
            let mut q = diesel::sql_query(select.replace("{keys}", relation).replace("$ENV", "$1"))
                .into_boxed::<diesel::pg::Pg>()
                .bind::<BigInt, _>(environment_key)
                .bind::<Array<Text>, _>(keys.item_ids.clone())
                .bind::<Array<Text>, _>(keys.locales.clone());
            if let Some(v) = &keys.versions {
                q = q.bind::<Array<Integer>, _>(v.clone());
            }
            q.load(pg)
        }
        DbConn::Sqlite(_) => {
            let (relation, rows) = match &keys.versions {
                Some(v) => (
                    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') \
                     FROM json_each(?)",
                    serde_json::to_string(
                        &(0..keys.item_ids.len())
                            .map(|i| (keys.item_ids[i], keys.locales[i], v[i]))
                            .collect::<Vec<_>>(),
                    ),
                ),
                None => (
                    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)",
                    serde_json::to_string(&keys.item_ids.iter().zip(&keys.locales).collect::<Vec<_>>()),
                ),
            };
            let rows = rows.map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            let text =
                format!("WITH k({columns}) AS ({relation}) {}", select.replace("{keys}", "k").replace("$ENV", "?"));
            let mut q = diesel::sql_query(text).into_boxed::<MultiBackend>().bind::<Text, _>(rows);
            if select.contains("$ENV") {
                q = q.bind::<BigInt, _>(environment_key);
            }
            q.load::<T>(conn)
        }
    }
}
