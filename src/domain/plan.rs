//! The plan of a standard release's deployment (L5).

use super::{Action, Key, PlannedItem};

/// One release item with the version its key has published now.
#[derive(Debug, Clone)]
pub struct ReleaseEntry {
    pub key: Key,
    pub action: Action,
    pub version: Option<i32>,
    pub current_version: Option<i32>,
}

/// L5: every `publish` item publishes its version (a republish included); an `unpublish`
/// item unpublishes, or is skipped with `already_unpublished` where nothing is published.
pub fn release_plan(entries: Vec<ReleaseEntry>) -> Vec<PlannedItem> {
    entries
        .into_iter()
        .map(|e| match e.action {
            Action::Publish => PlannedItem::restore(e.key, e.version, e.current_version),
            Action::Unpublish => PlannedItem::restore(e.key, None, e.current_version),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Outcome, SkipReason};

    fn entry(action: Action, version: Option<i32>, current: Option<i32>) -> ReleaseEntry {
        ReleaseEntry { key: Key::new("i", "en"), action, version, current_version: current }
    }

    #[test]
    fn l5_publish_republishes_and_captures_prior() {
        let plan = release_plan(vec![entry(Action::Publish, Some(2), Some(2))]);
        assert_eq!(plan[0].outcome, Outcome::Published);
        assert_eq!(plan[0].version, Some(2));
        assert_eq!(plan[0].prior_version, Some(2));
    }

    #[test]
    fn l5_unpublish_of_unpublished_key_is_skipped() {
        let plan = release_plan(vec![entry(Action::Unpublish, None, None), entry(Action::Unpublish, None, Some(3))]);
        assert_eq!(plan[0].outcome, Outcome::Skipped);
        assert_eq!(plan[0].skip_reason, Some(SkipReason::AlreadyUnpublished));
        assert_eq!(plan[1].outcome, Outcome::Unpublished);
        assert_eq!(plan[1].prior_version, Some(3));
    }
}
