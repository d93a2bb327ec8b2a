//! `rewind env …`: environments, their publish state, log and history, and environment
//! rollback (E1–E5).

use super::args::{EnvCommand, Format};
use super::failure::Failure;
use super::output::{self, Row};
use super::{confirm, follow, idempotency_key, Context};
use crate::api::environments::RollbackEnvironment;
use crate::api::wire::{
    Deployment, Environment, EnvironmentRollback, EnvironmentRollbackPlan, PublishEvent, PublishState,
};

/// Runs one `env` command.
pub(super) fn run(ctx: &Context, command: EnvCommand) -> Result<(), Failure> {
    let (api, out, limit) = (ctx.api, ctx.out, ctx.args.limit);
    match command {
        EnvCommand::List => out.list(&api.list::<Environment>(&["v1", "environments"], vec![], limit)?),
        EnvCommand::Show { env } => out.one(&api.get::<Environment>(&["v1", "environments", &env], vec![])?),
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
        EnvCommand::Rollback { env, to, on_conflict, reason, run, yes } => {
            // The plan is shown before a terminal's question, as `release rollback` shows its own.
            if run.dry_run || (!yes && super::confirm_would_ask()) {
                let q = to.iter().map(|t| ("target_deployment_id", t.clone())).collect();
                let plan: EnvironmentRollbackPlan = api.get(&["v1", "environments", &env, "rollback", "preview"], q)?;
                print_plan(ctx, &env, &plan)?;
                if run.dry_run {
                    return Ok(());
                }
                let environment = api.get::<Environment>(&["v1", "environments", &env], vec![])?;
                let active = environment.active_deployment.as_ref().map(|d| d.id.as_str()).unwrap_or("none");
                let target = &plan.target_deployment.id;
                confirm(&format!("Roll {env} back: its active deployment is {active}; back to {target}."), yes)?;
            }
            let body = RollbackEnvironment { target_deployment_id: to, reason, on_conflict, hold: None, keys: None };
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
