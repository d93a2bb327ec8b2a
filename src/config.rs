//! The command line and the settings read from flags and the environment (SPEC §4).

use clap::{Args, Parser, Subcommand};

use crate::client::args::ClientArgs;
use crate::client::ClientCommand;
use crate::domain::{webhooks, Role};
use crate::settings;

/// `rewind --help`: the commands in two groups, so that a newcomer sees at once which speak to a
/// server and which open the database (K1). `k1_help_groups_every_command` checks that every
/// command is listed.
const HELP: &str = "\
{about-with-newline}
{usage-heading} {usage}

Commands that speak to a rewind server (--server / REWIND_URL, --token / REWIND_TOKEN):
  env         Environments: list, show, state, log, history, rollback
  release     Releases: list, show, create, add, deploy, preview, rollback, delete
  deployment  Deployments: show, items, watch, cancel
  schedule    The scheduled deployments, soonest first
  item        Item diffs between versions

Commands that open the database directly (--database-url / DATABASE_URL):
  serve       Serve the API and run the deployment worker and scheduler
  migrate     Run the database migrations and exit
  user        Manage users (create, deactivate)
  token       Manage tokens (create, revoke)
  webhook     Manage webhook endpoints (add)
  help        Print this message or the help of the given command(s)

Options:
{options}{after-help}";

/// rewind: the release and rollback backend of a headless CMS.
#[derive(Debug, Parser)]
#[command(name = "rewind", version, about, help_template = HELP)]
pub struct Cli {
    /// A SQLite file (`path` or `sqlite://path`) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "rewind.db",
        global = true,
        help_heading = "Database options (serve, migrate, user, token, webhook)"
    )]
    pub database_url: String,
    /// Log lines as `pretty` text or `json`.
    #[arg(long, env = "REWIND_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"], global = true)]
    pub log_format: String,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do: a client command (it speaks to a server) or a local one (it opens the database).
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Client(ClientCommand),
    #[command(flatten)]
    Local(LocalCommand),
}

/// The commands that open the database directly.
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Serve the API and run the deployment worker and scheduler.
    Serve(ServeArgs),
    /// Run the database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

/// `rewind webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint and print its id and secret (W1).
    Add {
        /// The `http` or `https` URL to POST the messages to.
        url: String,
        /// Comma-separated: deployment.started, deployment.succeeded, deployment.failed, deployment.cancelled,
        /// environment.held, environment.released.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Comma-separated environment names (all when absent).
        #[arg(long, value_delimiter = ',')]
        environments: Option<Vec<String>>,
        #[arg(long)]
        description: Option<String>,
        /// Allow a loopback, private or link-local address.
        #[arg(long, env = "REWIND_WEBHOOK_ALLOW_PRIVATE")]
        allow_private: bool,
    },
}

/// `rewind user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print a token for it.
    Create {
        name: String,
        /// admin, editor or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Deactivate a user (T1): their tokens stop working, their history stays and their name stays
    /// taken. The last active admin cannot be deactivated. A running server refuses the tokens
    /// for writes at once and for reads within 30 s (its authentication cache).
    Deactivate {
        /// The user's name.
        name: String,
    },
}

/// `rewind token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user and print it.
    Create {
        /// The user's name.
        name: String,
        #[arg(long)]
        label: Option<String>,
        /// Days until the token stops working (1 to 3650); it never expires when absent.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=3650))]
        expires_in_days: Option<i32>,
    },
    /// Revoke a token by its id (the `id` of `GET /v1/users/{id}/tokens`). A running server
    /// refuses it for writes at once and for reads within 30 s (its authentication cache).
    Revoke {
        /// The token's id (a UUID), not the token itself.
        token_id: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "one of admin, editor, viewer".to_string())
}

/// `rewind serve` settings.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REWIND_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Database connections in the pool.
    #[arg(long, env = "REWIND_POOL_SIZE", default_value_t = 10)]
    pub pool_size: u32,
    /// Deployment workers in this process.
    #[arg(long, env = "REWIND_WORKERS", default_value_t = 1)]
    pub workers: usize,
    /// How often idle workers look for due scheduled deployments, in milliseconds.
    #[arg(long, env = "REWIND_POLL_MS", default_value_t = 500)]
    pub poll_ms: u64,
    /// Largest JSON body, in bytes.
    #[arg(long, env = "REWIND_BODY_LIMIT", default_value_t = settings::BODY_LIMIT)]
    pub body_limit: usize,
    /// Largest body when adding release items, in bytes.
    #[arg(long, env = "REWIND_ITEMS_BODY_LIMIT", default_value_t = settings::ITEMS_BODY_LIMIT)]
    pub items_body_limit: usize,
    /// Most items in one release.
    #[arg(long, env = "REWIND_MAX_RELEASE_ITEMS", default_value_t = settings::MAX_RELEASE_ITEMS)]
    pub max_release_items: i64,
    /// How many keys a deployment plans and writes at a time, in its one transaction: the
    /// memory it holds grows with this, not with the release.
    #[arg(long, env = "REWIND_DEPLOY_PAGE", default_value_t = settings::DEPLOY_PAGE,
          value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub deploy_page: i64,
    /// The token of the `admin` user created on an empty database (random when unset).
    #[arg(long, env = "REWIND_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,
    /// On SIGTERM or SIGINT: seconds to finish running deployments and open requests before
    /// exiting; a deployment still running then is left to be run again at the next start.
    #[arg(long, env = "REWIND_SHUTDOWN_GRACE_S", default_value_t = 30)]
    pub shutdown_grace_s: u64,
    /// Comma-separated origins allowed by CORS.
    #[arg(long, env = "REWIND_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Let webhook endpoints be on loopback, private or link-local addresses (W1).
    #[arg(long, env = "REWIND_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// U1: mark the console's session cookie `Secure` (when it is served over HTTPS).
    #[arg(long, env = "REWIND_CONSOLE_SECURE_COOKIE")]
    pub console_secure_cookie: bool,
    /// U1: the URL browsers reach this server at, when a proxy stands before it
    /// (`https://cms.example.com`): the console accepts forms from its origin only. Unset, the
    /// origin is the connection's own scheme and `Host` header (forwarded headers are not trusted).
    #[arg(long, env = "REWIND_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<url::Url>,
    /// U1: how many hours a console session lasts.
    #[arg(long, env = "REWIND_CONSOLE_SESSION_HOURS", default_value_t = settings::CONSOLE_SESSION_HOURS, value_parser = clap::value_parser!(i64).range(1..=720))]
    pub console_session_hours: i64,
    /// Seconds an endpoint has to answer a delivery attempt (W3).
    #[arg(long, env = "REWIND_WEBHOOK_TIMEOUT_SECONDS", default_value_t = settings::WEBHOOK_TIMEOUT_SECONDS)]
    pub webhook_timeout_seconds: f64,
    /// Comma-separated seconds to wait before each retry of a delivery; then it fails (W3).
    #[arg(long, env = "REWIND_WEBHOOK_RETRY_SECONDS", value_delimiter = ',', default_values_t = webhooks::RETRY_SECONDS.map(|s| s as f64))]
    pub webhook_retry_seconds: Vec<f64>,
    /// Webhook delivery workers in this process.
    #[arg(long, env = "REWIND_WEBHOOK_WORKERS", default_value_t = 2)]
    pub webhook_workers: usize,
}

/// `REWIND_PUBLIC_URL`: an absolute `http` or `https` URL.
fn public_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        _ => Err("must be an http or https URL with a host, like https://cms.example.com".into()),
    }
}
