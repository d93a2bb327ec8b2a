//! What the client's rollbacks take beyond K2's flags (K3): `--hold`, `--no-hold` and `--key`.

use clap::Args;

use crate::api::wire::SelectedKey;

/// What a rollback takes beyond K2's flags: whether it holds its environment (H2) and which keys
/// it rolls back (B10).
#[derive(Debug, Clone, Default, Args)]
pub struct RollbackArgs {
    /// Hold the environment when the rollback succeeds (H2), whatever its setting (rollbacks only).
    #[arg(long, conflicts_with = "no_hold")]
    pub hold: bool,
    /// Do not hold the environment, even when it is set to hold after a rollback (H2).
    #[arg(long)]
    pub no_hold: bool,
    /// Roll back only this key (repeat it): the others are skipped `not_selected` (B10; rollbacks
    /// only).
    #[arg(long = "key", value_name = "ITEM:LOCALE", value_parser = key)]
    pub keys: Vec<SelectedKey>,
}

impl RollbackArgs {
    /// The request's `hold`: absent when neither flag is given (the environment's setting decides).
    pub fn hold(&self) -> Option<bool> {
        match (self.hold, self.no_hold) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }

    /// The request's `keys`: absent when no `--key` is given (every key).
    pub fn keys(&self) -> Option<Vec<SelectedKey>> {
        (!self.keys.is_empty()).then(|| self.keys.clone())
    }

    /// A preview's `key=<item_id>:<locale>` query pairs.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        self.keys.iter().map(|k| ("key", format!("{}:{}", k.item_id, k.locale))).collect()
    }

    /// Whether any of these flags was given.
    pub fn any(&self) -> bool {
        self.hold || self.no_hold || !self.keys.is_empty()
    }
}

/// `--key ITEM:LOCALE`, refused here as the server would refuse it (a usage error, exit 2).
pub(super) fn key(s: &str) -> Result<SelectedKey, String> {
    let malformed = || format!("`{s}` is not ITEM:LOCALE (an item id, a colon, a locale: `<uuid>:en-us`)");
    let k = crate::domain::holds::parse_key(s).ok_or_else(malformed)?;
    uuid::Uuid::parse_str(&k.item_id).map_err(|_| format!("`{}` is not an item id (a UUID)", k.item_id))?;
    Ok(SelectedKey { item_id: k.item_id, locale: k.locale })
}
