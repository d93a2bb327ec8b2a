//! The command line of the client commands (K1): what each command takes.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Subcommand, ValueEnum};

pub use super::promotion_args::PromoteArgs;
use super::rollback_args::key;
pub use super::rollback_args::RollbackArgs;
use crate::api::wire::SelectedKey;

use crate::domain::ConflictPolicy;

const CLIENT: &str = "Client options (commands that speak to a server)";

/// Options of every command that speaks to a server.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The rewind server to speak to.
    #[arg(long, env = "REWIND_URL", default_value = "http://127.0.0.1:8080", global = true, help_heading = CLIENT)]
    pub server: String,
    /// The bearer token (prefer REWIND_TOKEN: a flag shows in the process list). Never printed.
    #[arg(long, env = "REWIND_TOKEN", hide_env_values = true, global = true, help_heading = CLIENT)]
    pub token: Option<String>,
    /// `table` for a person; `json` prints the API's `data` (a list as one array of every page).
    #[arg(long, value_enum, default_value_t = Format::Table, global = true, help_heading = CLIENT)]
    pub output: Format,
    /// Print only ids (one a line).
    #[arg(long, short, global = true, help_heading = CLIENT)]
    pub quiet: bool,
    /// At most this many rows of a list (every page when absent).
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..), help_heading = CLIENT)]
    pub limit: Option<u64>,
    /// Log each request and answer (method, URL, status; never the token) on stderr.
    #[arg(long, short, global = true, help_heading = CLIENT)]
    pub verbose: bool,
    /// How often a 503 or a connection error is retried (with backoff) before exit 6.
    #[arg(long, env = "REWIND_RETRIES", default_value_t = 5, global = true, help_heading = CLIENT)]
    pub retries: u32,
}

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns with a header line (a single resource: one `field  value` line each).
    Table,
    /// The API's `data`, one line of JSON.
    Json,
}

/// The flags of a command that starts deployments (K2).
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Sent as `Idempotency-Key`; give the same one when a script retries (a UUID when absent).
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Print the plan and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Follow the deployments until they end (also while they await approval): 0 succeeded, 1
    /// failed, cancelled or rejected.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long (`90s`, `3m`), exit 7; the work goes on.
    #[arg(long, value_parser = humantime::parse_duration, requires = "wait")]
    pub timeout: Option<Duration>,
}

/// `--hold-after-rollback`: `true` or `false`.
fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("one of true, false".into()),
    }
}

fn policy(s: &str) -> Result<ConflictPolicy, String> {
    ConflictPolicy::parse(s).ok_or_else(|| "one of skip, fail".into())
}

/// A locale, refused here as the server would refuse it (a usage error, exit status 2).
fn locale(s: &str) -> Result<String, &'static str> {
    crate::domain::locale::parse(s).map(str::to_string)
}

