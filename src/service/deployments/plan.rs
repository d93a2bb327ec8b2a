//! The deployment engine's planning (L5, B7, E4) with R1's warnings: a whole plan, or a page at a
//! time inside a deployment's one transaction.

use std::collections::HashSet;

use super::super::releases;
use super::deployable::ReleaseWork;
use super::undone::Undone;
use super::views::row;
use crate::db::plan_keys::{environment_rollback_keys, release_keys, ItemKeys, Window};
use crate::db::rows::{DeploymentRow, EnvironmentRow};
use crate::db::DbConn;
use crate::domain::environment_rollback::environment_rollback_plan;
use crate::domain::plan::{release_plan, ReleaseEntry};
use crate::domain::references;
use crate::domain::rollback::{rollback_plan, RollbackKey};
use crate::domain::{Action, Key, Outcome, PlannedItem, SkipReason};
use crate::error::{AppError, AppResult};

/// What a deployment carries out: a release (standard or rollback) or an environment rollback.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    Release(ReleaseWork),
    /// E1; B10: only the `selected` keys, when there are some.
    EnvironmentRollback {
        target: DeploymentRow,
        selected: Option<HashSet<Key>>,
    },
}

impl Work {
    /// What the deployment `d` carries out, with the keys it selected (B10).
    pub fn of(conn: &mut DbConn, d: &DeploymentRow) -> AppResult<Work> {
        let selected = crate::db::deployment_keys::of(conn, &d.id)?;
        let selected = (!selected.is_empty()).then(|| selected.into_iter().collect());
        match (&d.release_id, &d.rolled_back_to_deployment_id) {
            (Some(release_id), _) => {
                let release = releases::row(conn, release_id)?;
                Ok(Work::Release(ReleaseWork { selected, ..ReleaseWork::of(conn, release)? }))
            }
            (None, Some(target)) => Ok(Work::EnvironmentRollback { target: row(conn, target)?, selected }),
            (None, None) => Err(AppError::internal(format!("deployment {} has no release and no target", d.id))),
        }
    }

    /// Whether the work is a rollback (E1, or a rollback release's deployment: H2), and if it is a
    /// rollback release's, the id of the release it rolls back.
    pub(crate) fn rolls_back(&self) -> Option<Option<&str>> {
        match self {
            Work::Release(w) => w.history.as_ref().map(|_| w.release.rollback_of.as_deref()),
            Work::EnvironmentRollback { .. } => Some(None),
        }
    }

    /// How many keys the plan has, where that is known before planning: a release's count of items.
    pub fn keys(&self) -> Option<i64> {
        match self {
            Work::Release(w) => Some(w.release.item_count),
            Work::EnvironmentRollback { .. } => None,
        }
    }
}

/// A deployment's plan, and the integer key of each of its items for the writes that apply it.
#[derive(Debug)]
pub(crate) struct Plan {
    pub items: Vec<PlannedItem>,
    pub keys: ItemKeys,
}

