//! Per-user rollback releases (B3, B4, B7): who may roll back, which deployments count, and
//! what deploying the rollback release does to each key.

use chrono::NaiveDateTime;

use super::{Action, Key, PlannedItem, SkipReason};

/// A succeeded deployment of the original release by the rollback release's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerDeployment {
    pub id: String,
    pub environment_id: String,
    pub finished_at: NaiveDateTime,
}

/// Why a user may not have (or deploy) a rollback release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ineligible {
    /// B3: no succeeded deployment of the release by the user.
    NotDeployed,
    /// B4: a rollback release was deleted and no deployment succeeded since.
    RedeployRequired,
}

/// The deployments that count: succeeded after the user's last deletion of a rollback release.
pub fn counting(deployments: &[OwnerDeployment], last_deletion: Option<NaiveDateTime>) -> Vec<&OwnerDeployment> {
    deployments.iter().filter(|d| last_deletion.is_none_or(|t| d.finished_at > t)).collect()
}

/// B3 and B4: may the user create a rollback release? `redeploy_required` wins when both apply.
pub(crate) fn eligibility(
    deployments: &[OwnerDeployment],
    last_deletion: Option<NaiveDateTime>,
) -> Result<(), Ineligible> {
    if !counting(deployments, last_deletion).is_empty() {
        Ok(())
    } else if last_deletion.is_some() {
        Err(Ineligible::RedeployRequired)
    } else {
        Err(Ineligible::NotDeployed)
    }
}

/// B7's F and L for one environment: the first and the latest deployment that counts there.
pub(crate) fn first_and_latest<'a>(
    deployments: &'a [OwnerDeployment],
    last_deletion: Option<NaiveDateTime>,
    environment_id: &str,
) -> Option<(&'a OwnerDeployment, &'a OwnerDeployment)> {
    let mut here: Vec<&OwnerDeployment> =
        counting(deployments, last_deletion).into_iter().filter(|d| d.environment_id == environment_id).collect();
    here.sort_by(|a, b| (a.finished_at, &a.id).cmp(&(b.finished_at, &b.id)));
    Some((*here.first()?, *here.last()?))
}

/// What B7 needs to know of one key of the rollback release.
#[derive(Debug, Clone)]
pub struct RollbackKey {
    pub key: Key,
    /// F's `prior_version` for the key: what to put back (`None`: unpublish).
    pub first_prior: Option<i32>,
    /// The event L wrote for the key, if it wrote one.
    pub latest_event_id: Option<i64>,
    /// The key's state now: version and `last_event_id`, if it has ever been written.
    pub current_version: Option<i32>,
    pub current_event_id: Option<i64>,
    /// B11: the key's latest event was written by an earlier deployment of this rollback release.
    pub rolled_back_already: bool,
}

/// B7: skip keys L did not write (`not_deployed`) and keys written by anyone since
/// (`changed_after_deployment`, found by event id; B11: `already_rolled_back` when that write was
/// an earlier deployment of this rollback release); put the rest back to F's prior version.
pub fn rollback_plan(keys: Vec<RollbackKey>) -> Vec<PlannedItem> {
    keys.into_iter()
        .map(|k| {
            let action = if k.first_prior.is_some() { Action::Publish } else { Action::Unpublish };
            match k.latest_event_id {
                None => PlannedItem::skip(k.key, action, k.first_prior, k.current_version, SkipReason::NotDeployed),
                Some(l) if k.current_event_id != Some(l) => {
                    let reason = if k.rolled_back_already {
                        SkipReason::AlreadyRolledBack
                    } else {
                        SkipReason::ChangedAfterDeployment
                    };
                    PlannedItem::skip(k.key, action, k.first_prior, k.current_version, reason)
                }
                Some(_) => PlannedItem::restore(k.key, k.first_prior, k.current_version),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Outcome;
    use chrono::DateTime;

    fn t(s: i64) -> NaiveDateTime {
        DateTime::from_timestamp(s, 0).unwrap().naive_utc()
    }

    fn dep(id: &str, env: &str, at: i64) -> OwnerDeployment {
        OwnerDeployment { id: id.into(), environment_id: env.into(), finished_at: t(at) }
    }

    fn key(first_prior: Option<i32>, latest: Option<i64>, current: Option<(Option<i32>, i64)>) -> RollbackKey {
        RollbackKey {
            key: Key::new("i", "en"),
            first_prior,
            latest_event_id: latest,
            current_version: current.and_then(|c| c.0),
            current_event_id: current.map(|c| c.1),
            rolled_back_already: false,
        }
    }

    #[test]
    fn b3_b4_redeploy_required_wins_over_not_deployed() {
        assert_eq!(eligibility(&[], None), Err(Ineligible::NotDeployed));
        assert_eq!(eligibility(&[], Some(t(5))), Err(Ineligible::RedeployRequired));
        assert_eq!(eligibility(&[dep("a", "e", 3)], Some(t(5))), Err(Ineligible::RedeployRequired));
        assert_eq!(eligibility(&[dep("a", "e", 3), dep("b", "e", 7)], Some(t(5))), Ok(()));
    }

    #[test]
    fn b7_first_and_latest_count_only_since_last_deletion() {
        let deps = [dep("a", "e", 1), dep("b", "e", 6), dep("c", "x", 7), dep("d", "e", 9)];
        let (f, l) = first_and_latest(&deps, Some(t(5)), "e").unwrap();
        assert_eq!((f.id.as_str(), l.id.as_str()), ("b", "d"));
        assert!(first_and_latest(&deps, Some(t(9)), "e").is_none());
    }

    #[test]
    fn b7_plan_skips_and_restores() {
        let plan = rollback_plan(vec![
            key(Some(1), None, Some((Some(2), 10))),
            key(Some(1), Some(10), Some((Some(2), 11))),
            key(Some(1), Some(10), Some((Some(2), 10))),
            key(None, Some(10), Some((Some(2), 10))),
            key(None, Some(10), Some((None, 10))),
        ]);
        assert_eq!(plan[0].skip_reason, Some(SkipReason::NotDeployed));
        assert_eq!(plan[1].skip_reason, Some(SkipReason::ChangedAfterDeployment));
        assert_eq!((plan[2].outcome, plan[2].version), (Outcome::Published, Some(1)));
        assert_eq!(plan[3].outcome, Outcome::Unpublished);
        assert_eq!(plan[4].skip_reason, Some(SkipReason::AlreadyUnpublished));
    }

    #[test]
    fn b11_a_key_this_rollback_release_wrote_is_already_rolled_back_not_a_conflict() {
        let again = RollbackKey { rolled_back_already: true, ..key(Some(1), Some(10), Some((Some(1), 12))) };
        let plan = rollback_plan(vec![again, key(Some(1), Some(10), Some((Some(3), 12)))]);
        assert_eq!(plan[0].skip_reason, Some(SkipReason::AlreadyRolledBack));
        assert_eq!(plan[1].skip_reason, Some(SkipReason::ChangedAfterDeployment));
        assert_eq!(crate::domain::conflict::conflicts(&plan), 1);
    }
}
