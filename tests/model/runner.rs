//! The service side of a case: its universe created in the database, each step run against the
//! service layer and the model, and the checks after each step.

use std::collections::HashMap;
use std::fmt::Debug;

use proptest::test_runner::TestCaseError;
use rewind::db::DbConn;
use rewind::domain::ids::{DeploymentId, ItemId, ReleaseId, UserId};
use rewind::domain::{Action, ItemKind, Role};
use rewind::error::AppResult;
use rewind::service::{self, Caller, PageParams};

use super::reference::{Model, Planned};
use super::strategy::ReleaseItem;
use super::{ADMIN, ENVS, ITEMS, LOCALE, USERS, VERSIONS};

/// The case's universe as created in the database.
pub(crate) struct World {
    pub(crate) envs: Vec<String>,
    pub(crate) users: Vec<Caller>,
    pub(crate) items: Vec<String>,
    pub(crate) releases: Vec<(String, String)>,
}

/// How often each kind of outcome came up over all cases, to show what the run covered.
pub(crate) type Tally = std::cell::RefCell<std::collections::BTreeMap<String, usize>>;

pub(crate) fn tally(t: &Tally, what: impl Into<String>) {
    *t.borrow_mut().entry(what.into()).or_default() += 1;
}

/// Model event ids to real ones, and the highest real id seen (ids are monotonic).
#[derive(Default)]
pub(crate) struct EventIds {
    pub(crate) real: HashMap<i64, i64>,
    pub(crate) highest: i64,
}

impl EventIds {
    pub(crate) fn record(&mut self, model: i64, real: i64) -> Result<(), TestCaseError> {
        ensure(real > self.highest, || format!("event id {real} is not above {}", self.highest))?;
        self.highest = real;
        self.real.insert(model, real);
        Ok(())
    }
}

pub(crate) fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if cond {
        Ok(())
    } else {
        Err(TestCaseError::fail(msg()))
    }
}

pub(crate) fn ensure_eq<T: PartialEq + Debug>(got: T, want: T, what: &str) -> Result<(), TestCaseError> {
    ensure(got == want, || format!("{what}: service {got:?}, model {want:?}"))
}

/// The value of a call the model expects to succeed.
pub(crate) fn ok<T>(r: AppResult<T>, what: &str) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("{what}: unexpected error {} ({e})", e.code())))
}

/// A call the model expects to fail with `code`.
pub(crate) fn fails<T: Debug>(r: AppResult<T>, code: &str, what: &str) -> Result<(), TestCaseError> {
    match r {
        Ok(v) => Err(TestCaseError::fail(format!("{what}: service succeeded ({v:?}), model expects {code}"))),
        Err(e) => ensure_eq(e.code().as_str(), code, what),
    }
}

pub(crate) const ALL: PageParams = PageParams { limit: 500, cursor: None };

pub(crate) fn setup(conn: &mut DbConn, n: usize, releases: &[Vec<ReleaseItem>]) -> Result<World, TestCaseError> {
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
            ok(service::users::set_grant(conn, &users[ADMIN], Ok(u.id.clone()), e, true), "grant")?;
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
            ok(
                service::items::add_version(conn, &users[ADMIN], Ok(ItemId::stored(item.row.id.clone())), content(v)),
                "add version",
            )?;
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
pub(crate) fn run_worker(conn: &mut DbConn) -> Result<(), TestCaseError> {
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
pub(crate) fn run_and_check(
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
pub(crate) fn check_states(
    conn: &mut DbConn,
    world: &World,
    model: &Model,
    ids: &EventIds,
) -> Result<(), TestCaseError> {
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
