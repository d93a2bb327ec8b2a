//! A model-based property test of publishing and rollback (P1, P2, L5, B1–B7, E3, E4).
//!
//! Random sequences of manual publishes, deployments, rollback releases and environment
//! rollbacks run against the service layer and, step by step, against a small reference model
//! written from the rules of `docs/api-guide.md` alone (plain maps, no `rewind::domain` function). After every step the
//! publish state, the `last_event_id` of every key and the number of events of each environment
//! must agree with the model, and every deployment's per-key outcomes with the model's plan.
//!
//! One database serves every case: each case gets environments, users, items and releases of
//! its own, so that cases cannot see each other.

mod common;

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use rewind::db::DbConn;
use rewind::domain::ids::{DeploymentId, ReleaseId, UserId};
use rewind::domain::{Action, ItemKind, Role};
use rewind::error::AppResult;
use rewind::service::effects::Changed;
use rewind::service::{self, Caller, PageParams};

const ENVS: usize = 2;
/// User 0 is an admin; users 1 and 2 are editors granted on both environments.
const USERS: usize = 3;
const ADMIN: usize = 0;
const ITEMS: usize = 4;
const VERSIONS: i32 = 3;
const RELEASES: usize = 2;
const LOCALE: &str = "en";

/// What a release item asks for: `Some(version)` publishes it, `None` unpublishes.
type ReleaseItem = (usize, Option<i32>);

/// One step of a case, as generated. Users, environments, items and releases are indexes into
/// the case's universe. The operations on a rollback release name whose rollback release of which
/// release they mean through an [`On`]; `other` is a user acting instead of its owner.
#[derive(Debug, Clone)]
enum Op {
    Publish { env: usize, item: usize, version: i32, by: usize },
    Unpublish { env: usize, item: usize, by: usize },
    Deploy { release: usize, env: usize, by: usize },
    Schedule { release: usize, env: usize, by: usize },
    CreateRollback { on: On },
    RollbackOfRollback { on: On },
    DeleteRollback { on: On, other: Option<usize> },
    DeployRollback { on: On, other: Option<usize> },
    EnvironmentRollback { env: usize, by: usize },
}

/// Whose rollback release of which release, and in which environment: with `from`, those of
/// the case's `from`-th deployment of a standard release so far (modulo their number), so that
/// rollback operations often meet a deployment to roll back; otherwise, or before any
/// deployment, the indexes given.
#[derive(Debug, Clone)]
struct On {
    from: Option<usize>,
    owner: usize,
    release: usize,
    env: usize,
}

/// A step with every index resolved against the model.
#[derive(Debug, Clone)]
enum Step {
    Publish { env: usize, item: usize, version: i32, by: usize },
    Unpublish { env: usize, item: usize, by: usize },
    Deploy { release: usize, env: usize, by: usize },
    Schedule { release: usize, env: usize, by: usize },
    CreateRollback { release: usize, by: usize },
    RollbackOfRollback { release: usize, owner: usize },
    DeleteRollback { release: usize, owner: usize, by: usize },
    DeployRollback { release: usize, owner: usize, env: usize, by: usize },
    EnvironmentRollback { env: usize, by: usize },
}

/// A generated case: the items of each standard release, then the steps.
#[derive(Debug, Clone)]
struct Case {
    releases: Vec<Vec<ReleaseItem>>,
    ops: Vec<Op>,
}

fn release_items() -> impl Strategy<Value = Vec<ReleaseItem>> {
    let action = prop_oneof![3 => (1..=VERSIONS).prop_map(Some), 1 => Just(None)];
    prop::collection::vec((0..ITEMS, action), 1..=ITEMS).prop_map(|mut items| {
        let mut seen = HashSet::new();
        items.retain(|(item, _)| seen.insert(*item));
        items
    })
}

/// Indexes skewed towards one release, one editor and one environment, so that the deployments,
/// rollback releases and deletions of a case often meet on the same (owner, release, environment).
fn release() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0), 1 => Just(1)]
}

