//! Planning a deployment (L5, B7, E4) with R1's warnings, and previewing one (B9).

use super::super::rollback::OwnerHistory;
use super::super::{environments, releases, Caller};
use super::create::{check_release_deployable, conflict_policy};
use super::views::row;
use crate::db::plan_keys::{environment_rollback_keys, release_keys, ItemKeys, KeyState};
use crate::db::rows::{DeploymentRow, EnvironmentRow, ReleaseRow};
use crate::db::{deployments as rows, DbConn};
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

/// A release's keys as read, with their item keys put aside.
fn release_rows(conn: &mut DbConn, release_id: &str, env: &EnvironmentRow) -> AppResult<(Vec<KeyState>, ItemKeys)> {
    let rows = release_keys(conn, release_id, env.key)?;
    let keys = rows.iter().map(|k| (k.item_id.clone(), k.item_key)).collect();
    Ok((rows, keys))
}

/// The outcome of each key of the plan (L5, B7, E4), before warnings.
fn plan_keys(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Plan> {
    match work {
        Work::Release(w) => match w.first_and_latest(env)? {
            Some((first, latest)) => {
                let first_prior = rows::prior_versions(conn, first)?;
                let latest_events = rows::event_ids(conn, latest)?;
                let (rows, item_keys) = release_rows(conn, &w.release.id, env)?;
                let keys = rows
                    .into_iter()
                    .map(|k| {
                        let key = Key::new(k.item_id, k.locale);
                        RollbackKey {
                            first_prior: first_prior.get(&key).copied().flatten(),
                            latest_event_id: latest_events.get(&key).copied(),
                            current_version: k.current_version,
                            current_event_id: k.current_event_id,
                            key,
                        }
                    })
                    .collect();
                Ok(Plan { items: rollback_plan(keys), keys: item_keys })
            }
            None => {
                let (rows, item_keys) = release_rows(conn, &w.release.id, env)?;
                let entries = rows
                    .into_iter()
                    .map(|k| ReleaseEntry {
                        key: Key::new(k.item_id, k.locale),
                        action: k.action.unwrap_or(Action::Publish),
                        version: k.version,
                        current_version: k.current_version,
                    })
                    .collect();
                Ok(Plan { items: release_plan(entries), keys: item_keys })
            }
        },
        Work::EnvironmentRollback { target } => {
            let (keys, item_keys) = environment_rollback_keys(conn, env.key, target.high_event_id.unwrap_or(0))?;
            Ok(Plan { items: environment_rollback_plan(keys), keys: item_keys })
        }
    }
}

/// B9: the plan a deployment of the release to the environment started now would carry out.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn preview(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
    on_conflict: Option<ConflictPolicy>,
) -> AppResult<Vec<PlannedItem>> {
    let release = releases::visible(conn, caller, release_id)?;
    let env = environments::named_in_body(conn, environment)?;
    let work = ReleaseWork::of(conn, release)?;
    check_release_deployable(conn, caller, &work, &env)?;
    // Either policy plans the same: `fail` only decides, when the deployment runs, whether to apply it.
    conflict_policy(&work.release, on_conflict)?;
    Ok(plan(conn, &Work::Release(work), &env)?.items)
}