/// The plan of a deployment of `work` to `env`, from the state as it is now, with R1's warnings
/// (from a few statements over the whole plan). The reads are indexed and grow with the keys
/// involved, never with the length of the publish log.
pub fn plan(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Plan> {
    let mut plan = plan_keys(conn, work, env)?;
    let facts = crate::db::references::facts(conn, env.key, &plan.items)?;
    references::annotate(&mut plan.items, &facts);
    Ok(plan)
}

/// The outcome of each key of the plan (L5, B7, E4), before warnings.
fn plan_keys(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Plan> {
    match work {
        Work::Release(w) => {
            let undone = Undone::of_work(conn, w, env)?;
            Ok(release_plan_keys(conn, w, env, Window::All, undone.as_ref())?.0)
        }
        Work::EnvironmentRollback { target, selected } => {
            let (mut keys, item_keys) = environment_rollback_keys(conn, env.key, target.high_event_id.unwrap_or(0))?;
            if let Some(selected) = selected {
                keys.retain(|k| selected.contains(&k.key));
            }
            Ok(Plan { items: environment_rollback_plan(keys), keys: item_keys })
        }
    }
}

/// The outcome of each key of the release in `window` (L5, B7), before warnings, and the
/// position of the last one. A rollback release's F and L come from `undone` when the whole
/// release's were read, else they are read for the window's items.
pub(super) fn release_plan_keys(
    conn: &mut DbConn,
    w: &ReleaseWork,
    env: &EnvironmentRow,
    window: Window,
    undone: Option<&Undone>,
) -> AppResult<(Plan, Option<i64>)> {
    let rows = release_keys(conn, &w.release.id, env.key, window)?;
    let last = rows.last().map(|k| k.position);
    let item_keys: ItemKeys = rows.iter().map(|k| (k.item_id.clone(), k.item_key)).collect();
    let items = match w.first_and_latest(env)? {
        Some((first, latest)) => {
            let read;
            let undone = match undone {
                Some(undone) => undone,
                None => {
                    let only: Vec<i64> = item_keys.values().copied().collect();
                    read = Undone::of_items(conn, w, env, (first, latest), &only)?;
                    &read
                }
            };
            let keys = rows
                .into_iter()
                .map(|k| {
                    let (first_prior, latest_event_id) = undone.of_key(k.item_key, &k.locale);
                    RollbackKey {
                        first_prior,
                        latest_event_id,
                        rolled_back_already: undone.rolled_back(k.current_event_id),
                        current_version: k.current_version,
                        current_event_id: k.current_event_id,
                        key: Key::new(k.item_id, k.locale),
                    }
                })
                .collect();
            let mut plan = rollback_plan(keys);
            if let Some(selected) = &w.selected {
                for p in plan.iter_mut().filter(|p| !selected.contains(&p.key)) {
                    p.outcome = Outcome::Skipped;
                    p.skip_reason = Some(SkipReason::NotSelected);
                }
            }
            plan
        }
        None => release_plan(
            rows.into_iter()
                .map(|k| ReleaseEntry {
                    key: Key::new(k.item_id, k.locale),
                    action: k.action.unwrap_or(Action::Publish),
                    version: k.version,
                    current_version: k.current_version,
                })
                .collect(),
        ),
    };
    Ok((Plan { items, keys: item_keys }, last))
}

/// A deployment's plan a page at a time, in plan order, inside the deployment's one transaction
/// (L5 in flat memory): a release's keys `size` at a time by position; an environment rollback
/// in one page. Each page is planned after the pages before it were written, and that gives the
/// plan and the warnings the whole plan would give if planned before any write:
/// - a key's outcome (L5, B7) depends only on its own state, the release and the owner's
///   history; a release holds each key once, and a page writes only its own keys;
/// - R1 judges a reference by the state after the plan. The page's references reach other keys
///   ([`warn_page`]): one on a later page is planned from its untouched state, as the whole plan
///   plans it; one on an earlier page is already in its state after the plan, and planned again
///   from it ends there too (a standard release publishes the same version again; anything else
///   is skipped, and a skipped key counts as it stands); a key outside the release is never
///   written. Reached keys are matched by key, not by item: another locale of an item on the page
///   may be on another page.
pub(crate) struct Pages<'a> {
    work: &'a Work,
    env: &'a EnvironmentRow,
    size: i64,
    after: Option<i64>,
    done: bool,
    /// A rollback release's F and L, read at the first page.
    undone: Option<Undone>,
}

impl<'a> Pages<'a> {
    /// The pages of the plan of `work` in `env`, `size` keys each (at least one).
    pub fn new(work: &'a Work, env: &'a EnvironmentRow, size: i64) -> Pages<'a> {
        Pages { work, env, size: size.max(1), after: None, done: false, undone: None }
    }

    /// The next page of the plan with R1's warnings, planned from the state as it is now; `None`
    /// after the last.
    pub fn next(&mut self, conn: &mut DbConn) -> AppResult<Option<Plan>> {
        if self.done {
            return Ok(None);
        }
        let Work::Release(w) = self.work else {
            self.done = true;
            return plan(conn, self.work, self.env).map(Some);
        };
        if self.after.is_none() {
            self.undone = Undone::of_work(conn, w, self.env)?;
        }
        let window = Window::Page { after: self.after, limit: self.size };
        let (mut page, last) = release_plan_keys(conn, w, self.env, window, self.undone.as_ref())?;
        self.after = last;
        self.done = (page.items.len() as i64) < self.size;
        if page.items.is_empty() {
            return Ok(None);
        }
        let reached = reached_items(conn, &page.items)?;
        warn_page(conn, w, self.env, &mut page.items, &reached, self.undone.as_ref())?;
        Ok(Some(page))
    }
}

/// R1 for a page of a release's plan: the release's keys that the page's references reach
/// (`reached`, from [`reached_items`]) are planned too, R1 judges the page with them, and they are
/// dropped again, so the page's warnings are the whole plan's.
pub(super) fn warn_page(
    conn: &mut DbConn,
    w: &ReleaseWork,
    env: &EnvironmentRow,
    page: &mut Vec<PlannedItem>,
    reached: &[String],
    undone: Option<&Undone>,
) -> AppResult<()> {
    let shown = page.len();
    let mut extra = Vec::new();
    let in_page: HashSet<&Key> = page.iter().map(|p| &p.key).collect();
    // A few thousand items a read, so that no statement binds too many of them.
    for items in reached.chunks(MAX_REACHED) {
        let planned = release_plan_keys(conn, w, env, Window::Items(items), undone)?.0.items;
        extra.extend(planned.into_iter().filter(|p| !in_page.contains(&p.key)));
    }
    page.extend(extra);
    let facts = crate::db::references::facts(conn, env.key, page)?;
    references::annotate(page, &facts);
    page.truncate(shown);
    Ok(())
}

/// Past this many other items reached by a page's references, a page is cut from the whole
/// plan instead (the reads of the reached keys would cost more than it).
pub(super) const MAX_REACHED: usize = 5_000;

/// The other items a page of a plan reaches by reference, either way (see `preview_page`).
pub(super) fn reached_items(conn: &mut DbConn, page: &[PlannedItem]) -> AppResult<Vec<String>> {
    // By key, not by item: another locale of an item on the page may be on another page.
    let in_page: HashSet<&Key> = page.iter().map(|p| &p.key).collect();
    let mut reached: Vec<String> = crate::db::references::reached_keys(conn, page)?
        .into_iter()
        .filter(|k| !in_page.contains(k))
        .map(|k| k.item_id)
        .collect();
    reached.sort_unstable();
    reached.dedup();
    Ok(reached)
}
