//! One step of a case, run against the service and the model: a function per kind of step.

use proptest::test_runner::TestCaseError;
use rewind::db::DbConn;
use rewind::domain::ids::{DeploymentId, ItemId, ReleaseId};
use rewind::service;
use rewind::service::effects::Changed;

use super::reference::{Model, ReleaseDeployment};
use super::runner::{ensure_eq, fails, ok, run_and_check, run_worker, tally, EventIds, Tally, World};
use super::strategy::Step;
use super::{ADMIN, ITEMS, LOCALE};

/// What a step reaches: the connection, the case's universe, the model, the event ids it has
/// matched and the tally of outcomes.
struct Run<'a> {
    conn: &'a mut DbConn,
    world: &'a World,
    model: &'a mut Model,
    ids: &'a mut EventIds,
    t: &'a Tally,
}

/// Runs one step against the service and the model.
pub(crate) fn step(
    conn: &mut DbConn,
    world: &World,
    model: &mut Model,
    ids: &mut EventIds,
    t: &Tally,
    op: &Step,
) -> Result<(), TestCaseError> {
    model.step += 1;
    let run = Run { conn, world, model, ids, t };
    match *op {
        Step::Publish { env, item, version, by } => publish(run, env, item, version, by),
        Step::Unpublish { env, item, by } => unpublish(run, env, item, by),
        Step::Deploy { release, env, by } => deploy(run, release, env, by),
        Step::Schedule { release, env, by } => schedule(run, release, env, by),
        Step::CreateRollback { release, by } => create_rollback(run, release, by),
        Step::RollbackOfRollback { release, owner } => rollback_of_rollback(run, release, owner),
        Step::DeleteRollback { release, owner, by } => delete_rollback(run, release, owner, by),
        Step::DeployRollback { release, owner, env, by, select } => {
            deploy_rollback(run, release, owner, env, by, select)
        }
        Step::EnvironmentRollback { env, by, select } => environment_rollback(run, env, by, select),
    }
}

/// P1: a manual publish.
fn publish(run: Run, env: usize, item: usize, version: i32, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, ids, .. } = run;
    let user = |u: usize| &world.users[u];
    let r = service::publishing::publish(
        conn,
        user(by),
        &world.envs[env],
        Ok(ItemId::stored(world.items[item].clone())),
        LOCALE,
        version,
    );
    let s = ok(r, "publish")?;
    let id = model.write(env, item, Some(version), None);
    ensure_eq(s.version, Some(version), "published version")?;
    ids.record(id, s.last_event_id)?;
    Ok(())
}

/// P2: a manual unpublish (409 `not_published` when nothing is published).
fn unpublish(run: Run, env: usize, item: usize, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, ids, t } = run;
    let user = |u: usize| &world.users[u];
    let r = service::publishing::unpublish(
        conn,
        user(by),
        &world.envs[env],
        Ok(ItemId::stored(world.items[item].clone())),
        LOCALE,
    );
    if model.envs[env].state(item).is_none() {
        tally(t, "error: not_published");
        fails(r, "not_published", "unpublish")?;
    } else {
        let s = ok(r, "unpublish")?;
        let id = model.write(env, item, None, None);
        ensure_eq(s.version, None, "unpublished version")?;
        ids.record(id, s.last_event_id)?;
    }
    Ok(())
}

/// L5: a standard release deployed now, run and checked against the model's plan.
fn deploy(run: Run, release: usize, env: usize, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, ids, t } = run;
    let user = |u: usize| &world.users[u];
    let names = [world.envs[env].clone()];
    let created = ok(
        service::deployments::create_for_release(
            conn,
            user(by),
            &ReleaseId::stored(world.releases[release].0.clone()),
            &names,
            None,
            &Default::default(),
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
    Ok(())
}

/// L7, B3: a deployment scheduled for tomorrow stays `scheduled` and counts for nothing.
fn schedule(run: Run, release: usize, env: usize, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, t, .. } = run;
    let user = |u: usize| &world.users[u];
    // Scheduled for tomorrow: it stays `scheduled` and counts for nothing (B3, E3).
    let names = [world.envs[env].clone()];
    let at = Some(rewind::db::now() + chrono::Duration::days(1));
    let r = service::deployments::create_for_release(
        conn,
        user(by),
        &ReleaseId::stored(world.releases[release].0.clone()),
        &names,
        at,
        &Default::default(),
    )
    .map(Changed::into_value);
    let created = ok(r, "schedule")?;
    ensure_eq(created.len(), 1, "deployments created")?;
    ensure_eq(created[0].row.status.as_str(), "scheduled", "status")?;
    run_worker(conn)?;
    let d = ok(service::deployments::get(conn, &DeploymentId::stored(created[0].row.id.clone())), "get deployment")?;
    ensure_eq(d.row.status.as_str(), "scheduled", "status after the worker ran")?;
    tally(t, "scheduled deployment");
    Ok(())
}

