//! `rewind deployment …` and `rewind schedule`: one deployment, its items, following it (S1),
//! cancelling it (L7), and the scheduled deployments soonest first (Q1).

use super::args::{DeploymentCommand, ScheduleArgs};
use super::failure::Failure;
use super::{follow, Context};
use crate::api::wire::{Deployment, PlanItem};

/// Runs one `deployment` command.
pub(super) fn run(ctx: &Context, command: DeploymentCommand) -> Result<(), Failure> {
    let (api, out) = (ctx.api, ctx.out);
    match command {
        DeploymentCommand::Show { id } => out.one(&api.get::<Deployment>(&["v1", "deployments", &id], vec![])?),
        DeploymentCommand::Items { id, outcome } => {
            let q = outcome.map(|o| vec![("outcome", o)]).unwrap_or_default();
            out.list(&api.list::<PlanItem>(&["v1", "deployments", &id, "items"], q, ctx.args.limit)?)
        }
        DeploymentCommand::Watch { id, timeout } => {
            let now = api.get::<Deployment>(&["v1", "deployments", &id], vec![])?;
            let (ended, failure) = follow::follow(api, vec![now], timeout, out.quiet);
            out.list(&ended)?;
            failure.map_or(Ok(()), Err)
        }
        DeploymentCommand::Cancel { id } => {
            out.one(&api.post::<(), Deployment>(&["v1", "deployments", &id, "cancel"], None, None)?)
        }
    }
}

/// Q1: every scheduled deployment (of `--env`), soonest first.
pub(super) fn schedule(ctx: &Context, args: ScheduleArgs) -> Result<(), Failure> {
    let mut q = vec![("status", "scheduled".to_string())];
    q.extend(args.env.map(|e| ("environment", e)));
    ctx.out.list(&ctx.api.list::<Deployment>(&["v1", "deployments"], q, ctx.args.limit)?)
}