fn user() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(1), 1 => Just(ADMIN), 1 => Just(2)]
}

fn env() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0), 1 => Just(1)]
}

fn on() -> impl Strategy<Value = On> {
    (prop::option::weighted(0.6, 0..8usize), user(), release(), env()).prop_map(|(from, owner, release, env)| On {
        from,
        owner,
        release,
        env,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let other = || prop::option::weighted(0.25, 0..USERS);
    prop_oneof![
        2 => (env(), 0..ITEMS, 1..=VERSIONS, user())
            .prop_map(|(env, item, version, by)| Op::Publish { env, item, version, by }),
        1 => (env(), 0..ITEMS, user()).prop_map(|(env, item, by)| Op::Unpublish { env, item, by }),
        4 => (release(), env(), user()).prop_map(|(release, env, by)| Op::Deploy { release, env, by }),
        1 => (release(), env(), user()).prop_map(|(release, env, by)| Op::Schedule { release, env, by }),
        3 => on().prop_map(|on| Op::CreateRollback { on }),
        1 => on().prop_map(|on| Op::RollbackOfRollback { on }),
        2 => (on(), other()).prop_map(|(on, other)| Op::DeleteRollback { on, other }),
        4 => (on(), other()).prop_map(|(on, other)| Op::DeployRollback { on, other }),
        2 => (env(), user()).prop_map(|(env, by)| Op::EnvironmentRollback { env, by }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(release_items(), RELEASES), prop::collection::vec(op(), 1..16))
        .prop_map(|(releases, ops)| Case { releases, ops })
}

// ---------------------------------------------------------------------------------------------
// The reference model, from the rules of `docs/api-guide.md` (P, L, B, E) only.
// ---------------------------------------------------------------------------------------------

/// One publish event: its id, key (the item; the locale is always `en`), `to_version` and cause.
#[derive(Debug, Clone)]
struct Event {
    id: i64,
    item: usize,
    to: Option<i32>,
    manual: bool,
}

/// One environment: its publish log and its succeeded deployments in the order they succeeded,
/// each with H, the highest event id of the environment when it succeeded (E4).
#[derive(Debug, Default)]
struct EnvModel {
    events: Vec<Event>,
    succeeded: Vec<(String, i64)>,
}

impl EnvModel {
    /// The key's last event, whose `to_version` is its publish state.
    fn last(&self, item: usize) -> Option<&Event> {
        self.events.iter().rev().find(|e| e.item == item)
    }

    /// The key's published version (None: unpublished or never written).
    fn state(&self, item: usize) -> Option<i32> {
        self.last(item).and_then(|e| e.to)
    }

    /// The highest event id written in this environment so far (0: none).
    fn high(&self) -> i64 {
        self.events.last().map_or(0, |e| e.id)
    }
}

/// A succeeded deployment of a standard release: who deployed it where and when, and per key
/// the `prior_version` it captured and the event it wrote (B7 reads both).
#[derive(Debug)]
struct ReleaseDeployment {
    release: usize,
    env: usize,
    by: usize,
    step: u64,
    keys: HashMap<usize, (Option<i32>, Option<i64>)>,
}

/// A user's rollback release of one release: its id once created, whether it is deleted, and
/// the step of the owner's last deletion of a rollback release of that release.
#[derive(Debug, Default)]
struct RollbackModel {
    id: Option<String>,
    live: bool,
    deleted_at: Option<u64>,
}

/// What the model expects a deployment to do to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Planned {
    item: usize,
    outcome: &'static str,
    reason: Option<&'static str>,
    /// The version published (for `published`).
    version: Option<i32>,
    /// The state just before the deployment.
    prior: Option<i32>,
}

impl Planned {
    fn skip(item: usize, reason: &'static str, prior: Option<i32>) -> Planned {
        Planned { item, outcome: "skipped", reason: Some(reason), version: None, prior }
    }

    /// Sets the key to `target`; unpublishing what is not published is skipped (L5).
    fn restore(item: usize, target: Option<i32>, prior: Option<i32>) -> Planned {
        match target {
            Some(v) => Planned { item, outcome: "published", reason: None, version: Some(v), prior },
            None if prior.is_none() => Planned::skip(item, "already_unpublished", prior),
            None => Planned { item, outcome: "unpublished", reason: None, version: None, prior },
        }
    }
}

#[derive(Debug)]
struct Model {
    next_event: i64,
    step: u64,
    envs: Vec<EnvModel>,
    releases: Vec<Vec<ReleaseItem>>,
    deployments: Vec<ReleaseDeployment>,
    /// Keyed by (owner, release).
    rollbacks: HashMap<(usize, usize), RollbackModel>,
}

impl Model {
    fn new(releases: Vec<Vec<ReleaseItem>>) -> Model {
        Model {
            next_event: 1,
            step: 0,
            envs: (0..ENVS).map(|_| EnvModel::default()).collect(),
            releases,
            deployments: Vec::new(),
            rollbacks: HashMap::new(),
        }
    }

    /// Resolves a generated operation against the deployments so far.
    fn resolve(&self, op: &Op) -> Step {
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
            Op::DeployRollback { on: o, other } => {
                let (owner, release, env) = on(o);
                Step::DeployRollback { release, owner, env, by: other.unwrap_or(owner) }
            }
            &Op::EnvironmentRollback { env, by } => Step::EnvironmentRollback { env, by },
        }
    }

    /// Appends one event (P1, P2, L5: every write is one event with the next id).
    fn write(&mut self, env: usize, item: usize, to: Option<i32>, manual: bool) -> i64 {
        let id = self.next_event;
        self.next_event += 1;
        self.envs[env].events.push(Event { id, item, to, manual });
        id
    }

    /// Applies a deployment's plan in order; the event written per planned key, if any.
    fn apply(&mut self, env: usize, plan: &[Planned], deployment_id: &str) -> Vec<Option<i64>> {
        let events = plan
            .iter()
            .map(|p| match p.outcome {
                "published" => Some(self.write(env, p.item, p.version, false)),
                "unpublished" => Some(self.write(env, p.item, None, false)),
                _ => None,
            })
            .collect();
        let high = self.envs[env].high();
        self.envs[env].succeeded.push((deployment_id.to_string(), high));
        events
    }

    /// L5: a standard release's deployment.
    fn release_plan(&self, release: usize, env: usize) -> Vec<Planned> {
        self.releases[release]
            .iter()
            .map(|&(item, action)| Planned::restore(item, action, self.envs[env].state(item)))
            .collect()
    }

    /// B3, B4: `owner`'s succeeded deployments of `release` since their last rollback deletion.
    fn counting(&self, owner: usize, release: usize) -> impl Iterator<Item = &ReleaseDeployment> {
        let deleted = self.rollbacks.get(&(owner, release)).and_then(|r| r.deleted_at);
        self.deployments
            .iter()
            .filter(move |d| d.release == release && d.by == owner && deleted.is_none_or(|t| d.step > t))
    }

    /// B1–B4: Ok(true) for a new rollback release, Ok(false) for the existing one, or the code.
    fn create_rollback(&self, owner: usize, release: usize) -> Result<bool, &'static str> {
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
    fn rollback_plan(&self, owner: usize, release: usize, env: usize) -> Result<Vec<Planned>, &'static str> {
        let here: Vec<&ReleaseDeployment> = self.counting(owner, release).filter(|d| d.env == env).collect();
        let (Some(first), Some(latest)) = (here.first(), here.last()) else {
            return Err("release_not_deployed_to_environment");
        };
        let e = &self.envs[env];
        Ok(self.releases[release]
            .iter()
            .map(|&(item, _)| {
                let current = e.state(item);
                match latest.keys[&item].1 {
                    None => Planned::skip(item, "not_deployed", current),
                    Some(l) if e.last(item).map(|ev| ev.id) != Some(l) => {
                        Planned::skip(item, "changed_after_deployment", current)
                    }
                    Some(_) => Planned::restore(item, first.keys[&item].0, current),
                }
            })
            .collect())
    }

    /// E3, E4: the target of an environment rollback without one, and the plan, or the code.
    /// Keys come in the order of `order` (the service lists them by item id).
    fn environment_rollback_plan(&self, env: usize, order: &[usize]) -> Result<(String, Vec<Planned>), &'static str> {
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

// ---------------------------------------------------------------------------------------------
// The service side of a case.
// ---------------------------------------------------------------------------------------------

/// The case's universe as created in the database.
struct World {
    envs: Vec<String>,
    users: Vec<Caller>,
    items: Vec<String>,
    releases: Vec<(String, String)>,
}

/// How often each kind of outcome came up over all cases, to show what the run covered.
type Tally = std::cell::RefCell<std::collections::BTreeMap<String, usize>>;

fn tally(t: &Tally, what: impl Into<String>) {
    *t.borrow_mut().entry(what.into()).or_default() += 1;
}

/// Model event ids to real ones, and the highest real id seen (ids are monotonic).
#[derive(Default)]
struct EventIds {
    real: HashMap<i64, i64>,
    highest: i64,
}

impl EventIds {
    fn record(&mut self, model: i64, real: i64) -> Result<(), TestCaseError> {
        ensure(real > self.highest, || format!("event id {real} is not above {}", self.highest))?;
        self.highest = real;
        self.real.insert(model, real);
        Ok(())
    }
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if cond {
        Ok(())
    } else {
        Err(TestCaseError::fail(msg()))
    }
}

fn ensure_eq<T: PartialEq + Debug>(got: T, want: T, what: &str) -> Result<(), TestCaseError> {
    ensure(got == want, || format!("{what}: service {got:?}, model {want:?}"))
}

/// The value of a call the model expects to succeed.
fn ok<T>(r: AppResult<T>, what: &str) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("{what}: unexpected error {} ({e})", e.code())))
}

