//! The reference model, from the rules of `docs/api-guide.md` (P, L, B, E) only: plain maps, no
//! `rewind::domain` function.

use std::collections::HashMap;

use super::strategy::{On, Op, ReleaseItem, Step};
use super::ENVS;

/// One publish event: its id, key (the item; the locale is always `en`), `to_version` and cause.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) id: i64,
    pub(crate) item: usize,
    pub(crate) to: Option<i32>,
    pub(crate) manual: bool,
    /// The deployment that wrote it (none: a manual write).
    pub(crate) deployment: Option<String>,
}

/// One environment: its publish log and its succeeded deployments in the order they succeeded,
/// each with H, the highest event id of the environment when it succeeded (E4).
#[derive(Debug, Default)]
pub(crate) struct EnvModel {
    pub(crate) events: Vec<Event>,
    pub(crate) succeeded: Vec<(String, i64)>,
}

impl EnvModel {
    /// The key's last event, whose `to_version` is its publish state.
    pub(crate) fn last(&self, item: usize) -> Option<&Event> {
        self.events.iter().rev().find(|e| e.item == item)
    }

    /// The key's published version (None: unpublished or never written).
    pub(crate) fn state(&self, item: usize) -> Option<i32> {
        self.last(item).and_then(|e| e.to)
    }

    /// The highest event id written in this environment so far (0: none).
    pub(crate) fn high(&self) -> i64 {
        self.events.last().map_or(0, |e| e.id)
    }
}

/// A succeeded deployment of a standard release: who deployed it where and when, and per key
/// the `prior_version` it captured and the event it wrote (B7 reads both).
#[derive(Debug)]
pub(crate) struct ReleaseDeployment {
    pub(crate) release: usize,
    pub(crate) env: usize,
    pub(crate) by: usize,
    pub(crate) step: u64,
    pub(crate) keys: HashMap<usize, (Option<i32>, Option<i64>)>,
}

/// A user's rollback release of one release: its id once created, whether it is deleted, and
/// the step of the owner's last deletion of a rollback release of that release.
#[derive(Debug, Default)]
pub(crate) struct RollbackModel {
    pub(crate) id: Option<String>,
    pub(crate) live: bool,
    pub(crate) deleted_at: Option<u64>,
}

/// What the model expects a deployment to do to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) item: usize,
    pub(crate) outcome: &'static str,
    pub(crate) reason: Option<&'static str>,
    /// The version published (for `published`).
    pub(crate) version: Option<i32>,
    /// The state just before the deployment.
    pub(crate) prior: Option<i32>,
}

impl Planned {
    pub(crate) fn skip(item: usize, reason: &'static str, prior: Option<i32>) -> Planned {
        Planned { item, outcome: "skipped", reason: Some(reason), version: None, prior }
    }

    /// Sets the key to `target`; unpublishing what is not published is skipped (L5).
    pub(crate) fn restore(item: usize, target: Option<i32>, prior: Option<i32>) -> Planned {
        match target {
            Some(v) => Planned { item, outcome: "published", reason: None, version: Some(v), prior },
            None if prior.is_none() => Planned::skip(item, "already_unpublished", prior),
            None => Planned { item, outcome: "unpublished", reason: None, version: None, prior },
        }
    }
}

#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) next_event: i64,
    pub(crate) step: u64,
    pub(crate) envs: Vec<EnvModel>,
    pub(crate) releases: Vec<Vec<ReleaseItem>>,
    pub(crate) deployments: Vec<ReleaseDeployment>,
    /// Keyed by (owner, release).
    pub(crate) rollbacks: HashMap<(usize, usize), RollbackModel>,
    /// B11: the rollback release each succeeded deployment of a rollback release deployed, by
    /// deployment id.
    pub(crate) rollback_deployments: HashMap<String, String>,
}

impl Model {
    pub(crate) fn new(releases: Vec<Vec<ReleaseItem>>) -> Model {
        Model {
            next_event: 1,
            step: 0,
            envs: (0..ENVS).map(|_| EnvModel::default()).collect(),
            releases,
            deployments: Vec::new(),
            rollbacks: HashMap::new(),
            rollback_deployments: HashMap::new(),
        }
    }

    /// Resolves a generated operation against the deployments so far.
    pub(crate) fn resolve(&self, op: &Op) -> Step {
        let on = |on: &On| match on.from {
            Some(k) if !self.deployments.is_empty() => {
                let d = &self.deployments[k % self.deployments.len()];
                (d.by, d.release, d.env)
            }
            _ => (on.owner, on.release, on.env),
        };
        match op {
            &Op::Publish { env, item, version, by } => Step::Publish { env, item, version, by },
            &Op::Unpublish { env, item, by } => Step::Unpublish { env, item, by },
            &Op::Deploy { release, env, by } => Step::Deploy { release, env, by },
            &Op::Schedule { release, env, by } => Step::Schedule { release, env, by },
            Op::CreateRollback { on: o } => {
                let (by, release, _) = on(o);
                Step::CreateRollback { release, by }
            }
            Op::RollbackOfRollback { on: o } => {
                let (owner, release, _) = on(o);
                Step::RollbackOfRollback { release, owner }
            }
            Op::DeleteRollback { on: o, other } => {
                let (owner, release, _) = on(o);
                Step::DeleteRollback { release, owner, by: other.unwrap_or(owner) }
            }
            Op::DeployRollback { on: o, other, select } => {
                let (owner, release, env) = on(o);
                Step::DeployRollback { release, owner, env, by: other.unwrap_or(owner), select: *select }
            }
            &Op::EnvironmentRollback { env, by, select } => Step::EnvironmentRollback { env, by, select },
        }
    }

