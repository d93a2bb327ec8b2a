//! `rewind release …`: releases, their items, deploying (L4), previews (B9) and rollback
//! releases (B1, B6).

use std::io::BufRead;

use chrono::{DateTime, FixedOffset};

use super::args::{ReleaseCommand, RollbackArgs, RunArgs};
use super::failure::Failure;
use super::output;
use super::{confirm, follow, idempotency_key, parse_time, Context};
use crate::api::releases::{AddItem, AddItems, CreateRelease, Deploy};
use crate::api::wire::{AddedItems, Deployment, Me, PlanItem, Release, SelectedKey};
use crate::domain::{Action, ConflictPolicy};

/// Runs one `release` command.
pub(super) fn run(ctx: &Context, command: ReleaseCommand) -> Result<(), Failure> {
    let (api, out) = (ctx.api, ctx.out);
    match command {
        ReleaseCommand::List { kind } => {
            let q = kind.map(|k| vec![("kind", k)]).unwrap_or_default();
            out.list(&api.list::<Release>(&["v1", "releases"], q, ctx.args.limit)?)
        }
        ReleaseCommand::Show { id } => out.one(&api.get::<Release>(&["v1", "releases", &id], vec![])?),
        ReleaseCommand::Create { name, description } => {
            let body = CreateRelease { name, description };
            out.one(&api.post::<_, Release>(&["v1", "releases"], Some(&body), None)?)
        }
        ReleaseCommand::Add { id, item, locale, publish, unpublish, from_file, include_references } => {
            let items = match (item, from_file) {
                (Some(item_id), _) => {
                    let action = match (publish, unpublish) {
                        (Some(_), false) => Action::Publish,
                        (None, true) => Action::Unpublish,
                        _ => return Err(Failure::usage("--item takes one of --publish VERSION or --unpublish")),
                    };
                    let locale = locale.unwrap_or_default();
                    vec![AddItem { item_id, locale, action, version: publish }]
                }
                (None, Some(path)) => read_items(&path)?,
                (None, None) => return Err(Failure::usage("give --item … or --from-file FILE")),
            };
            let body = AddItems { items, include_references };
            let added: AddedItems = api.post(&["v1", "releases", &id, "items"], Some(&body), None)?;
            match (out.format, out.quiet) {
                (super::args::Format::Json, _) => output::json(&added),
                _ => {
                    out.one(&added.release)?;
                    let missing = added
                        .not_added
                        .iter()
                        .map(|k| format!("not added (no version in {}): {}", k.locale, k.item_id));
                    output::lines(if out.quiet { Vec::new() } else { missing.collect() })
                }
            }
        }
        ReleaseCommand::Deploy { id, envs, at, on_conflict, rollback, run } => {
            let scheduled_at = at.as_deref().map(|at| parse_time("--at", at)).transpose()?;
            deploy(ctx, &id, envs, scheduled_at, Asked { on_conflict, rollback: &rollback }, &run, None)
        }
        ReleaseCommand::Preview { id, env, on_conflict, keys } => {
            let selected = RollbackArgs { keys, ..RollbackArgs::default() };
            out.list(&preview(ctx, &id, &env, Asked { on_conflict, rollback: &selected })?)
        }
        ReleaseCommand::Rollback { id, envs, on_conflict, rollback: options, run, yes } => {
            rollback(ctx, &id, envs, on_conflict, &options, &run, yes)
        }
        ReleaseCommand::Delete { id, yes } => {
            let release = api.get::<Release>(&["v1", "releases", &id], vec![])?;
            confirm(
                &format!("Delete release {} ({}, {} items)? Its history stays.", release.name, id, release.item_count),
                yes,
            )?;
            api.delete(&["v1", "releases", &id])?;
            if !out.quiet && out.format == super::args::Format::Table {
                eprintln!("deleted release {id}");
            }
            Ok(())
        }
    }
}

/// The items of a JSON-lines file (`-`: stdin), each line the API's own item object.
fn read_items(path: &std::path::Path) -> Result<Vec<AddItem>, Failure> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut items = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(&line)
            .map_err(|e| Failure::usage(format!("{} line {}: {e}", path.display(), n + 1)))?;
        items.push(item);
    }
    Ok(items)
}

/// What a deploy of a rollback release asks beyond its environments and time: C1's policy, H2's
/// hold and B10's keys.
#[derive(Debug, Clone, Copy)]
struct Asked<'a> {
    on_conflict: Option<ConflictPolicy>,
    rollback: &'a RollbackArgs,
}

/// B9: the plan of deploying `id` to `env` now (of the `--key`s only, B10).
fn preview(ctx: &Context, id: &str, env: &str, asked: Asked) -> Result<Vec<PlanItem>, Failure> {
    let mut q = vec![("environment", env.to_string())];
    q.extend(asked.on_conflict.map(|p| ("on_conflict", p.as_str().to_string())));
    q.extend(asked.rollback.query());
    ctx.api.get(&["v1", "releases", id, "preview"], q)
}