/// A call the model expects to fail with `code`.
fn fails<T: Debug>(r: AppResult<T>, code: &str, what: &str) -> Result<(), TestCaseError> {
    match r {
        Ok(v) => Err(TestCaseError::fail(format!("{what}: service succeeded ({v:?}), model expects {code}"))),
        Err(e) => ensure_eq(e.code().as_str(), code, what),
    }
}

const ALL: PageParams = PageParams { limit: 500, cursor: None };

fn setup(conn: &mut DbConn, n: usize, releases: &[Vec<ReleaseItem>]) -> Result<World, TestCaseError> {
    let mut users = Vec::new();
    for u in 0..USERS {
        let role = if u == ADMIN { Role::Admin } else { Role::Editor };
        let row = ok(service::users::add_user(conn, &format!("m{n}-u{u}"), role), "create user")?;
        users.push(Caller { id: UserId::stored(row.id), name: row.name, role });
    }
    let envs: Vec<String> = (0..ENVS).map(|e| format!("m{n}-e{e}")).collect();
    for e in &envs {
        ok(service::environments::create(conn, &users[ADMIN], e), "create environment")?;
        for u in users.iter().filter(|u| u.role == Role::Editor) {
            ok(service::users::set_grant(conn, &users[ADMIN], &u.id, e, true), "grant")?;
        }
    }
    let mut items = Vec::new();
    for _ in 0..ITEMS {
        let content = |v: i32| service::items::NewContent {
            locale: LOCALE.into(),
            content: serde_json::json!({ "v": v }),
            references: vec![],
        };
        let item = ok(
            service::items::create(conn, &users[ADMIN], ItemKind::Entry, Some("page".into()), content(1)),
            "create item",
        )?;
        for v in 2..=VERSIONS {
            ok(service::items::add_version(conn, &users[ADMIN], &item.row.id, content(v)), "add version")?;
        }
        items.push(item.row.id);
    }
    let admin = users[ADMIN].clone();
    let mut made = Vec::new();
    for (r, spec) in releases.iter().enumerate() {
        let name = format!("m{n} release {r}");
        let release = ok(service::releases::create(conn, &admin, &name, None), "create release")?;
        let new_items = spec
            .iter()
            .map(|&(item, version)| service::releases::NewReleaseItem {
                item_id: items[item].clone(),
                locale: LOCALE.into(),
                action: if version.is_some() { Action::Publish } else { Action::Unpublish },
                version,
            })
            .collect();
        ok(
            service::releases::add_items(
                conn,
                &admin,
                &ReleaseId::stored(release.row.id.clone()),
                new_items,
                false,
                100_000,
            ),
            "add items",
        )?;
        made.push((release.row.id, name));
    }
    Ok(World { envs, users, items, releases: made })
}

