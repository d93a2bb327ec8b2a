//! Environment rollback (E2–E4): which deployment to return to, and what that does per key.

use super::{DeploymentStatus, Key, PlannedItem, SkipReason};

/// What E2 needs to know of a deployment asked for as a target.
pub(crate) trait Deployed {
    /// The id of the environment it deployed to.
    fn environment_id(&self) -> &str;
    /// Its status.
    fn status(&self) -> DeploymentStatus;
}

/// Why an environment rollback has no target (each a 422 of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetRefusal {
    /// E2: the asked target deployed to another environment.
    WrongEnvironment,
    /// E2: the asked target did not succeed; its status.
    NotSuccessful(DeploymentStatus),
    /// E3: no succeeded deployment before the active one.
    NoneBeforeActive,
}

/// E2 and E3: the deployment an environment rollback returns to. An `asked` target must be a
/// succeeded deployment of this environment; without one, it is the succeeded deployment just
/// before the active one (`succeeded_newest_first` needs only the first two).
pub(crate) fn choose_target<T: Deployed>(
    environment_id: &str,
    asked: Option<T>,
    succeeded_newest_first: Vec<T>,
) -> Result<T, TargetRefusal> {
    match asked {
        Some(t) if t.environment_id() != environment_id => Err(TargetRefusal::WrongEnvironment),
        Some(t) if t.status() != DeploymentStatus::Succeeded => Err(TargetRefusal::NotSuccessful(t.status())),
        Some(t) => Ok(t),
        None => succeeded_newest_first.into_iter().nth(1).ok_or(TargetRefusal::NoneBeforeActive),
    }
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
pub fn environment_rollback_plan(keys: Vec<EnvKey>) -> Vec<PlannedItem> {
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

    /// A deployment `.0` of environment `.1` with status `.2`.
    #[derive(Debug, PartialEq)]
    struct D(&'static str, &'static str, DeploymentStatus);

    impl Deployed for D {
        fn environment_id(&self) -> &str {
            self.1
        }
        fn status(&self) -> DeploymentStatus {
            self.2
        }
    }

    fn ok(id: &'static str) -> D {
        D(id, "prod", DeploymentStatus::Succeeded)
    }

    #[test]
    fn e2_asked_target_is_a_succeeded_deployment_of_the_environment() {
        assert_eq!(choose_target("prod", Some(ok("d1")), vec![]), Ok(ok("d1")));
        assert_eq!(choose_target("prod", Some(ok("d1")), vec![ok("d3"), ok("d2")]), Ok(ok("d1")));
    }

    #[test]
    fn e2_target_of_another_environment_is_refused() {
        let other = D("d1", "staging", DeploymentStatus::Succeeded);
        assert_eq!(choose_target("prod", Some(other), vec![]), Err(TargetRefusal::WrongEnvironment));
        // The environment is checked before the status.
        let failed = D("d1", "staging", DeploymentStatus::Failed);
        assert_eq!(choose_target("prod", Some(failed), vec![]), Err(TargetRefusal::WrongEnvironment));
    }

    #[test]
    fn e2_target_that_did_not_succeed_is_refused() {
        use DeploymentStatus::*;
        for status in [Failed, Cancelled, Queued, InProgress, Scheduled] {
            assert_eq!(
                choose_target("prod", Some(D("d1", "prod", status)), vec![]),
                Err(TargetRefusal::NotSuccessful(status))
            );
        }
    }

    #[test]
    fn e3_default_target_is_the_one_before_the_active() {
        assert_eq!(choose_target("prod", None, vec![ok("d3"), ok("d2"), ok("d1")]), Ok(ok("d2")));
    }

    #[test]
    fn e3_no_target_without_a_deployment_before_the_active() {
        assert_eq!(choose_target("prod", None, vec![ok("d1")]), Err(TargetRefusal::NoneBeforeActive));
        assert_eq!(choose_target::<D>("prod", None, vec![]), Err(TargetRefusal::NoneBeforeActive));
    }

    #[test]
    fn e4_plan_returns_keys_to_their_state_at_the_target() {
        let plan = environment_rollback_plan(vec![
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
