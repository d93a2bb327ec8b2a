//! V3: sync. A round answers, a page at a time, every key published as of one point (a full
//! round, from no cursor) or every key whose state changed since the point of the round before
//! (a delta round, from its `sync_cursor`), each as of the round's own point: the environment's
//! latest event id when the round started, carried in its cursors. Later writes wait for the
//! next round, so a client that applies rounds in order holds exactly the content as of each
//! round's point.

use super::content::{cursor_secret, own_cursor};
use super::environments;
use crate::db::content::{self as q, ContentFilter, ContentRow};
use crate::db::DbConn;
use crate::domain::content_cursor::{ContentCursor, Filters, Stage};
use crate::error::{AppError, AppResult, ProblemCode};

/// Which round a request reads, and where in it.
enum Round {
    Full { point: i64, after: Option<(i64, String)> },
    Delta { point: i64, after: i64 },
}

/// One page of a round.
#[derive(Debug)]
pub struct SyncPage {
    /// Each a key published (`version` set) or unpublished (`version` none: delta rounds only).
    pub entries: Vec<ContentRow>,
    /// The round's next page; none on its last.
    pub next_cursor: Option<String>,
    /// On a round's last page: where the next round starts.
    pub sync_cursor: Option<String>,
    /// The event id the round answers as of.
    pub point: i64,
}

/// V3: the page of a round that `cursor` names, or the first page of a full round. A cursor
/// keeps its round's filters: `filters` may repeat them or leave them out, anything else is 400
/// `invalid_cursor`, as is a cursor not of this environment's sync.
pub fn sync(
    conn: &mut DbConn,
    environment: &str,
    filters: Filters,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<SyncPage> {
    // The round's point is settled first (`db::content::settled_point`); its page is one query,
    // which sees every event up to the point.
    let env = environments::by_name(conn, environment)?;
    let secret = cursor_secret(conn)?;
    let (stage, filters) = match cursor {
        None => (Round::Full { point: q::settled_point(conn, env.key)?, after: None }, filters),
        Some(text) => {
            let c = own_cursor(text, &env, &secret)?;
            let same = |asked: &Option<String>, kept: &Option<String>| asked.is_none() || asked == kept;
            if !same(&filters.content_type, &c.filters.content_type) || !same(&filters.locale, &c.filters.locale) {
                return Err(AppError::Rule(
                    ProblemCode::InvalidCursor,
                    "the cursor's round has other filters: repeat them or leave them out".into(),
                ));
            }
            let round = match c.stage {
                Stage::Full { point, after } => Round::Full { point, after },
                Stage::Delta { point, after } => Round::Delta { point, after },
                Stage::Synced { point } => Round::Delta { point: q::settled_point(conn, env.key)?, after: point },
                Stage::Content { .. } => {
                    return Err(AppError::Rule(ProblemCode::InvalidCursor, "not a cursor of a sync".into()))
                }
            };
            (round, c.filters)
        }
    };
    let filter =
        ContentFilter { item_id: None, locale: filters.locale.clone(), content_type: filters.content_type.clone() };
    let cursor_of = |stage: Stage| {
        ContentCursor { environment_id: env.id.clone(), stage, filters: filters.clone() }.encode(&secret)
    };
    let (mut entries, point, next) = match stage {
        Round::Full { point, after } => {
            let after_key = after.as_ref().map(|(k, l)| (*k, l.as_str()));
            let rows = q::content_page(conn, env.key, point, after_key, &filter, limit + 1)?;
            let next = rows
                .get(limit as usize - 1)
                .map(|r| Stage::Full { point, after: Some((r.item_key, r.locale.clone())) });
            (rows, point, next)
        }
        Round::Delta { point, after } => {
            let rows = q::changed_page(conn, env.key, point, after, &filter, limit + 1)?;
            let next = rows.get(limit as usize - 1).map(|r| Stage::Delta { point, after: r.event_id });
            (rows, point, next)
        }
    };
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let (next_cursor, sync_cursor) = match (more, next) {
        (true, Some(next)) => (Some(cursor_of(next)), None),
        _ => (None, Some(cursor_of(Stage::Synced { point }))),
    };
    Ok(SyncPage { entries, next_cursor, sync_cursor, point })
}