/// Runs every queued deployment, as the worker would.
fn run_worker(conn: &mut DbConn) -> Result<(), TestCaseError> {
    while ok(
        rewind::deployment_worker::run_one(
            conn,
            &Default::default(),
            &Default::default(),
            rewind::settings::DEPLOY_PAGE,
        ),
        "worker",
    )? {}
    Ok(())
}

/// Runs a created deployment, checks it against the model's plan and applies the plan to the model.
#[allow(clippy::too_many_arguments)]
fn run_and_check(
    conn: &mut DbConn,
    world: &World,
    model: &mut Model,
    ids: &mut EventIds,
    t: &Tally,
    kind: &str,
    env: usize,
    deployment_id: &str,
    plan: &[Planned],
) -> Result<Vec<Option<i64>>, TestCaseError> {
    run_worker(conn)?;
    let d = ok(service::deployments::get(conn, &DeploymentId::stored(deployment_id)), "get deployment")?;
    ensure_eq(d.row.status.as_str(), "succeeded", &format!("status ({:?})", d.row.error))?;
    let count = |o: &str| plan.iter().filter(|p| p.outcome == o).count() as i32;
    ensure_eq(
        (d.row.published, d.row.unpublished, d.row.skipped),
        (count("published"), count("unpublished"), count("skipped")),
        "counts",
    )?;
    let rows =
        ok(service::deployments::items(conn, &DeploymentId::stored(deployment_id), None, &ALL), "deployment items")?
            .data;
    ensure_eq(rows.len(), plan.len(), "number of deployment items")?;
    let events = model.apply(env, plan, deployment_id);
    for p in plan {
        tally(t, format!("{kind}: {} {}", p.outcome, p.reason.unwrap_or_default()));
    }
    for ((row, p), event) in rows.iter().zip(plan).zip(&events) {
        let what = |f: &str| format!("deployment item {} ({}): {f}", p.item, row.item_id);
        ensure_eq(row.item_id.as_str(), world.items[p.item].as_str(), &what("key"))?;
        ensure_eq(row.locale.as_str(), LOCALE, &what("locale"))?;
        ensure_eq(row.outcome.as_str(), p.outcome, &what("outcome"))?;
        ensure_eq(row.skip_reason.map(|r| r.as_str()), p.reason, &what("skip_reason"))?;
        ensure_eq(row.prior_version, p.prior, &what("prior_version"))?;
        match p.outcome {
            "published" => {
                ensure_eq(row.action.as_str(), "publish", &what("action"))?;
                ensure_eq(row.version, p.version, &what("version"))?;
            }
            "unpublished" => {
                ensure_eq(row.action.as_str(), "unpublish", &what("action"))?;
                ensure_eq(row.version, None, &what("version"))?;
            }
            _ => {}
        }
        ensure_eq(row.event_id.is_some(), event.is_some(), &what("event written"))?;
        if let (Some(real), Some(model_id)) = (row.event_id, event) {
            ids.record(*model_id, real)?;
        }
    }
    Ok(events)
}