    /// Appends one event (P1, P2, L5: every write is one event with the next id).
    pub(crate) fn write(&mut self, env: usize, item: usize, to: Option<i32>, deployment: Option<&str>) -> i64 {
        let id = self.next_event;
        self.next_event += 1;
        let (manual, deployment) = (deployment.is_none(), deployment.map(str::to_string));
        self.envs[env].events.push(Event { id, item, to, manual, deployment });
        id
    }

    /// Applies a deployment's plan in order; the event written per planned key, if any.
    pub(crate) fn apply(&mut self, env: usize, plan: &[Planned], deployment_id: &str) -> Vec<Option<i64>> {
        let events = plan
            .iter()
            .map(|p| match p.outcome {
                "published" => Some(self.write(env, p.item, p.version, Some(deployment_id))),
                "unpublished" => Some(self.write(env, p.item, None, Some(deployment_id))),
                _ => None,
            })
            .collect();
        let high = self.envs[env].high();
        self.envs[env].succeeded.push((deployment_id.to_string(), high));
        events
    }

    /// L5: a standard release's deployment.
    pub(crate) fn release_plan(&self, release: usize, env: usize) -> Vec<Planned> {
        self.releases[release]
            .iter()
            .map(|&(item, action)| Planned::restore(item, action, self.envs[env].state(item)))
            .collect()
    }

    /// B3, B4: `owner`'s succeeded deployments of `release` since their last rollback deletion.
    pub(crate) fn counting(&self, owner: usize, release: usize) -> impl Iterator<Item = &ReleaseDeployment> {
        let deleted = self.rollbacks.get(&(owner, release)).and_then(|r| r.deleted_at);
        self.deployments
            .iter()
            .filter(move |d| d.release == release && d.by == owner && deleted.is_none_or(|t| d.step > t))
    }

    /// B1–B4: Ok(true) for a new rollback release, Ok(false) for the existing one, or the code.
    pub(crate) fn create_rollback(&self, owner: usize, release: usize) -> Result<bool, &'static str> {
        let rb = self.rollbacks.get(&(owner, release));
        if rb.is_some_and(|r| r.live) {
            return Ok(false);
        }
        if self.counting(owner, release).next().is_some() {
            Ok(true)
        } else if rb.is_some_and(|r| r.deleted_at.is_some()) {
            Err("redeploy_required")
        } else {
            Err("release_not_deployed")
        }
    }

    /// B6, B7: the plan of `owner`'s rollback release of `release` in `env`, or the code.
    /// B10: only the `selected` items are rolled back; the others are `not_selected`.
    pub(crate) fn rollback_plan(
        &self,
        owner: usize,
        release: usize,
        env: usize,
        selected: Option<&[usize]>,
    ) -> Result<Vec<Planned>, &'static str> {
        let here: Vec<&ReleaseDeployment> = self.counting(owner, release).filter(|d| d.env == env).collect();
        let (Some(first), Some(latest)) = (here.first(), here.last()) else {
            return Err("release_not_deployed_to_environment");
        };
        let e = &self.envs[env];
        let this = self.rollbacks.get(&(owner, release)).and_then(|r| r.id.as_ref());
        // B11: the key's last write was an earlier deployment of this same rollback release.
        let again = |item: usize| {
            let by = e.last(item).and_then(|ev| ev.deployment.as_ref());
            by.and_then(|d| self.rollback_deployments.get(d)).is_some_and(|r| Some(r) == this)
        };
        Ok(self.releases[release]
            .iter()
            .map(|&(item, _)| {
                let current = e.state(item);
                if selected.is_some_and(|s| !s.contains(&item)) {
                    return Planned::skip(item, "not_selected", current);
                }
                match latest.keys[&item].1 {
                    None => Planned::skip(item, "not_deployed", current),
                    Some(l) if e.last(item).map(|ev| ev.id) != Some(l) => {
                        let reason = if again(item) { "already_rolled_back" } else { "changed_after_deployment" };
                        Planned::skip(item, reason, current)
                    }
                    Some(_) => Planned::restore(item, first.keys[&item].0, current),
                }
            })
            .collect())
    }

    /// E3, E4: the target of an environment rollback without one, and the plan, or the code.
    /// Keys come in the order of `order` (the service lists them by item id).
    pub(crate) fn environment_rollback_plan(
        &self,
        env: usize,
        order: &[usize],
        selected: Option<&[usize]>,
    ) -> Result<(String, Vec<Planned>), &'static str> {
        let e = &self.envs[env];
        let n = e.succeeded.len();
        if n < 2 {
            return Err("no_rollback_target");
        }
        let (target, high) = e.succeeded[n - 2].clone();
        let plan = order
            .iter()
            .copied()
            .filter(|&item| e.events.iter().any(|ev| ev.item == item && ev.id > high))
            // B10: only the selected keys among those E4 would change.
            .filter(|item| selected.is_none_or(|s| s.contains(item)))
            .map(|item| {
                let at_high = e.events.iter().rev().find(|ev| ev.item == item && ev.id <= high).and_then(|ev| ev.to);
                let current = e.state(item);
                if e.last(item).is_some_and(|ev| ev.manual) {
                    Planned::skip(item, "changed_after_deployment", current)
                } else if at_high == current {
                    Planned::skip(item, "unchanged", current)
                } else {
                    Planned::restore(item, at_high, current)
                }
            })
            .collect();
        Ok((target, plan))
    }
}
