//! `rewind env compare` and `rewind env promote` (K3): what differs between two environments
//! (M1), and the release that promotes it (M2), deployed and followed with `--deploy --wait`.

use serde::Serialize;

use super::args::{Format, PromoteArgs, RunArgs};
use super::failure::Failure;
use super::output::{self, Row};
use super::{idempotency_key, releases, Context};
use crate::api::promotions::{Difference, Promote};
use crate::api::releases::Deploy;
use crate::api::wire::{Deployment, Release};

/// `--output json` of a promotion deployed: the release, and its deployment to the target.
#[derive(Debug, Serialize)]
struct Promoted<'a> {
    release: &'a Release,
    deployments: &'a [Deployment],
}

/// M1: every key whose publish state differs between `source` and `target` (or the first
/// `--limit`), every page.
pub(super) fn compare(ctx: &Context, source: &str, target: &str) -> Result<(), Failure> {
    let q = vec![("source", source.to_string())];
    ctx.out.list(&ctx.api.list::<Difference>(&["v1", "environments", target, "compare"], q, ctx.args.limit)?)
}

/// M2: creates the promotion's release; with `--deploy`, deploys it to the target (and follows
/// it with `--wait`, through `awaiting_approval`).
pub(super) fn promote(ctx: &Context, args: PromoteArgs) -> Result<(), Failure> {
    let body = Promote {
        source: args.source.clone(),
        name: args.name.clone(),
        unpublish_missing: args.unpublish_missing,
        keys: (!args.keys.is_empty()).then(|| args.keys.clone()),
    };
    let release: Release = ctx.api.post(&["v1", "environments", &args.target, "promote"], Some(&body), None)?;
    if !args.deploy {
        return ctx.out.one(&release);
    }
    // K2's deploy flags; no dry run: `env compare` shows what a promotion would release.
    let run = RunArgs { idempotency_key: args.idempotency_key, dry_run: false, wait: args.wait, timeout: args.timeout };
    let key = idempotency_key(&run.idempotency_key);
    let deploy =
        Deploy { environments: vec![args.target], scheduled_at: None, on_conflict: None, hold: None, keys: None };
    let (deployments, failure) = match releases::start(ctx, &release.id, &deploy, &key, &run) {
        Ok(started) => started,
        Err(refused) => {
            // The release stays: its id tells how to deploy it once the refusal is out of the way.
            ctx.out.one(&release)?;
            return Err(refused);
        }
    };
    match (ctx.out.format, ctx.out.quiet) {
        (Format::Json, _) => output::json(&Promoted { release: &release, deployments: &deployments })?,
        (Format::Table, true) => output::lines(std::iter::once(release.id()).chain(deployments.iter().map(Row::id)))?,
        (Format::Table, false) => {
            ctx.out.one(&release)?;
            output::lines(["deployed:".to_string()])?;
            ctx.out.list(&deployments)?;
        }
    }
    failure.map_or(Ok(()), Err)
}