/// B1–B4: a user's rollback release of a release, created or found, or refused.
fn create_rollback(run: Run, release: usize, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, t, .. } = run;
    let user = |u: usize| &world.users[u];
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
    Ok(())
}

/// B2, B5: a rollback release cannot be rolled back.
fn rollback_of_rollback(run: Run, release: usize, owner: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, t, .. } = run;
    let user = |u: usize| &world.users[u];
    let Some(rb) = model.rollbacks.get(&(owner, release)) else { return Ok(()) };
    let r = service::rollback::create(conn, user(owner), &ReleaseId::stored(rb.id.clone().unwrap_or_default()));
    let code = if rb.live { "rollback_of_rollback" } else { "not_found" };
    tally(t, format!("error: {code} (rollback of a rollback release)"));
    fails(r.map(|(v, c)| (v.row.id, c)), code, "rollback of a rollback release")?;
    Ok(())
}

/// B4, B5: a rollback release deleted by its owner or an admin.
fn delete_rollback(run: Run, release: usize, owner: usize, by: usize) -> Result<(), TestCaseError> {
    let Run { conn, world, model, t, .. } = run;
    let user = |u: usize| &world.users[u];
    let sees = |owner: usize, by: usize| by == owner || by == ADMIN;
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
    Ok(())
}

/// B6, B7: a rollback release deployed, run and checked against the model's plan.
fn deploy_rollback(
    run: Run,
    release: usize,
    owner: usize,
    env: usize,
    by: usize,
    select: Option<u8>,
) -> Result<(), TestCaseError> {
    let Run { conn, world, model, ids, t } = run;
    let items: Vec<usize> = model.releases[release].iter().map(|&(item, _)| item).collect();
    let selected = select.map(|mask| selection(mask, &items));
    let user = |u: usize| &world.users[u];
    let sees = |owner: usize, by: usize| by == owner || by == ADMIN;
    let Some(rb) = model.rollbacks.get(&(owner, release)) else { return Ok(()) };
    let names = [world.envs[env].clone()];
    let id = rb.id.clone().unwrap_or_default();
    let r = service::deployments::create_for_release(
        conn,
        user(by),
        &ReleaseId::stored(id.clone()),
        &names,
        None,
        &keys(world, selected.as_deref()),
    )
    .map(Changed::into_value);
    if !rb.live || !sees(owner, by) {
        tally(t, "error: not_found (deploy rollback release)");
        return fails(r, "not_found", "deploy a rollback release not visible");
    }
    match model.rollback_plan(owner, release, env, selected.as_deref()) {
        Err(code) => {
            tally(t, format!("error: {code}"));
            fails(r, code, "deploy rollback release")?
        }
        Ok(plan) => {
            let created = ok(r, "deploy rollback release")?;
            ensure_eq(created.len(), 1, "deployments created")?;
            run_and_check(conn, world, model, ids, t, "rollback release", env, &created[0].row.id, &plan)?;
            model.rollback_deployments.insert(created[0].row.id.clone(), id);
        }
    }
    Ok(())
}

/// B10: the items of `among` that `mask` names, or the first of them when it names none.
fn selection(mask: u8, among: &[usize]) -> Vec<usize> {
    let picked: Vec<usize> = among.iter().copied().filter(|&i| mask & (1 << i) != 0).collect();
    if picked.is_empty() {
        among[..1].to_vec()
    } else {
        picked
    }
}

/// B10: the rollback's options selecting `items` (none: all of them).
fn keys(world: &World, items: Option<&[usize]>) -> service::deployments::RollbackOptions {
    let keys =
        items.map(|items| items.iter().map(|&i| rewind::domain::Key::new(world.items[i].clone(), LOCALE)).collect());
    service::deployments::RollbackOptions { keys, ..Default::default() }
}

/// E1–E4, B10: an environment rolled back to its last good state, all of it or some keys.
fn environment_rollback(run: Run, env: usize, by: usize, select: Option<u8>) -> Result<(), TestCaseError> {
    let Run { conn, world, model, ids, t } = run;
    let all: Vec<usize> = (0..ITEMS).collect();
    let selected = select.map(|mask| selection(mask, &all));
    let user = |u: usize| &world.users[u];
    let r = service::deployments::create_environment_rollback(
        conn,
        user(by),
        &world.envs[env],
        None,
        None,
        &keys(world, selected.as_deref()),
    )
    .map(Changed::into_value);
    let mut order: Vec<usize> = (0..ITEMS).collect();
    order.sort_by_key(|&i| &world.items[i]);
    match model.environment_rollback_plan(env, &order, selected.as_deref()) {
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
    Ok(())
}
