//! The command line and the settings read from flags and the environment (SPEC §4).

use clap::{Args, Parser, Subcommand};

use crate::domain::Role;

/// rewind: the release and rollback backend of a headless CMS.
#[derive(Debug, Parser)]
#[command(name = "rewind", version, about)]
pub struct Cli {
    /// A SQLite file (`path` or `sqlite://path`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "rewind.db", global = true)]
    pub database_url: String,
    /// Log lines as `pretty` text or `json`.
    #[arg(long, env = "REWIND_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"], global = true)]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
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
    #[arg(long, env = "REWIND_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    pub body_limit: usize,
    /// Largest body when adding release items, in bytes.
    #[arg(long, env = "REWIND_ITEMS_BODY_LIMIT", default_value_t = 32 * 1024 * 1024)]
    pub items_body_limit: usize,
    /// Most items in one release.
    #[arg(long, env = "REWIND_MAX_RELEASE_ITEMS", default_value_t = 100_000)]
    pub max_release_items: i64,
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
}
