//! Manual publish and unpublish (P1–P3), publish state (also as of a time) and the publish log.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{environments, numeric_cursor, users, Caller, Page, PageParams};
use crate::db::publish::{current_state, lock_environment, write_one};
use crate::db::rows::{NewPublishEvent, PublishEventRow, PublishStateRow};
use crate::db::schema::{items, publish_events, publish_states, versions};
use crate::db::{now, write_transaction, DbConn, MultiBackend};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// P1: publishes a version of `(item, locale)`; a republish of the published version is a change too.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn publish(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    item_id: &str,
    locale: &str,
    version: i32,
) -> AppResult<PublishStateRow> {
    let env = authorize(conn, caller, environment, locale)?;
    write_transaction(conn, |conn| {
        lock_environment(conn, &env.id)?;
        require_item(conn, item_id)?;
        let exists: i64 = versions::table.find((item_id, locale, version)).count().get_result(conn)?;
        if exists == 0 {
            return Err(AppError::Unprocessable(
                "version_not_found",
                format!("item has no version {version} in locale '{locale}'"),
            ));
        }
        let prior = current_state(conn, &env.id, item_id, locale)?.and_then(|s| s.version);
        Ok(write_one(conn, &manual_event(&env.id, item_id, locale, prior, Some(version), &caller.id))?)
    })
}

/// P2: unpublishes `(item, locale)`; 409 `not_published` when nothing is published.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn unpublish(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    item_id: &str,
    locale: &str,
) -> AppResult<PublishStateRow> {
    let env = authorize(conn, caller, environment, locale)?;
    write_transaction(conn, |conn| {
        lock_environment(conn, &env.id)?;
        require_item(conn, item_id)?;
        let Some(prior) = current_state(conn, &env.id, item_id, locale)?.and_then(|s| s.version) else {
            return Err(AppError::Conflict("not_published", "nothing is published for this key".into()));
        };
        Ok(write_one(conn, &manual_event(&env.id, item_id, locale, Some(prior), None, &caller.id))?)
    })
}

fn authorize(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    locale: &str,
) -> AppResult<crate::db::rows::EnvironmentRow> {
    let env = environments::by_name(conn, environment)?;
    users::require_grant(conn, caller, &env.id, environment)?;
    if !validate::locale(locale) {
        return Err(AppError::invalid_field(
            "locale",
            "must be a lowercase locale like en-us (^[a-z]{2,3}(-[a-z0-9]{2,8})*$)",
        ));
    }
    Ok(env)
}

fn require_item(conn: &mut DbConn, item_id: &str) -> AppResult<()> {
    let n: i64 = items::table.find(item_id).count().get_result(conn)?;
    if n == 0 {
        return Err(AppError::Unprocessable("item_not_found", "no such item".into()));
    }
    Ok(())
}

fn manual_event<'a>(
    environment_id: &'a str,
    item_id: &'a str,
    locale: &'a str,
    from_version: Option<i32>,
    to_version: Option<i32>,
    actor: &'a str,
) -> NewPublishEvent<'a> {
    NewPublishEvent {
        environment_id,
        item_id,
        locale,
        from_version,
        to_version,
        cause: "manual",
        deployment_id: None,
        actor,
        at: now(),
    }
}

/// The publish states of an environment, most recently changed first; with `at`, as they
/// stood then: each key's last event at or before the last event of that time.
pub fn states(
    conn: &mut DbConn,
    environment: &str,
    item_id: Option<&str>,
    at: Option<NaiveDateTime>,
    page: &PageParams,
) -> AppResult<Page<PublishStateRow>> {
    let env = environments::by_name(conn, environment)?;
    let cursor = numeric_cursor(&page.cursor)?;
    let Some(at) = at else {
        let q =
            publish_states::table.filter(publish_states::environment_id.eq(&env.id)).limit(page.limit + 1).into_boxed();
        let before = cursor.unwrap_or(i64::MAX);
        let q = match item_id {
            // The few states of one item come by the primary key and are sorted: comparing and
            // ordering on an expression keeps SQLite's planner off the newest-first index, which
            // would walk the whole environment to find them.
            Some(item) => q
                .filter(publish_states::item_id.eq(item.to_string()))
                .filter((publish_states::last_event_id + 0i64).lt(before))
                .order((publish_states::last_event_id + 0i64).desc()),
            None => q.filter(publish_states::last_event_id.lt(before)).order(publish_states::last_event_id.desc()),
        };
        return Ok(Page::from_rows(q.load(conn)?, page.limit, |s| s.last_event_id.to_string()));
    };
    let high: Option<i64> = publish_events::table
        .filter(publish_events::environment_id.eq(&env.id).and(publish_events::at.le(at)))
        .select(diesel::dsl::max(publish_events::id))
        .first(conn)?;
    let Some(high) = high else {
        return Ok(Page { data: vec![], next_cursor: None });
    };
    let mut sql = String::from(
        "SELECT e.* FROM publish_events e WHERE e.id IN (SELECT (SELECT max(e2.id) FROM publish_events e2 \
         WHERE e2.environment_id = s.environment_id AND e2.item_id = s.item_id AND e2.locale = s.locale \
         AND e2.id <= $2) FROM publish_states s WHERE s.environment_id = $1",
    );
    if item_id.is_some() {
        sql.push_str(" AND s.item_id = $3");
    }
    sql.push_str(") AND e.id < $4 ORDER BY e.id DESC LIMIT $5");
    if item_id.is_none() {
        sql = sql.replace("$4", "$3").replace("$5", "$4");
    }
    let mut q =
        crate::db::sql(conn, &sql).into_boxed::<MultiBackend>().bind::<Text, _>(env.id.clone()).bind::<BigInt, _>(high);
    if let Some(item) = item_id {
        q = q.bind::<Text, _>(item.to_string());
    }
    let rows: Vec<PublishEventRow> =
        q.bind::<BigInt, _>(cursor.unwrap_or(i64::MAX)).bind::<BigInt, _>(page.limit + 1).load(conn)?;
    let states = rows
        .into_iter()
        .map(|e| PublishStateRow {
            environment_id: e.environment_id,
            item_id: e.item_id,
            locale: e.locale,
            version: e.to_version,
            last_event_id: e.id,
            updated_at: e.at,
        })
        .collect();
    Ok(Page::from_rows(states, page.limit, |s| s.last_event_id.to_string()))
}

/// The publish log of an environment, newest first.
pub fn events(
    conn: &mut DbConn,
    environment: &str,
    item_id: Option<&str>,
    page: &PageParams,
) -> AppResult<Page<PublishEventRow>> {
    let env = environments::by_name(conn, environment)?;
    let q = publish_events::table.filter(publish_events::environment_id.eq(&env.id)).limit(page.limit + 1).into_boxed();
    let before = numeric_cursor(&page.cursor)?.unwrap_or(i64::MAX);
    let q = match item_id {
        // One item's events come by the key index and are sorted (see `states`).
        Some(item) => q
            .filter(publish_events::item_id.eq(item.to_string()))
            .filter((publish_events::id + 0i64).lt(before))
            .order((publish_events::id + 0i64).desc()),
        None => q.filter(publish_events::id.lt(before)).order(publish_events::id.desc()),
    };
    Ok(Page::from_rows(q.load(conn)?, page.limit, |e| e.id.to_string()))
}
