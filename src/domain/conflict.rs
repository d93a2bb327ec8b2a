//! C1: the conflict policy of rollbacks. `skip` leaves every key that someone changed after the
//! deployment being undone as it is (B7, E4); `fail` refuses the whole deployment instead.

use super::{ConflictPolicy, PlannedItem, SkipReason};

/// The code a refused rollback's `error` starts with (`rollback_conflict: <n> keys …`). Every
/// other failed deployment's `error` starts with a problem code (`forbidden:` for L9); the API
/// guide lists them together.
pub(crate) const ROLLBACK_CONFLICT: &str = "rollback_conflict";

/// How many keys of the plan were changed after the deployment that a rollback undoes.
pub fn conflicts(plan: &[PlannedItem]) -> usize {
    plan.iter().filter(|p| p.skip_reason == Some(SkipReason::ChangedAfterDeployment)).count()
}

/// Whether the policy refuses a plan with `conflicts` conflicting keys: with `fail`, their
/// number, if any.
pub fn refused(policy: ConflictPolicy, conflicts: usize) -> Option<usize> {
    match (policy, conflicts) {
        (ConflictPolicy::Fail, n) if n > 0 => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, Key};

    fn plan() -> Vec<PlannedItem> {
        vec![
            PlannedItem::restore(Key::new("a", "en"), Some(1), Some(2)),
            PlannedItem::skip(Key::new("b", "en"), Action::Publish, None, Some(3), SkipReason::ChangedAfterDeployment),
            PlannedItem::skip(Key::new("c", "en"), Action::Publish, None, None, SkipReason::NotDeployed),
            PlannedItem::skip(Key::new("d", "en"), Action::Publish, None, Some(4), SkipReason::ChangedAfterDeployment),
        ]
    }

    #[test]
    fn c1_fail_refuses_a_plan_with_keys_changed_after_the_deployment() {
        assert_eq!(refused(ConflictPolicy::Fail, conflicts(&plan())), Some(2));
    }

    #[test]
    fn c1_skip_never_refuses_and_fail_passes_a_plan_without_conflicts() {
        assert_eq!(refused(ConflictPolicy::Skip, conflicts(&plan())), None);
        let clean: Vec<PlannedItem> =
            plan().into_iter().filter(|p| p.skip_reason != Some(SkipReason::ChangedAfterDeployment)).collect();
        assert_eq!(refused(ConflictPolicy::Fail, conflicts(&clean)), None);
    }
}