/// After every step: each key's state and `last_event_id`, and each environment's event count.
fn check_states(conn: &mut DbConn, world: &World, model: &Model, ids: &EventIds) -> Result<(), TestCaseError> {
    for (e, name) in world.envs.iter().enumerate() {
        let rows = ok(service::publishing::states(conn, name, None, None, &ALL), "states")?.data;
        ensure(rows.iter().all(|s| s.locale == LOCALE), || format!("a state in env {e} of another locale"))?;
        let states: HashMap<String, (Option<i32>, i64)> =
            rows.into_iter().map(|s| (s.item_id, (s.version, s.last_event_id))).collect();
        let mut written = 0;
        for (i, item) in world.items.iter().enumerate() {
            let want = model.envs[e].last(i).map(|ev| (ev.to, ids.real.get(&ev.id).copied().unwrap_or(-1)));
            written += usize::from(want.is_some());
            ensure_eq(states.get(item).copied(), want, &format!("state of item {i} in env {e}"))?;
        }
        ensure_eq(states.len(), written, &format!("number of states in env {e}"))?;
        let mut events = ok(service::publishing::events(conn, name, None, &ALL), "events")?.data;
        ensure_eq(events.len(), model.envs[e].events.len(), &format!("number of events in env {e}"))?;
        // The log itself, oldest first: each event's id, key, from and to versions and cause.
        events.reverse();
        let mut before: HashMap<usize, Option<i32>> = HashMap::new();
        for (got, want) in events.iter().zip(&model.envs[e].events) {
            let from = before.insert(want.item, want.to).flatten();
            ensure_eq(
                (
                    got.id,
                    got.item_id.as_str(),
                    got.locale.as_str(),
                    got.from_version,
                    got.to_version,
                    got.cause.as_str(),
                ),
                (
                    ids.real.get(&want.id).copied().unwrap_or(-1),
                    world.items[want.item].as_str(),
                    LOCALE,
                    from,
                    want.to,
                    if want.manual { "manual" } else { "deployment" },
                ),
                &format!("event {} in env {e}", want.id),
            )?;
        }
    }
    Ok(())
}

