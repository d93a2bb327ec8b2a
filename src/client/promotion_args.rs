//! What `rewind env promote` takes (K3, M2): the release to create, and whether to deploy it.

use std::time::Duration;

use clap::Args;

use super::rollback_args::key;
use crate::api::wire::SelectedKey;

/// `rewind env promote SOURCE TARGET …`.
#[derive(Debug, Clone, Args)]
pub struct PromoteArgs {
    /// The environment whose publish state is promoted.
    pub source: String,
    /// The environment that is to publish it.
    pub target: String,
    /// The release's name (`Promote SOURCE to TARGET` when absent).
    #[arg(long)]
    pub name: Option<String>,
    /// Also unpublish what TARGET publishes and SOURCE does not.
    #[arg(long)]
    pub unpublish_missing: bool,
    /// Promote only this key (repeat it); each must differ between the two (`env compare -q`
    /// lists them).
    #[arg(long = "key", value_name = "ITEM:LOCALE", value_parser = key)]
    pub keys: Vec<SelectedKey>,
    /// Deploy the release to TARGET now (it may then await approval, A2).
    #[arg(long)]
    pub deploy: bool,
    /// With --deploy: sent as the deploy's `Idempotency-Key` (a UUID when absent).
    #[arg(long, requires = "deploy")]
    pub idempotency_key: Option<String>,
    /// With --deploy: follow the deployment until it ends, also while it awaits approval: 0
    /// succeeded, 1 failed, cancelled or rejected.
    #[arg(long, requires = "deploy")]
    pub wait: bool,
    /// With --wait: give up after this long (`90s`, `24h`), exit 7; the deployment goes on.
    #[arg(long, value_parser = humantime::parse_duration, requires = "wait")]
    pub timeout: Option<Duration>,
}
