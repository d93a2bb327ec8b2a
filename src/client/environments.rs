//! `rewind env …`: environments, their publish state, log and history, environment rollback
//! (E1–E5, partial as B10 says), holds and freeze windows (H1–H4), approval rules (A1), comparing
//! and promoting (M1, M2, in `promotions`), and its published content and sync rounds (V1–V3).

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use serde::Serialize;

use super::args::{EnvCommand, Format};
use super::failure::Failure;
use super::output::{self, Row};
use super::{confirm, follow, idempotency_key, parse_time, promotions, published, Context};
use crate::api::environments::RollbackEnvironment;
use crate::api::wire::{
    ApprovalRule, Deployment, Environment, EnvironmentRollback, EnvironmentRollbackPlan, Freeze, Hold, LiftedHold,
    PublishEvent, PublishState,
};

/// `POST /v1/environments/{env}/hold`'s body, as `crate::api::holds::PlaceHold` reads it.
#[derive(Debug, Serialize)]
struct PlaceHold<'a> {
    reason: &'a str,
}

/// `PATCH /v1/environments/{env}`'s body, as `crate::api::holds::UpdateEnvironment` reads it.
#[derive(Debug, Serialize)]
struct UpdateEnvironment {
    hold_after_rollback: bool,
}

/// `POST /v1/environments/{env}/freezes`'s body, as `crate::api::holds::CreateFreeze` reads it.
#[derive(Debug, Serialize)]
struct CreateFreeze<'a> {
    starts_at: DateTime<FixedOffset>,
    ends_at: DateTime<FixedOffset>,
    reason: &'a str,
}