/// Runs one step against the service and the model.
fn step(
    conn: &mut DbConn,
    world: &World,
    model: &mut Model,
    ids: &mut EventIds,
    t: &Tally,
    op: &Step,
) -> Result<(), TestCaseError> {
    model.step += 1;
    let user = |u: usize| &world.users[u];
    let sees = |owner: usize, by: usize| by == owner || by == ADMIN;
    match *op {
        Step::Publish { env, item, version, by } => {
            let r = service::publishing::publish(conn, user(by), &world.envs[env], &world.items[item], LOCALE, version);
            let s = ok(r, "publish")?;
            let id = model.write(env, item, Some(version), true);
            ensure_eq(s.version, Some(version), "published version")?;
            ids.record(id, s.last_event_id)?;
        }
        Step::Unpublish { env, item, by } => {
            let r = service::publishing::unpublish(conn, user(by), &world.envs[env], &world.items[item], LOCALE);
            if model.envs[env].state(item).is_none() {
                tally(t, "error: not_published");
                fails(r, "not_published", "unpublish")?;
            } else {
                let s = ok(r, "unpublish")?;
                let id = model.write(env, item, None, true);
                ensure_eq(s.version, None, "unpublished version")?;
                ids.record(id, s.last_event_id)?;
            }
        }
        Step::Deploy { release, env, by } => {
            let names = [world.envs[env].clone()];
            let created = ok(
                service::deployments::create_for_release(
                    conn,
                    user(by),
                    &ReleaseId::stored(world.releases[release].0.clone()),
                    &names,
                    None,
                    None,
                )
                .map(Changed::into_value),
                "deploy",
            )?;
            ensure_eq(created.len(), 1, "deployments created")?;
            ensure_eq(created[0].row.trigger.as_str(), "manual", "trigger")?;
            let plan = model.release_plan(release, env);
            let events = run_and_check(conn, world, model, ids, t, "release", env, &created[0].row.id, &plan)?;
            let keys = plan.iter().zip(events).map(|(p, ev)| (p.item, (p.prior, ev))).collect();
            let step = model.step;
            model.deployments.push(ReleaseDeployment { release, env, by, step, keys });
        }
        Step::Schedule { release, env, by } => {
            // Scheduled for tomorrow: it stays `scheduled` and counts for nothing (B3, E3).
            let names = [world.envs[env].clone()];
            let at = Some(rewind::db::now() + chrono::Duration::days(1));
            let r = service::deployments::create_for_release(
                conn,
                user(by),
                &ReleaseId::stored(world.releases[release].0.clone()),
                &names,
                at,
                None,
            )
            .map(Changed::into_value);
            let created = ok(r, "schedule")?;
            ensure_eq(created.len(), 1, "deployments created")?;
            ensure_eq(created[0].row.status.as_str(), "scheduled", "status")?;
            run_worker(conn)?;
            let d = ok(
                service::deployments::get(conn, &DeploymentId::stored(created[0].row.id.clone())),
                "get deployment",
            )?;
            ensure_eq(d.row.status.as_str(), "scheduled", "status after the worker ran")?;
            tally(t, "scheduled deployment");
        }
        Step::CreateRollback { release, by } => {
            let (id, name) = &world.releases[release];
            let r = service::rollback::create(conn, user(by), &ReleaseId::stored(id.clone()));
            match model.create_rollback(by, release) {
                Err(code) => {
                    tally(t, format!("error: {code}"));
                    fails(r, code, "create rollback release")?
                }
                Ok(new) => {
                    let (view, created) = ok(r, "create rollback release")?;
                    ensure_eq(created, new, "rollback release created (201) rather than found (200)")?;
                    tally(t, if new { "rollback release: 201 created" } else { "rollback release: 200 existing" });
                    let rb = model.rollbacks.entry((by, release)).or_default();
                    if !new {
                        ensure_eq(Some(&view.row.id), rb.id.as_ref(), "existing rollback release")?;
                    }
                    ensure_eq(view.row.kind.as_str(), "rollback", "kind")?;
                    ensure_eq(view.row.rollback_of.as_deref(), Some(id.as_str()), "rollback_of")?;
                    ensure_eq(view.row.owner.as_str(), user(by).id.as_str(), "owner")?;
                    ensure_eq(view.row.name, format!("Rollback of {name}"), "name")?;
                    ensure_eq(view.item_count, model.releases[release].len() as i64, "item_count")?;
                    rb.id = Some(view.row.id);
                    rb.live = true;
                }
            }
        }
        Step::RollbackOfRollback { release, owner } => {
            let Some(rb) = model.rollbacks.get(&(owner, release)) else { return Ok(()) };
            let r = service::rollback::create(conn, user(owner), &ReleaseId::stored(rb.id.clone().unwrap_or_default()));
            let code = if rb.live { "rollback_of_rollback" } else { "not_found" };
            tally(t, format!("error: {code} (rollback of a rollback release)"));
            fails(r.map(|(v, c)| (v.row.id, c)), code, "rollback of a rollback release")?;
        }
        Step::DeleteRollback { release, owner, by } => {
            let Some(rb) = model.rollbacks.get_mut(&(owner, release)) else { return Ok(()) };
            let r = service::releases::delete(conn, user(by), &ReleaseId::stored(rb.id.clone().unwrap_or_default()));
            if !rb.live || !sees(owner, by) {
                tally(t, "error: not_found (delete)");
                fails(r, "not_found", "delete rollback release")?;
            } else {
                ok(r, "delete rollback release")?;
                tally(t, "rollback release deleted");
                rb.live = false;
                rb.deleted_at = Some(model.step);
            }
        }
        Step::DeployRollback { release, owner, env, by } => {
            let Some(rb) = model.rollbacks.get(&(owner, release)) else { return Ok(()) };
            let names = [world.envs[env].clone()];
            let id = rb.id.clone().unwrap_or_default();
            let r = service::deployments::create_for_release(
                conn,
                user(by),
                &ReleaseId::stored(id.clone()),
                &names,
                None,
                None,
            )
            .map(Changed::into_value);
            if !rb.live || !sees(owner, by) {
                tally(t, "error: not_found (deploy rollback release)");
                return fails(r, "not_found", "deploy a rollback release not visible");
            }
            match model.rollback_plan(owner, release, env) {
                Err(code) => {
                    tally(t, format!("error: {code}"));
                    fails(r, code, "deploy rollback release")?
                }
                Ok(plan) => {
                    let created = ok(r, "deploy rollback release")?;
                    ensure_eq(created.len(), 1, "deployments created")?;
                    run_and_check(conn, world, model, ids, t, "rollback release", env, &created[0].row.id, &plan)?;
                }
            }
        }
        Step::EnvironmentRollback { env, by } => {
            let r =
                service::deployments::create_environment_rollback(conn, user(by), &world.envs[env], None, None, None)
                    .map(Changed::into_value);
            let mut order: Vec<usize> = (0..ITEMS).collect();
            order.sort_by_key(|&i| &world.items[i]);
            match model.environment_rollback_plan(env, &order) {
                Err(code) => {
                    tally(t, format!("error: {code}"));
                    fails(r, code, "environment rollback")?
                }
                Ok((target, plan)) => {
                    let d = ok(r, "environment rollback")?;
                    ensure_eq(d.row.trigger.as_str(), "rollback", "trigger")?;
                    ensure_eq(d.row.rolled_back_to_deployment_id.as_deref(), Some(target.as_str()), "target (E3)")?;
                    run_and_check(conn, world, model, ids, t, "environment rollback", env, &d.row.id, &plan)?;
                }
            }
        }
    }
    Ok(())
}

