//! `rewind deployment …` and `rewind schedule`: one deployment with its approvals, its items,
//! following it (S1), cancelling it (L7), approving or rejecting it (A2), and the scheduled
//! deployments soonest first (Q1).

use super::args::{DeploymentCommand, Format, ScheduleArgs};
use super::failure::Failure;
use super::output::{self, Row};
use super::{follow, Context};
use crate::api::approvals::{Approve, Reject};
use crate::api::wire::{Deployment, PlanItem};
use crate::deployment_document::Verdict;

/// Runs one `deployment` command.
pub(super) fn run(ctx: &Context, command: DeploymentCommand) -> Result<(), Failure> {
    let (api, out) = (ctx.api, ctx.out);
    match command {
        DeploymentCommand::Show { id } => show(ctx, &api.get::<Deployment>(&["v1", "deployments", &id], vec![])?),
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
        DeploymentCommand::Approve { id, comment } => {
            let body = Approve { comment };
            show(ctx, &api.post::<_, Deployment>(&["v1", "deployments", &id, "approve"], Some(&body), None)?)
        }
        DeploymentCommand::Reject { id, comment } => {
            let body = Reject { comment };
            show(ctx, &api.post::<_, Deployment>(&["v1", "deployments", &id, "reject"], Some(&body), None)?)
        }
    }
}

/// One deployment: its JSON object, its id, or one `field  value` line each, then its approvals
/// (how many of how many, and one `APPROVED BY` line each) and its rejection (A2).
fn show(ctx: &Context, d: &Deployment) -> Result<(), Failure> {
    if ctx.out.format == Format::Json || ctx.out.quiet {
        return ctx.out.one(d);
    }
    let mut rows: Vec<Vec<String>> =
        Deployment::HEADERS.iter().zip(d.cells()).map(|(h, c)| vec![h.to_string(), c]).collect();
    let mut row = |h: &str, c: String| rows.push(vec![h.to_string(), c]);
    match &d.approvals {
        None => row("APPROVALS", "none needed".into()),
        Some(a) => {
            row("APPROVALS", format!("{}/{} given", a.given.len(), a.required));
            for given in &a.given {
                row("APPROVED BY", verdict(given));
            }
        }
    }
    if let Some(r) = &d.rejection {
        row("REJECTED BY", verdict(r));
    }
    output::aligned(&rows)
}

/// Who gave an approval or the rejection, when, and why.
fn verdict(v: &Verdict) -> String {
    match &v.comment {
        Some(c) => format!("{} at {}: {c}", v.user_id, v.at),
        None => format!("{} at {}", v.user_id, v.at),
    }
}

/// Q1: every scheduled deployment (of `--env`), soonest first.
pub(super) fn schedule(ctx: &Context, args: ScheduleArgs) -> Result<(), Failure> {
    let mut q = vec![("status", "scheduled".to_string())];
    q.extend(args.env.map(|e| ("environment", e)));
    ctx.out.list(&ctx.api.list::<Deployment>(&["v1", "deployments"], q, ctx.args.limit)?)
}
