//! U3: a plan (B9, E4, C1, R1) or a deployment's items as the console's table shows them: key,
//! outcome, version to publish, version published now, skip reason and warnings, each row
//! linked to the D1 diff of its two versions.

use crate::db::rows::DeploymentItemRow;
use crate::domain::references::Warning;
use crate::domain::PlannedItem;
use crate::error::stored_json;

/// One row of a plan table.
pub struct PlanRow {
    pub item_id: String,
    pub locale: String,
    pub outcome: String,
    pub version: Option<i32>,
    pub prior_version: Option<i32>,
    pub skip_reason: Option<String>,
    pub warnings: Vec<String>,
    /// The D1 diff from the version published now to the one to publish (or, for an
    /// unpublish, of the content that goes).
    pub diff: Option<String>,
}

fn diff_link(item_id: &str, locale: &str, from: Option<i32>, to: Option<i32>) -> Option<String> {
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
            item_id: p.key.item_id.clone(),
            locale: p.key.locale.clone(),
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
            item_id: i.item_id.clone(),
            locale: i.locale.clone(),
            outcome: i.outcome.to_string(),
            version: i.version,
            prior_version: i.prior_version,
            skip_reason: i.skip_reason.map(|r| r.to_string()),
            warnings: warnings.iter().map(warning_text).collect(),
        }
    }
}