#[test]
fn p1_p2_l5_b1_b7_e3_e4_service_matches_a_reference_model_step_by_step() {
    let db = common::TestDb::new();
    let pool = rewind::db::build_pool(&db.url, 2).expect("pool");
    let counter = Cell::new(0usize);
    let t = Tally::default();
    let started = Instant::now();
    // No regression file: a failure prints its minimal case, which is what a report needs.
    let config = Config { cases: 2000, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        let n = counter.get();
        counter.set(n + 1);
        let mut conn = pool.get().map_err(|e| TestCaseError::fail(format!("pool: {e}")))?;
        if let DbConn::Pg(_) = &**conn {
            // Only speed: a test database need not survive a crash, and what each step sees
            // is the same with or without waiting for the flush of each commit.
            conn.batch_execute("SET synchronous_commit = off").map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let world = setup(&mut conn, n, &case.releases)?;
        let mut model = Model::new(case.releases.clone());
        let mut ids = EventIds::default();
        let mut steps = Vec::new();
        for op in &case.ops {
            steps.push(model.resolve(op));
            let last = steps.len() - 1;
            step(&mut conn, &world, &mut model, &mut ids, &t, &steps[last])
                .and_then(|()| check_states(&mut conn, &world, &model, &ids))
                .map_err(|e| TestCaseError::fail(format!("step {last} of {steps:#?}\n{e}")))?;
        }
        Ok(())
    });
    eprintln!("model test: {} cases on {} in {:.1?}", counter.get(), common::backend(), started.elapsed());
    for (what, n) in t.borrow().iter() {
        eprintln!("  {n:>6}  {what}");
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => panic!("{reason}\nminimal failing case: {case:#?}"),
        Err(e) => panic!("{e}"),
    }
}
