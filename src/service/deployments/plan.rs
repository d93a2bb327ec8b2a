//! Planning a deployment (L5, B7, E4) with R1's warnings, and previewing one (B9).

use super::super::rollback::OwnerHistory;
use super::super::{environments, releases, Caller};
use super::create::{check_release_deployable, conflict_policy};
use super::views::row;
use std::collections::{HashMap, HashSet};

use crate::db::plan_keys::{environment_rollback_keys, release_keys, ItemKeys, Window};
use crate::db::rows::{DeploymentRow, EnvironmentRow, ReleaseRow};
use crate::db::{deployments as rows, read_transaction, DbConn};
use crate::domain::environment_rollback::environment_rollback_plan;
use crate::domain::ids::ReleaseId;
use crate::domain::plan::{release_plan, ReleaseEntry};
use crate::domain::references;
use crate::domain::rollback::{rollback_plan, RollbackKey};
use crate::domain::{Action, ConflictPolicy, Key, PlannedItem, ReleaseKind};
use crate::error::{AppError, AppResult, ProblemCode};

/// What a deployment carries out: a release (standard or rollback) or an environment rollback.
#[derive(Debug, Clone)]
pub enum Work {
    Release(ReleaseWork),
    EnvironmentRollback { target: DeploymentRow },
}

/// A release as its deployments carry it out, read once however many environments it goes to:
/// for a rollback release, its owner's history too (B7).
#[derive(Debug, Clone)]
pub struct ReleaseWork {
    pub release: ReleaseRow,
    /// A rollback release's owner's deployments of the original release (`None`: a standard release).
    history: Option<OwnerHistory>,
}

impl ReleaseWork {
    /// The work of `release`.
    pub fn of(conn: &mut DbConn, release: ReleaseRow) -> AppResult<ReleaseWork> {
        let history = match release.kind {
            ReleaseKind::Rollback => Some(OwnerHistory::of(conn, &release)?),
            ReleaseKind::Standard => None,
        };
        Ok(ReleaseWork { release, history })
    }

    /// B6, B7: a rollback release's F and L in `env`, refused where its owner has no succeeded
    /// deployment of the release there; `None` for a standard release.
    pub fn first_and_latest(&self, env: &EnvironmentRow) -> AppResult<Option<(&str, &str)>> {
        match &self.history {
            None => Ok(None),
            Some(h) => h.first_and_latest(&env.id).map(Some).ok_or_else(|| not_deployed_to(env)),
        }
    }

    /// B7's F and L of a rollback release in `env`, read for the whole release ([`Undone`]);
    /// `None` for a standard release.
    fn undone(&self, conn: &mut DbConn, env: &EnvironmentRow) -> AppResult<Option<Undone>> {
        match self.first_and_latest(env)? {
            Some((first, latest)) => Ok(Some(Undone::of(conn, first, latest, self.release.item_count as usize)?)),
            None => Ok(None),
        }
    }
}

