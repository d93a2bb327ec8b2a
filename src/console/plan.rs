//! U3: a plan (B9, E4, C1, R1) or a deployment's items as the console's table shows them: key,
//! outcome, version to publish, version published now, skip reason and warnings, each row
//! linked to the D1 diff of its two versions.

use crate::db::rows::DeploymentItemRow;
use crate::domain::references::Warning;
use crate::domain::PlannedItem;
use crate::domain::{ConflictPolicy, Key};
use crate::error::{stored_json, AppError, AppResult};
use crate::service::deployments::RollbackOptions;

/// One row of a plan table.
pub struct PlanRow {
    /// `<item_id>:<locale>`: the value of the row's checkbox in a rollback's plan (B10).
    pub key: String,
    pub item_id: String,
    pub locale: String,
    /// U6: the title of the version it names, else the item's.
    pub title: Option<String>,
    pub outcome: String,
    pub version: Option<i32>,
    pub prior_version: Option<i32>,
    pub skip_reason: Option<String>,
    pub warnings: Vec<String>,
    /// The D1 diff from the version published now to the one to publish (or, for an
    /// unpublish, of the content that goes).
    pub diff: Option<String>,
}

/// The console's D1 diff page of a key from version `from` to `to` (from nothing, for a first
/// publish; of the content that goes, for an unpublish); none when neither side has a version.
pub fn diff_link(item_id: &str, locale: &str, from: Option<i32>, to: Option<i32>) -> Option<String> {
    let locale = super::views::url_component(locale);
    match (from, to) {
        (from, Some(to)) => Some(match from {
            Some(f) => format!("/console/items/{item_id}/diff?locale={locale}&from={f}&to={to}"),
            None => format!("/console/items/{item_id}/diff?locale={locale}&to={to}"),
        }),
        (Some(f), None) => Some(format!("/console/items/{item_id}/diff?locale={locale}&to={f}")),
        (None, None) => None,
    }
}

fn warning_text(w: &Warning) -> String {
    format!("{} {} ({})", w.code.as_str(), w.item_id, w.locale)
}

impl From<&PlannedItem> for PlanRow {
    fn from(p: &PlannedItem) -> PlanRow {
        PlanRow {
            diff: diff_link(&p.key.item_id, &p.key.locale, p.prior_version, p.version),
            key: format!("{}:{}", p.key.item_id, p.key.locale),
            item_id: p.key.item_id.clone(),
            locale: p.key.locale.clone(),
            title: p.title.clone(),
            outcome: p.outcome.as_str().into(),
            version: p.version,
            prior_version: p.prior_version,
            skip_reason: p.skip_reason.map(|r| r.as_str().to_string()),
            warnings: p.warnings.iter().map(warning_text).collect(),
        }
    }
}

impl From<&DeploymentItemRow> for PlanRow {
    fn from(i: &DeploymentItemRow) -> PlanRow {
        let warnings: Vec<Warning> = stored_json(&i.warnings, "deployment item warnings");
        PlanRow {
            diff: diff_link(&i.item_id, &i.locale, i.prior_version, i.version),
            key: format!("{}:{}", i.item_id, i.locale),
            item_id: i.item_id.clone(),
            locale: i.locale.clone(),
            title: i.title(),
            outcome: i.outcome.to_string(),
            version: i.version,
            prior_version: i.prior_version,
            skip_reason: i.skip_reason.map(|r| r.to_string()),
            warnings: warnings.iter().map(warning_text).collect(),
        }
    }
}

/// B10, H2: what a rollback's confirmation form chose: the conflict policy; the checked keys
/// when its "Roll back the selected keys" button sent it (`scope=selected`), else all keys; and
/// the hold checkbox, whose page says in `hold_default` whether it was shown checked. The
/// forms that carry these fields copy them here.
pub struct RollbackChoice {
    pub on_conflict: Option<ConflictPolicy>,
    pub scope: Option<String>,
    pub keys: Vec<String>,
    pub hold: Option<String>,
    pub hold_default: Option<String>,
}

impl RollbackChoice {
    /// The options of the rollback: checked keys only for `scope=selected` (400 when none is
    /// checked); the hold as checked, or, unchecked, `false` where the page showed it checked
    /// (the environment holds itself after a rollback) and the environment's setting otherwise.
    pub fn options(&self) -> AppResult<RollbackOptions> {
        let keys = match self.scope.as_deref() {
            Some("selected") if self.keys.is_empty() => {
                return Err(AppError::invalid_field("keys", "check at least one key to roll back"))
            }
            Some("selected") => {
                Some(self.keys.iter().map(|k| crate::http::key(k, "keys")).collect::<AppResult<Vec<Key>>>()?)
            }
            _ => None,
        };
        let hold = match (self.hold.is_some(), self.hold_default.as_deref() == Some("true")) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        Ok(RollbackOptions { on_conflict: self.on_conflict, hold, keys })
    }
}