/// `rewind env …`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The environments, with their active deployment.
    List,
    /// One environment, with its hold, its open freeze window, its H2 setting and its approval
    /// rule.
    Show { env: String },
    /// The publish state (now, or `--at` an RFC 3339 time).
    State {
        env: String,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    /// The publish log, newest first.
    Log {
        env: String,
        #[arg(long)]
        item: Option<String>,
    },
    /// The deployment history, newest first.
    History { env: String },
    /// Roll the environment back (E1–E5): to `--to`, or to the last good state.
    Rollback {
        env: String,
        /// A succeeded deployment of this environment (the one before the active one when absent).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_parser = policy)]
        on_conflict: Option<ConflictPolicy>,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        rollback: RollbackArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Do not ask on a terminal.
        #[arg(long, short)]
        yes: bool,
    },
    /// Hold the environment (H1): standard releases wait until the hold is lifted.
    Hold {
        env: String,
        /// Why (1 to 500 characters).
        #[arg(long)]
        reason: String,
    },
    /// Lift its hold: prints the hold, lifted, and the deployments that now run.
    ///
    /// With --quiet: the hold's id, then the ids of the deployments that now run.
    Lift { env: String },
    /// Its holds, present and past, newest first.
    Holds { env: String },
    /// Change its settings (admin): whether a rollback that succeeds holds it (H2), and its
    /// approval rule (A1).
    #[command(group = clap::ArgGroup::new("setting").required(true).multiple(true))]
    Set {
        env: String,
        /// Whether a rollback that succeeds here holds the environment (H2).
        #[arg(long, value_name = "true|false", value_parser = boolean, action = ArgAction::Set, group = "setting")]
        hold_after_rollback: Option<bool>,
        /// Approvals a standard release's deployment here needs before it runs (1 to 5); 0 removes
        /// the rule, so that deployments run without approval.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..=5), group = "setting")]
        approvals: Option<i32>,
        /// With --approvals N: the deployer may give one of the approvals too.
        #[arg(long, requires = "approvals")]
        allow_self_approval: bool,
    },
    /// The keys whose publish state differs between SOURCE and TARGET (M1), in item then locale
    /// order. With --quiet: `ITEM:LOCALE` one a line, as `promote --key` takes them.
    Compare { source: String, target: String },
    /// Create a release that makes TARGET publish what SOURCE does (M2); prints it, and with
    /// --deploy the deployment to TARGET.
    Promote(PromoteArgs),
    /// Set a freeze window (admin, H4): the environment is held while it is open.
    Freeze {
        env: String,
        /// When it opens: an RFC 3339 time, `now`, or `+10m` from now (it may be past).
        #[arg(long)]
        from: String,
        /// When it ends: an RFC 3339 time, or `+2h` from now.
        #[arg(long)]
        until: String,
        /// Why (1 to 500 characters).
        #[arg(long)]
        reason: String,
    },
    /// Its freeze windows that have not ended, soonest first.
    Freezes { env: String },
    /// Its published content (V1), every page: now, `--at` a time, right after `--deployment`,
    /// or as if `--release` were deployed now (V2).
    Content {
        env: String,
        /// Only this item (with --locale, or when it is published in one locale only).
        #[arg(long)]
        item: Option<String>,
        #[arg(long, value_parser = locale)]
        locale: Option<String>,
        /// As it was at this RFC 3339 time.
        #[arg(long, group = "point")]
        at: Option<String>,
        /// As it was right after this deployment of the environment ended.
        #[arg(long, group = "point")]
        deployment: Option<String>,
        /// As it would be if this release were deployed now.
        #[arg(long, group = "point")]
        release: Option<String>,
    },
    /// One sync round (V3): one JSON line per entry, then the round's cursor stored in the file.
    ///
    /// Without the file, a full round; with it, what changed since the round that wrote it. The
    /// file is replaced (atomically) only after the whole round is printed.
    Sync {
        env: String,
        /// Where the cursor is kept between runs.
        #[arg(long, value_name = "FILE")]
        cursor_file: PathBuf,
        /// Only this content type's publishes (and every unpublish of its items).
        #[arg(long)]
        content_type: Option<String>,
        /// Entries asked for per request (1 to 500).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=500))]
        page_size: u16,
    },
    /// Remove a freeze window (admin), also while it is open.
    Unfreeze {
        env: String,
        /// The window's id.
        id: String,
        /// Do not ask on a terminal.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `rewind release …`.
#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// The releases you may see, newest first.
    List {
        /// standard or rollback.
        #[arg(long, value_parser = ["standard", "rollback"])]
        kind: Option<String>,
    },
    /// One release.
    Show { id: String },
    /// Create a standard release; prints it (its id with --quiet).
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Add one item (`--item --locale --publish V | --unpublish`) or every line of a JSON-lines
    /// file of `{"item_id", "locale", "action", "version"}` (`-` for stdin), in one request.
    Add {
        id: String,
        #[arg(long, conflicts_with = "from_file", requires = "locale")]
        item: Option<String>,
        #[arg(long, value_parser = locale)]
        locale: Option<String>,
        /// The version to publish.
        #[arg(long, conflicts_with = "unpublish", value_parser = clap::value_parser!(i32).range(1..))]
        publish: Option<i32>,
        #[arg(long)]
        unpublish: bool,
        #[arg(long, required_unless_present = "item")]
        from_file: Option<PathBuf>,
        /// Add what the versions reference too (L2).
        #[arg(long)]
        include_references: bool,
    },
    /// Deploy to one or more environments, now or `--at` a time.
    Deploy {
        id: String,
        /// An environment (repeat it, or separate names by commas).
        #[arg(long = "env", required = true, value_delimiter = ',')]
        envs: Vec<String>,
        /// When: an RFC 3339 time, or `+10m` from now.
        #[arg(long)]
        at: Option<String>,
        /// Rollback releases only.
        #[arg(long, value_parser = policy)]
        on_conflict: Option<ConflictPolicy>,
        #[command(flatten)]
        rollback: RollbackArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// The plan a deployment started now would carry out (B9), with its warnings.
    Preview {
        id: String,
        #[arg(long = "env")]
        env: String,
        #[arg(long, value_parser = policy)]
        on_conflict: Option<ConflictPolicy>,
        /// Rollback releases only: plan only this key (repeat it); the others are `not_selected` (B10).
        #[arg(long = "key", value_name = "ITEM:LOCALE", value_parser = key)]
        keys: Vec<SelectedKey>,
    },
    /// Your rollback release of a release (B1), deployed to each `--env` when given.
    Rollback {
        id: String,
        #[arg(long = "env", value_delimiter = ',')]
        envs: Vec<String>,
        #[arg(long, value_parser = policy)]
        on_conflict: Option<ConflictPolicy>,
        #[command(flatten)]
        rollback: RollbackArgs,
        #[command(flatten)]
        run: RunArgs,
        /// Do not ask on a terminal.
        #[arg(long, short)]
        yes: bool,
    },
    /// Delete a release (its history stays).
    Delete {
        id: String,
        /// Do not ask on a terminal.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `rewind deployment …`.
#[derive(Debug, Subcommand)]
pub enum DeploymentCommand {
    /// One deployment.
    Show { id: String },
    /// Its items, in release order.
    Items {
        id: String,
        /// published, unpublished or skipped.
        #[arg(long, value_parser = ["published", "unpublished", "skipped"])]
        outcome: Option<String>,
    },
    /// Follow it until it ends (S1), also while it awaits approval: 0 succeeded, 1 failed,
    /// cancelled or rejected, 7 timed out.
    Watch {
        id: String,
        #[arg(long, value_parser = humantime::parse_duration)]
        timeout: Option<Duration>,
    },
    /// Cancel a deployment awaiting approval, scheduled or queued.
    Cancel { id: String },
    /// Approve a deployment awaiting approval (A2); the last approval it needs lets it run.
    Approve {
        id: String,
        /// Why it may run (1 to 500 characters).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a deployment awaiting approval (A2): it ends cancelled and never runs.
    Reject {
        id: String,
        /// Why it must not run (1 to 500 characters).
        #[arg(long)]
        comment: String,
    },
}

/// `rewind schedule`: the scheduled deployments, soonest first (Q1).
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Only this environment's.
    #[arg(long = "env")]
    pub env: Option<String>,
}

/// `rewind item …`.
#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// What changed from one version to another (D1); from the empty object without --from.
    Diff {
        /// The item's id.
        id: String,
        #[arg(long, value_parser = locale)]
        locale: String,
        /// The version diffed from (the empty object when absent).
        #[arg(long)]
        from: Option<i32>,
        /// The version diffed to.
        #[arg(long)]
        to: i32,
    },
}