impl Work {
    /// What the deployment `d` carries out.
    pub fn of(conn: &mut DbConn, d: &DeploymentRow) -> AppResult<Work> {
        match (&d.release_id, &d.rolled_back_to_deployment_id) {
            (Some(release_id), _) => {
                let release = releases::row(conn, release_id)?;
                Ok(Work::Release(ReleaseWork::of(conn, release)?))
            }
            (None, Some(target)) => Ok(Work::EnvironmentRollback { target: row(conn, target)? }),
            (None, None) => Err(AppError::Internal),
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
pub struct Plan {
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

/// B6: a rollback release goes only where its owner deployed the release: the one wording of the
/// refusal, at create and at plan.
pub(super) fn not_deployed_to(env: &EnvironmentRow) -> AppError {
    AppError::Rule(
        ProblemCode::ReleaseNotDeployedToEnvironment,
        format!("the owner has no succeeded deployment of the release to '{}'", env.name),
    )
}

/// The outcome of each key of the plan (L5, B7, E4), before warnings.
fn plan_keys(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Plan> {
    match work {
        Work::Release(w) => {
            let undone = w.undone(conn, env)?;
            Ok(release_plan_keys(conn, w, env, Window::All, undone.as_ref())?.0)
        }
        Work::EnvironmentRollback { target } => {
            let (keys, item_keys) = environment_rollback_keys(conn, env.key, target.high_event_id.unwrap_or(0))?;
            Ok(Plan { items: environment_rollback_plan(keys), keys: item_keys })
        }
    }
}

/// B7's reads of a rollback release's F and L for the whole release, read once and kept
/// compact: sorted by each key's integer item key and a number for its locale, 24 bytes a key
/// in each (a key's item id and locale as text in a map cost ten times that).
struct Undone {
    locales: HashMap<String, u32>,
    /// F's prior version of each key it wrote (the state before the first deployment).
    first_prior: Vec<((i64, u32), Option<i32>)>,
    /// L's event of each key it applied.
    latest_event: Vec<((i64, u32), i64)>,
}

/// How many of a deployment's items [`Undone::of`] reads a statement.
const UNDONE_CHUNK: i64 = 50_000;

impl Undone {
    fn with_capacity(keys: usize) -> Undone {
        Undone {
            locales: HashMap::new(),
            first_prior: Vec::with_capacity(keys),
            latest_event: Vec::with_capacity(keys),
        }
    }

    /// F's and L's items for the whole release, read a range of their primary key at a time;
    /// `keys` is about how many each has (the release's count of items).
    fn of(conn: &mut DbConn, first: &str, latest: &str, keys: usize) -> AppResult<Undone> {
        let mut undone = Undone::with_capacity(keys);
        for (deployment, is_first) in [(first, true), (latest, false)] {
            let mut after = -1;
            loop {
                let chunk = rows::written_items(conn, deployment, after, UNDONE_CHUNK)?;
                let Some(last) = chunk.last() else { break };
                after = last.0;
                let full = chunk.len() as i64 == UNDONE_CHUNK;
                undone.add(is_first, chunk);
                if !full {
                    break;
                }
            }
        }
        Ok(undone.sorted())
    }

    /// F's and L's items of these items only (a window of a preview).
    fn of_items(conn: &mut DbConn, first: &str, latest: &str, item_keys: &[i64]) -> AppResult<Undone> {
        let mut undone = Undone::with_capacity(item_keys.len());
        undone.add(true, rows::written_items_of(conn, first, item_keys)?);
        undone.add(false, rows::written_items_of(conn, latest, item_keys)?);
        Ok(undone.sorted())
    }

    /// Keeps F's prior version (`is_first`) or L's event of each item.
    fn add(&mut self, is_first: bool, items: Vec<rows::WrittenItem>) {
        for (_, item_key, locale, prior, event) in items {
            let key = (item_key, self.locale(locale));
            match (is_first, event) {
                (true, _) => self.first_prior.push((key, prior)),
                (false, Some(event)) => self.latest_event.push((key, event)),
                (false, None) => {}
            }
        }
    }

    /// Sorted by key, for [`Undone::of_key`].
    fn sorted(mut self) -> Undone {
        self.first_prior.sort_unstable_by_key(|(k, _)| *k);
        self.latest_event.sort_unstable_by_key(|(k, _)| *k);
        self
    }

    /// The number of `locale`, given it one if it has none.
    fn locale(&mut self, locale: String) -> u32 {
        let next = self.locales.len() as u32;
        *self.locales.entry(locale).or_insert(next)
    }

    /// F's prior version and L's event of `(item_key, locale)`, where they wrote it.
    fn of_key(&self, item_key: i64, locale: &str) -> (Option<i32>, Option<i64>) {
        let Some(&l) = self.locales.get(locale) else { return (None, None) };
        let key = (item_key, l);
        let prior = self.first_prior.binary_search_by_key(&key, |(k, _)| *k).ok().and_then(|i| self.first_prior[i].1);
        let event = self.latest_event.binary_search_by_key(&key, |(k, _)| *k).ok().map(|i| self.latest_event[i].1);
        (prior, event)
    }
}

/// The outcome of each key of the release in `window` (L5, B7), before warnings, and the
/// position of the last one. A rollback release's F and L come from `undone` when the whole
/// release's were read, else they are read for the window's items.
fn release_plan_keys(
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
                    read = Undone::of_items(conn, first, latest, &only)?;
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
                        current_version: k.current_version,
                        current_event_id: k.current_event_id,
                        key: Key::new(k.item_id, k.locale),
                    }
                })
                .collect();
            rollback_plan(keys)
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
pub struct Pages<'a> {
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
            self.undone = w.undone(conn, self.env)?;
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
fn warn_page(
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

/// One page of a release's plan (U3, U4): its keys' outcomes and R1's warnings exactly as the
/// whole plan gives them, the position the next page starts after (`None` on the last page)
/// and how many keys the release has.
#[derive(Debug)]
pub struct PlanPage {
    /// The release, as the caller may see it.
    pub release: ReleaseRow,
    pub items: Vec<PlannedItem>,
    pub next_after: Option<i64>,
    pub total: i64,
}

/// Past this many other items reached by a page's references, a page is cut from the whole
/// plan instead (the reads of the reached keys would cost more than it).
const MAX_REACHED: usize = 5_000;

/// B9, one page at a time: the plan of `limit` keys of the release after the position `after`,
/// refused exactly as [`preview`] refuses. R1 judges a reference by what the plan does to its
/// other end, so the release's keys that the page's references reach (the items its published
/// versions reference, and those with a version referencing one of its keys) are planned too
/// ([`warn_page`]): the page's warnings are the whole plan's. Reads grow with the page and
/// what it reaches, not with the release.
pub fn preview_page(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    after: Option<i64>,
    limit: i64,
) -> AppResult<PlanPage> {
    // One snapshot, as a preview's pages have (`preview_in_pages`).
    read_transaction(conn, |conn| {
        let release = releases::visible(conn, caller, release_id)?;
        let env = environments::named_in_body(conn, environment)?;
        let work = ReleaseWork::of(conn, release)?;
        check_release_deployable(conn, caller, &work, &env)?;
        let total = work.release.item_count;
        let window = Window::Page { after, limit };
        let (Plan { items: mut page, .. }, last) = release_plan_keys(conn, &work, &env, window, None)?;
        let shown = page.len();
        let next_after = last.filter(|_| shown as i64 == limit);
        let reached = reached_items(conn, &page)?;
        if reached.len() > MAX_REACHED {
            // The page's keys are a run of the whole plan, which is in release order too.
            let release = work.release.clone();
            let mut whole = plan(conn, &Work::Release(work), &env)?.items;
            let start = page.first().and_then(|f| whole.iter().position(|p| p.key == f.key)).unwrap_or(whole.len());
            whole.drain(..start);
            whole.truncate(shown);
            return Ok(PlanPage { release, items: whole, next_after, total });
        }
        warn_page(conn, &work, &env, &mut page, &reached, None)?;
        Ok(PlanPage { release: work.release, items: page, next_after, total })
    })
}

/// The other items a page of a plan reaches by reference, either way (see [`preview_page`]).
fn reached_items(conn: &mut DbConn, page: &[PlannedItem]) -> AppResult<Vec<String>> {
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

/// B9: the plan a deployment of the release to the environment started now would carry out.
pub fn preview(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    on_conflict: Option<ConflictPolicy>,
) -> AppResult<Vec<PlannedItem>> {
    let mut plan = Vec::new();
    preview_in_pages(conn, caller, release_id, environment, on_conflict, crate::state::DEPLOY_PAGE, &mut |page| {
        plan.extend(page);
        Ok(())
    })?;
    Ok(plan)
}

/// B9 a page at a time: refuses what [`preview`] refuses, before any page, then hands `each`
/// the plan's pages of `size` keys in order ([`Pages`], no write between them), all read in
/// one snapshot, so that a preview of a million keys is held a page at a time.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn preview_in_pages(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    on_conflict: Option<ConflictPolicy>,
    size: i64,
    each: &mut dyn FnMut(Vec<PlannedItem>) -> AppResult<()>,
) -> AppResult<()> {
    read_transaction(conn, |conn| {
        let release = releases::visible(conn, caller, release_id)?;
        let env = environments::named_in_body(conn, environment)?;
        let work = ReleaseWork::of(conn, release)?;
        check_release_deployable(conn, caller, &work, &env)?;
        // Either policy plans the same: `fail` only decides, when the deployment runs, whether to apply it.
        conflict_policy(&work.release, on_conflict)?;
        let work = Work::Release(work);
        let mut pages = Pages::new(&work, &env, size);
        while let Some(page) = pages.next(conn)? {
            each(page.items)?;
        }
        Ok(())
    })
}
