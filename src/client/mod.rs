//! The command-line client (K1, K2): the `rewind` commands that speak to a running server
//! through its API, with the API's own wire types, so that client and server cannot drift.

pub mod args;
mod cursor_file;
mod deployments;
mod environments;
pub mod failure;
mod follow;
mod http;
mod items;
pub mod output;
mod promotion_args;
mod promotions;
mod published;
mod releases;
mod rollback_args;

use std::io::{BufRead, IsTerminal, Write};

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};

use args::{ClientArgs, DeploymentCommand, EnvCommand, ItemCommand, ReleaseCommand, ScheduleArgs};
use failure::{code, Failure};

/// The commands that speak to a server.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Environments: list, show, state, log, history, rollback, holds, freeze windows, approval
    /// rules, compare and promote, content, sync.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Releases: list, show, create, add, deploy, preview, rollback, delete.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Deployments: show, items, watch, cancel, approve, reject.
    #[command(subcommand)]
    Deployment(DeploymentCommand),
    /// The scheduled deployments, soonest first (Q1).
    Schedule(ScheduleArgs),
    /// Item diffs between versions (D1).
    #[command(subcommand)]
    Item(ItemCommand),
}

/// Runs `command` against the server of `args`; answers the exit status (K2). A failure is
/// printed as `error[<code>]: <detail>` on stderr.
pub fn run(args: &ClientArgs, command: ClientCommand) -> u8 {
    let result = http::Api::new(args).and_then(|api| {
        let out = output::Output::of(args);
        let ctx = Context { api: &api, out, args };
        match command {
            ClientCommand::Env(c) => environments::run(&ctx, c),
            ClientCommand::Release(c) => releases::run(&ctx, c),
            ClientCommand::Deployment(c) => deployments::run(&ctx, c),
            ClientCommand::Schedule(a) => deployments::schedule(&ctx, a),
            ClientCommand::Item(c) => items::run(&ctx, c),
        }
    });
    match result {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("{f}");
            f.exit_status()
        }
    }
}

/// What every command gets: the server, the printing, the client options.
struct Context<'a> {
    api: &'a http::Api,
    out: output::Output,
    args: &'a ClientArgs,
}

/// The `Idempotency-Key` of a command: the given one, or a fresh UUID (K2).
fn idempotency_key(given: &Option<String>) -> String {
    given.clone().unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// A time a flag names: an RFC 3339 time, or `+DURATION` from now (`+10m`, to the second).
fn parse_time(flag: &str, at: &str) -> Result<DateTime<FixedOffset>, Failure> {
    if let Some(d) = at.strip_prefix('+') {
        let d = humantime::parse_duration(d).map_err(|e| Failure::usage(format!("{flag} {at}: {e}")))?;
        let d = chrono::Duration::from_std(d).map_err(|e| Failure::usage(format!("{flag} {at}: {e}")))?;
        // Whole seconds, as a person would have written the time, and never sooner than asked.
        let at = Utc::now()
            .checked_add_signed(d + chrono::Duration::seconds(1))
            .ok_or_else(|| Failure::usage(format!("{flag} {at}: too far ahead")))?;
        return Ok(at.trunc_subsecs(0).fixed_offset());
    }
    DateTime::parse_from_rfc3339(at)
        .map_err(|e| Failure::usage(format!("{flag} {at}: not an RFC 3339 time or +DURATION: {e}")))
}

/// Whether [`confirm`] would ask: only with a person at a terminal (stdin and stderr).
fn confirm_would_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// On a terminal, shows `what` and asks; elsewhere never asks. `--yes` skips the question.
fn confirm(what: &str, yes: bool) -> Result<(), Failure> {
    if yes || !confirm_would_ask() {
        return Ok(());
    }
    eprint!("{what}\nGo ahead? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Failure::new(code::DECLINED, e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(Failure::new(code::DECLINED, "nothing was done"))
    }
}