/// Prints the plan of each environment: under a heading in a table, one array of
/// `{environment, plan}` in JSON.
fn print_plans(ctx: &Context, plans: &[(String, Vec<PlanItem>)]) -> Result<(), Failure> {
    if ctx.out.format == super::args::Format::Json {
        let all: Vec<_> = plans.iter().map(|(e, p)| serde_json::json!({"environment": e, "plan": p})).collect();
        return output::json(&all);
    }
    for (env, plan) in plans {
        if !ctx.out.quiet {
            output::lines([format!("plan for {env}:")])?;
        }
        ctx.out.list(plan)?;
    }
    Ok(())
}

/// Deploys `id` (with `--dry-run`, prints its plans instead), then follows with `--wait`.
fn deploy(
    ctx: &Context,
    id: &str,
    environments: Vec<String>,
    scheduled_at: Option<DateTime<FixedOffset>>,
    asked: Asked,
    run: &RunArgs,
    key: Option<String>,
) -> Result<(), Failure> {
    if run.dry_run {
        let plans = environments
            .iter()
            .map(|e| preview(ctx, id, e, asked).map(|p| (e.clone(), p)))
            .collect::<Result<Vec<_>, _>>()?;
        return print_plans(ctx, &plans);
    }
    let key = key.unwrap_or_else(|| idempotency_key(&run.idempotency_key));
    let keys: Option<Vec<SelectedKey>> = asked.rollback.keys();
    let body = Deploy { environments, scheduled_at, on_conflict: asked.on_conflict, hold: asked.rollback.hold(), keys };
    let (deployments, failure) = start(ctx, id, &body, &key, run)?;
    ctx.out.list(&deployments)?;
    failure.map_or(Ok(()), Err)
}

/// Starts the deployments of `body` (L4, sent with `key`), and with `--wait` follows them: answers
/// them as they stand then, with the failure to exit with once they are printed.
pub(super) fn start(
    ctx: &Context,
    id: &str,
    body: &Deploy,
    key: &str,
    run: &RunArgs,
) -> Result<(Vec<Deployment>, Option<Failure>), Failure> {
    let deployments: Vec<Deployment> = ctx.api.post(&["v1", "releases", id, "deploy"], Some(body), Some(key))?;
    if !run.wait {
        return Ok((deployments, None));
    }
    Ok(follow::follow(ctx.api, deployments, run.timeout, ctx.out.quiet))
}

/// B1 then B6: finds or creates the caller's rollback release of `id`, and deploys it to each
/// of `envs` (after showing its plans and asking, on a terminal).
fn rollback(
    ctx: &Context,
    id: &str,
    envs: Vec<String>,
    on_conflict: Option<ConflictPolicy>,
    options: &RollbackArgs,
    run: &RunArgs,
    yes: bool,
) -> Result<(), Failure> {
    if envs.is_empty() && options.any() {
        return Err(Failure::usage("--hold, --no-hold and --key take --env: they are about deploying the rollback"));
    }
    let me: Me = ctx.api.get(&["v1", "me"], vec![])?;
    let mine = ctx
        .api
        .list::<Release>(&["v1", "releases", id, "rollbacks"], vec![], None)?
        .into_iter()
        .find(|r| r.owner == me.id);
    let key = idempotency_key(&run.idempotency_key);
    let rollback = match (mine, run.dry_run) {
        (Some(r), _) => r,
        (None, true) => {
            return Err(Failure::usage(format!(
                "you have no rollback release of {id} yet, and creating one is a write: run `rewind release \
                 rollback {id}` (it creates it and publishes nothing), then --dry-run shows its plan"
            )))
        }
        (None, false) => ctx.api.post::<(), Release>(&["v1", "releases", id, "rollback"], None, Some(&key))?,
    };
    if envs.is_empty() {
        if run.dry_run {
            return Err(Failure::usage("--dry-run of a rollback needs --env: the plan is per environment"));
        }
        return ctx.out.one(&rollback);
    }
    if !run.dry_run && !yes && super::confirm_would_ask() {
        let plans = envs
            .iter()
            .map(|e| preview(ctx, &rollback.id, e, Asked { on_conflict, rollback: options }).map(|p| (e.clone(), p)))
            .collect::<Result<Vec<_>, _>>()?;
        print_plans(ctx, &plans)?;
        let hold = match options.hold() {
            Some(true) => ", then hold it",
            Some(false) => ", and not hold it",
            None => "",
        };
        confirm(&format!("Deploy {} ({}) to {}{hold}?", rollback.name, rollback.id, envs.join(", ")), yes)?;
    }
    // The rollback release's deploy is another request than its creation: another key (X3).
    let asked = Asked { on_conflict, rollback: options };
    deploy(ctx, &rollback.id, envs, None, asked, run, Some(format!("{key}.deploy")))
}
