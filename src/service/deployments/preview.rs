//! B9: previews of a release's deployment, whole, a page at a time, or one page for the console
//! (U3, U4), each refused exactly as the deployment would be.

use super::super::Caller;
use super::deployable::{conflict_policy, deployable, select};
use super::plan::{plan, reached_items, release_plan_keys, warn_page, Pages, Plan, Work, MAX_REACHED};
use super::selection::RollbackOptions;
use crate::db::plan_keys::Window;
use crate::db::rows::ReleaseRow;
use crate::db::{read_transaction, DbConn};
use crate::domain::ids::ReleaseId;
use crate::domain::PlannedItem;
use crate::error::AppResult;

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

/// B9, one page at a time: the plan of `limit` keys of the release after the position `after`,
/// refused exactly as [`preview`] refuses. R1 judges a reference by what the plan does to its
/// other end, so the release's keys that the page's references reach (the items its published
/// versions reference, and those with a version referencing one of its keys) are planned too
/// (`warn_page`): the page's warnings are the whole plan's. Reads grow with the page and
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
        let (work, env) = deployable(conn, caller, release_id, environment)?;
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
            super::super::items::titled(conn, &mut whole)?;
            return Ok(PlanPage { release, items: whole, next_after, total });
        }
        warn_page(conn, &work, &env, &mut page, &reached, None)?;
        super::super::items::titled(conn, &mut page)?;
        Ok(PlanPage { release: work.release, items: page, next_after, total })
    })
}

/// B9: the plan a deployment of the release to the environment started now would carry out.
pub fn preview(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    options: &RollbackOptions,
) -> AppResult<Vec<PlannedItem>> {
    let mut plan = Vec::new();
    preview_in_pages(conn, caller, release_id, environment, options, super::DEPLOY_PAGE, &mut |page| {
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
    options: &RollbackOptions,
    size: i64,
    each: &mut dyn FnMut(Vec<PlannedItem>) -> AppResult<()>,
) -> AppResult<()> {
    read_transaction(conn, |conn| plan_pages(conn, caller, release_id, environment, options, size, each))
}

/// [`preview_in_pages`] in the caller's transaction, whose snapshot the plan is read from (V2
/// reads the current content in the same one).
pub(crate) fn plan_pages(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    options: &RollbackOptions,
    size: i64,
    each: &mut dyn FnMut(Vec<PlannedItem>) -> AppResult<()>,
) -> AppResult<()> {
    let (work, env) = deployable(conn, caller, release_id, environment)?;
    // Either policy plans the same: `fail` only decides, when the deployment runs, whether to apply it.
    conflict_policy(&work.release, options)?;
    let (work, _) = select(conn, work, options)?;
    let work = Work::Release(work);
    let mut pages = Pages::new(&work, &env, size);
    while let Some(mut page) = pages.next(conn)? {
        super::super::items::titled(conn, &mut page.items)?;
        each(page.items)?;
    }
    Ok(())
}
