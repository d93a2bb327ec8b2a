//! Environment rollback (E3, E4): which deployment to return to, and what that does per key.

use super::{Key, PlannedItem, SkipReason};

/// E3: with the environment's succeeded deployments newest first, the active one is the first
/// and the default target the one just before it.
pub fn default_target<T>(succeeded_newest_first: &[T]) -> Option<&T> {
    succeeded_newest_first.get(1)
}

/// What E4 needs to know of a key that has an event above H.
#[derive(Debug, Clone)]
pub struct EnvKey {
    pub key: Key,
    /// The key's published version at H (`None`: unpublished then).
    pub state_at_target: Option<i32>,
    pub current_version: Option<i32>,
    /// Whether the key's latest event is a manual publish or unpublish.
    pub latest_is_manual: bool,
}

/// E4: return each key to its state at H, unless changed by hand since (`changed_after_deployment`)
/// or already there (`unchanged`).
pub fn env_rollback_plan(keys: Vec<EnvKey>) -> Vec<PlannedItem> {
    keys.into_iter()
        .map(|k| {
            let action = if k.state_at_target.is_some() { super::Action::Publish } else { super::Action::Unpublish };
            if k.latest_is_manual {
                PlannedItem::skip(
                    k.key,
                    action,
                    k.state_at_target,
                    k.current_version,
                    SkipReason::ChangedAfterDeployment,
                )
            } else if k.state_at_target == k.current_version {
                PlannedItem::skip(k.key, action, k.state_at_target, k.current_version, SkipReason::Unchanged)
            } else {
                PlannedItem::restore(k.key, k.state_at_target, k.current_version)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Outcome;

    fn k(at: Option<i32>, now: Option<i32>, manual: bool) -> EnvKey {
        EnvKey { key: Key::new("i", "en"), state_at_target: at, current_version: now, latest_is_manual: manual }
    }

    #[test]
    fn e3_default_target_is_the_one_before_the_active() {
        assert_eq!(default_target(&["d3", "d2", "d1"]), Some(&"d2"));
        assert_eq!(default_target(&["d1"]), None);
    }

    #[test]
    fn e4_plan_returns_keys_to_their_state_at_the_target() {
        let plan = env_rollback_plan(vec![
            k(Some(1), Some(2), false),
            k(None, Some(2), false),
            k(Some(1), Some(2), true),
            k(Some(2), Some(2), false),
        ]);
        assert_eq!((plan[0].outcome, plan[0].version), (Outcome::Published, Some(1)));
        assert_eq!(plan[1].outcome, Outcome::Unpublished);
        assert_eq!(plan[2].skip_reason, Some(SkipReason::ChangedAfterDeployment));
        assert_eq!(plan[3].skip_reason, Some(SkipReason::Unchanged));
    }
}
