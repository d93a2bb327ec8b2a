//! What a rollback request may choose beyond the rollback itself: C1's policy, H2's hold and
//! B10's keys; and B10's selection checked against what the rollback can roll back.

use std::collections::HashSet;

use crate::db::deployment_keys;
use crate::db::DbConn;
use crate::domain::holds::selection;
use crate::domain::{ConflictPolicy, Key};
use crate::error::{AppError, AppResult, ProblemCode};

/// C1, H2, B10: a rollback request's choices; a standard release's deployment takes none.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// C1: `skip` (the default) or `fail`.
    pub on_conflict: Option<ConflictPolicy>,
    /// H2: hold the environment when the rollback succeeds (`None`: as the environment is set).
    pub hold: Option<bool>,
    /// B10: roll back only these keys (`None`: all of them).
    pub keys: Option<Vec<Key>>,
}

impl RollbackOptions {
    /// The options of a request that chose only a conflict policy, if that.
    pub fn on_conflict(on_conflict: Option<ConflictPolicy>) -> RollbackOptions {
        RollbackOptions { on_conflict, ..RollbackOptions::default() }
    }

    /// Refuses `hold` and `keys` where only a rollback takes them (422
    /// `rollback_option_not_applicable`).
    pub(super) fn rollback_only(&self) -> AppResult<()> {
        let field = if self.hold.is_some() {
            "hold"
        } else if self.keys.is_some() {
            "keys"
        } else {
            return Ok(());
        };
        Err(AppError::Rule(
            ProblemCode::RollbackOptionNotApplicable,
            format!("{field} applies to rollback releases and environment rollbacks only"),
        ))
    }
}

/// B10: a selection as the plan matches it, and as its deployment stores it (item key, locale).
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub keys: HashSet<Key>,
    pub stored: Vec<(i64, String)>,
}

/// B10's shape: 1 to 10,000 keys, each once, with valid locales (400 naming `keys`).
fn shape(keys: &[Key]) -> AppResult<()> {
    selection(keys).map_err(|rule| AppError::invalid_field("keys", rule))?;
    for k in keys {
        crate::domain::locale::parse(&k.locale).map_err(|rule| AppError::invalid_field("keys", rule))?;
    }
    Ok(())
}

/// B10: the selected keys of a rollback release; one that is not among its items is 422
/// `key_not_in_release`.
pub(super) fn in_release(conn: &mut DbConn, release_id: &str, keys: &[Key]) -> AppResult<Selection> {
    shape(keys)?;
    let found = deployment_keys::in_release(conn, release_id, keys)?;
    selected(keys, found, |k| {
        AppError::Rule(
            ProblemCode::KeyNotInRelease,
            format!("{}:{} is not an item of the rollback release", k.item_id, k.locale),
        )
    })
}

/// B10: the selected keys of an environment rollback; an item that does not exist is 422
/// `item_not_found` (a key E4 would not change is simply not in the plan).
pub(super) fn of_items(conn: &mut DbConn, keys: &[Key]) -> AppResult<Selection> {
    shape(keys)?;
    let found = deployment_keys::item_keys(conn, keys)?;
    selected(keys, found, |k| AppError::Rule(ProblemCode::ItemNotFound, format!("no item {}", k.item_id)))
}

/// The selection of `keys` given those `found`, or the refusal of the first one missing.
fn selected(keys: &[Key], found: Vec<(Key, i64)>, missing: impl Fn(&Key) -> AppError) -> AppResult<Selection> {
    let set: HashSet<Key> = found.iter().map(|(k, _)| k.clone()).collect();
    if let Some(k) = keys.iter().find(|k| !set.contains(*k)) {
        return Err(missing(k));
    }
    Ok(Selection { keys: set, stored: found.into_iter().map(|(k, n)| (n, k.locale)).collect() })
}