/// Runs one `env` command.
pub(super) fn run(ctx: &Context, command: EnvCommand) -> Result<(), Failure> {
    let (api, out, limit) = (ctx.api, ctx.out, ctx.args.limit);
    match command {
        EnvCommand::List => out.list(&api.list::<Environment>(&["v1", "environments"], vec![], limit)?),
        EnvCommand::Show { env } => show(ctx, &api.get::<Environment>(&["v1", "environments", &env], vec![])?),
        EnvCommand::State { env, item, at } => {
            let mut q = vec![];
            q.extend(item.map(|i| ("item_id", i)));
            q.extend(at.map(|t| ("at", t)));
            out.list(&api.list::<PublishState>(&["v1", "environments", &env, "publish-state"], q, limit)?)
        }
        EnvCommand::Log { env, item } => {
            let q = item.map(|i| vec![("item_id", i)]).unwrap_or_default();
            out.list(&api.list::<PublishEvent>(&["v1", "environments", &env, "events"], q, limit)?)
        }
        EnvCommand::History { env } => {
            out.list(&api.list::<Deployment>(&["v1", "environments", &env, "deployments"], vec![], limit)?)
        }
        EnvCommand::Rollback { env, to, on_conflict, reason, rollback, run, yes } => {
            // The plan is shown before a terminal's question, as `release rollback` shows its own.
            if run.dry_run || (!yes && super::confirm_would_ask()) {
                let mut q: Vec<_> = to.iter().map(|t| ("target_deployment_id", t.clone())).collect();
                q.extend(rollback.query());
                let plan: EnvironmentRollbackPlan = api.get(&["v1", "environments", &env, "rollback", "preview"], q)?;
                print_plan(ctx, &env, &plan)?;
                if run.dry_run {
                    return Ok(());
                }
                let environment = api.get::<Environment>(&["v1", "environments", &env], vec![])?;
                let active = environment.active_deployment.as_ref().map(|d| d.id.as_str()).unwrap_or("none");
                let target = &plan.target_deployment.id;
                let hold = match rollback.hold() {
                    Some(true) => "; then held",
                    Some(false) => "; not held",
                    None if environment.hold_after_rollback => "; then held (its setting)",
                    None => "",
                };
                confirm(&format!("Roll {env} back: its active deployment is {active}; back to {target}{hold}."), yes)?;
            }
            let body = RollbackEnvironment {
                target_deployment_id: to,
                reason,
                on_conflict,
                hold: rollback.hold(),
                keys: rollback.keys(),
            };
            let key = idempotency_key(&run.idempotency_key);
            let mut answer: EnvironmentRollback =
                api.post(&["v1", "environments", &env, "rollback"], Some(&body), Some(&key))?;
            let mut failure = None;
            if run.wait {
                let (mut ended, f) = follow::follow(api, vec![answer.deployment.clone()], run.timeout, out.quiet);
                answer.deployment = ended.remove(0);
                answer.active_deployment =
                    api.get::<Environment>(&["v1", "environments", &env], vec![])?.active_deployment;
                failure = f;
            }
            print_rollback(ctx, &answer)?;
            failure.map_or(Ok(()), Err)
        }
        EnvCommand::Hold { env, reason } => {
            let body = PlaceHold { reason: &reason };
            out.one(&api.post::<_, Hold>(&["v1", "environments", &env, "hold"], Some(&body), None)?)
        }
        EnvCommand::Lift { env } => print_lifted(ctx, &api.delete_answering(&["v1", "environments", &env, "hold"])?),
        EnvCommand::Holds { env } => {
            out.list(&api.list::<Hold>(&["v1", "environments", &env, "holds"], vec![], limit)?)
        }
        EnvCommand::Set { env, hold_after_rollback, approvals, allow_self_approval } => {
            if approvals == Some(0) && allow_self_approval {
                return Err(Failure::usage("--allow-self-approval takes --approvals 1 to 5: 0 removes the rule"));
            }
            if let Some(hold_after_rollback) = hold_after_rollback {
                let body = UpdateEnvironment { hold_after_rollback };
                api.patch::<_, Environment>(&["v1", "environments", &env], &body)?;
            }
            match approvals {
                Some(0) => api.delete(&["v1", "environments", &env, "approval-rule"])?,
                Some(required) => {
                    let rule = ApprovalRule { required, allow_self_approval };
                    api.put::<_, Environment>(&["v1", "environments", &env, "approval-rule"], &rule)?;
                }
                None => {}
            }
            show(ctx, &api.get::<Environment>(&["v1", "environments", &env], vec![])?)
        }
        EnvCommand::Compare { source, target } => promotions::compare(ctx, &source, &target),
        EnvCommand::Promote(args) => promotions::promote(ctx, args),
        EnvCommand::Freeze { env, from, until, reason } => {
            let starts_at = match from.as_str() {
                "now" => Utc::now().trunc_subsecs(0).fixed_offset(),
                from => parse_time("--from", from)?,
            };
            let body = CreateFreeze { starts_at, ends_at: parse_time("--until", &until)?, reason: &reason };
            out.one(&api.post::<_, Freeze>(&["v1", "environments", &env, "freezes"], Some(&body), None)?)
        }
        EnvCommand::Freezes { env } => {
            let mut all = api.get::<Vec<Freeze>>(&["v1", "environments", &env, "freezes"], vec![])?;
            all.truncate(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)));
            out.list(&all)
        }
        EnvCommand::Content { env, item, locale, at, deployment, release } => {
            published::content(ctx, &env, item, locale, published::Point { at, deployment, release })
        }
        EnvCommand::Sync { env, cursor_file, content_type, page_size } => {
            published::sync(ctx, &env, &cursor_file, content_type, page_size)
        }
        EnvCommand::Unfreeze { env, id, yes } => {
            if !yes && super::confirm_would_ask() {
                let all = api.get::<Vec<Freeze>>(&["v1", "environments", &env, "freezes"], vec![])?;
                let what = match all.iter().find(|f| f.id == id) {
                    Some(f) => format!(
                        "Remove the freeze window {id} of {env} ({} to {}: {})?",
                        f.starts_at, f.ends_at, f.reason
                    ),
                    None => format!("Remove the freeze window {id} of {env}?"),
                };
                confirm(&what, yes)?;
            }
            api.delete(&["v1", "environments", &env, "freezes", &id])?;
            if !out.quiet && out.format == Format::Table {
                eprintln!("removed freeze window {id} of {env}");
            }
            Ok(())
        }
    }
}

/// One environment: its JSON object, its name, or one `field  value` line each, with its hold
/// (who, since when, why, its cause), its open freeze window, its H2 setting and its approval
/// rule (A1).
fn show(ctx: &Context, env: &Environment) -> Result<(), Failure> {
    if ctx.out.format == Format::Json || ctx.out.quiet {
        return ctx.out.one(env);
    }
    let mut rows: Vec<Vec<String>> = Environment::HEADERS
        .iter()
        .zip(env.cells())
        .filter(|(h, _)| **h != "HOLD")
        .map(|(h, c)| vec![h.to_string(), c])
        .collect();
    let mut row = |h: &str, c: String| rows.push(vec![h.to_string(), c]);
    row("PUBLISHED KEYS", env.published_keys.to_string());
    row("HOLD AFTER ROLLBACK", env.hold_after_rollback.to_string());
    match &env.hold {
        None => row("HOLD", "not held".into()),
        Some(h) => {
            row("HOLD", format!("held ({})", h.cause));
            row("HELD BY", h.held_by.clone());
            row("HELD SINCE", h.held_at.to_string());
            row("HOLD REASON", h.reason.clone());
            if let Some(d) = &h.deployment_id {
                row("HOLD DEPLOYMENT", d.clone());
            }
            row("HOLD ID", h.id.clone());
        }
    }
    match &env.approval_rule {
        None => row("APPROVALS", "none needed".into()),
        Some(r) if r.allow_self_approval => row("APPROVALS", format!("{} required, self-approval allowed", r.required)),
        Some(r) => row("APPROVALS", format!("{} required", r.required)),
    }
    match &env.freeze {
        None => row("FREEZE", "none open".into()),
        Some(f) => {
            row("FREEZE", format!("open until {}", f.ends_at));
            row("FROZEN SINCE", f.starts_at.to_string());
            row("FREEZE REASON", f.reason.clone());
            row("FREEZE ID", f.id.clone());
        }
    }
    output::aligned(&rows)
}

/// H1's lift: the hold, lifted, then the deployments that now run.
fn print_lifted(ctx: &Context, lifted: &LiftedHold) -> Result<(), Failure> {
    match (ctx.out.format, ctx.out.quiet) {
        (Format::Json, _) => output::json(lifted),
        (Format::Table, true) => {
            output::lines(std::iter::once(lifted.hold.id()).chain(lifted.released.iter().map(Row::id)))
        }
        (Format::Table, false) => {
            ctx.out.one(&lifted.hold)?;
            if lifted.released.is_empty() {
                return output::lines(["released: no deployment was waiting".to_string()]);
            }
            output::lines(["released:".to_string()])?;
            ctx.out.list(&lifted.released)
        }
    }
}

/// `--dry-run`: the plan as the API gives it in JSON; in a table, the target, then one row per key.
fn print_plan(ctx: &Context, env: &str, plan: &EnvironmentRollbackPlan) -> Result<(), Failure> {
    if ctx.out.format == Format::Json {
        return output::json(plan);
    }
    if !ctx.out.quiet {
        output::lines([format!("plan for {env}: back to deployment {}", plan.target_deployment.id)])?;
    }
    ctx.out.list(&plan.items)
}

/// E5's answer: the new deployment, and the environment's active deployment.
fn print_rollback(ctx: &Context, answer: &EnvironmentRollback) -> Result<(), Failure> {
    match (ctx.out.format, ctx.out.quiet) {
        (Format::Json, _) => output::json(answer),
        (Format::Table, true) => output::lines([answer.deployment.id()]),
        (Format::Table, false) => {
            ctx.out.list(std::slice::from_ref(&answer.deployment))?;
            let active = answer.active_deployment.as_ref().map(|d| d.id.clone()).unwrap_or_else(|| "none".into());
            output::lines([format!("active deployment: {active}")])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client's bodies read back as the server's own request types (which refuse unknown
    /// fields), so that the two cannot drift.
    #[test]
    fn k3_request_bodies_are_what_the_server_reads() {
        let hold = serde_json::to_value(PlaceHold { reason: "bad release" }).unwrap();
        let read: crate::api::holds::PlaceHold = serde_json::from_value(hold).unwrap();
        assert_eq!(read.reason, "bad release");
        let set = serde_json::to_value(UpdateEnvironment { hold_after_rollback: true }).unwrap();
        let read: crate::api::holds::UpdateEnvironment = serde_json::from_value(set).unwrap();
        assert!(read.hold_after_rollback);
        let (starts_at, ends_at) = (parse_time("--from", "+1h").unwrap(), parse_time("--until", "+2h").unwrap());
        let freeze = serde_json::to_value(CreateFreeze { starts_at, ends_at, reason: "launch" }).unwrap();
        let read: crate::api::holds::CreateFreeze = serde_json::from_value(freeze).unwrap();
        assert_eq!((read.starts_at, read.ends_at, read.reason.as_str()), (Some(starts_at), Some(ends_at), "launch"));
    }
}
