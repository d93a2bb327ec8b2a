//! Approvals (A1–A3) as plain rules: what an environment's rule may say, who may approve, in
//! which order the refusals come, and what a deployment becomes when its approvals are complete.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{DeploymentStatus, ReleaseKind};

/// A1: the fewest and the most approvals a rule may require.
pub const REQUIRED_RANGE: std::ops::RangeInclusive<i32> = 1..=5;

/// A1: the rule of `required`, as a 400 names it.
pub const REQUIRED_RULE: &str = "an approval rule requires 1 to 5 approvals";

/// A2: the longest comment on an approval or a rejection, in characters.
pub const COMMENT_MAX: usize = 500;

/// A2: a comment on an approval or a rejection: at most 500 characters of free text, and not
/// empty (a rejection must say why; an approval may say nothing by leaving it out).
pub fn comment(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    super::validate::free_text(s, COMMENT_MAX)
}

/// A1: whether `required` is a number of approvals a rule may ask for.
pub fn valid_required(required: i32) -> bool {
    REQUIRED_RANGE.contains(&required)
}

/// A2, A3: the approvals a new deployment of a release of `kind` needs under the environment's
/// rule (`required`): none for a rollback release, which never waits.
pub fn needed(kind: ReleaseKind, required: Option<i32>) -> Option<i32> {
    match kind {
        ReleaseKind::Standard => required,
        ReleaseKind::Rollback => None,
    }
}

/// A2: the status a deployment is created with: awaiting approval when it needs one, else
/// scheduled (when it has a time) or queued.
pub fn initial_status(needs_approval: bool, scheduled: bool) -> DeploymentStatus {
    match (needs_approval, scheduled) {
        (true, _) => DeploymentStatus::AwaitingApproval,
        (false, true) => DeploymentStatus::Scheduled,
        (false, false) => DeploymentStatus::Queued,
    }
}

/// A2: the status a deployment takes when its last approval is given at `now`: scheduled while
/// its time is ahead, else queued (a time that passed while it waited runs it at once).
pub fn approved_status(scheduled_at: Option<NaiveDateTime>, now: NaiveDateTime) -> DeploymentStatus {
    match scheduled_at {
        Some(at) if at > now => DeploymentStatus::Scheduled,
        _ => DeploymentStatus::Queued,
    }
}

/// A2: why an approval is refused, in the order the refusals are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRefusal {
    /// 409 `not_awaiting_approval`.
    NotAwaiting(DeploymentStatus),
    /// 403 `self_approval`: the deployer, where the rule does not allow it.
    SelfApproval,
    /// 409 `already_approved`: this user approved it already.
    AlreadyApproved,
}

/// What an approval's refusal depends on.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalAsk {
    pub status: DeploymentStatus,
    pub by_deployer: bool,
    pub self_allowed: bool,
    pub approved_before: bool,
}

/// A2: the first refusal of an approval, if any: `not_awaiting_approval`, then `self_approval`,
/// then `already_approved`.
pub fn approval_refusal(ask: ApprovalAsk) -> Option<ApprovalRefusal> {
    if ask.status != DeploymentStatus::AwaitingApproval {
        Some(ApprovalRefusal::NotAwaiting(ask.status))
    } else if ask.by_deployer && !ask.self_allowed {
        Some(ApprovalRefusal::SelfApproval)
    } else if ask.approved_before {
        Some(ApprovalRefusal::AlreadyApproved)
    } else {
        None
    }
}

/// A2: whether `given` approvals complete a deployment that needs `required`.
pub fn complete(given: usize, required: i32) -> bool {
    i64::try_from(given).unwrap_or(i64::MAX) >= i64::from(required)
}

wire_enum!(
    /// A2: what a user said of a deployment awaiting approval.
    Verdict { Approved => "approved", Rejected => "rejected" }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(status: DeploymentStatus, by_deployer: bool, self_allowed: bool, approved_before: bool) -> ApprovalAsk {
        ApprovalAsk { status, by_deployer, self_allowed, approved_before }
    }

    #[test]
    fn a1_rule_requires_one_to_five() {
        assert!(!valid_required(0));
        assert!(valid_required(1));
        assert!(valid_required(5));
        assert!(!valid_required(6));
    }

    #[test]
    fn a2_refusals_come_in_their_order() {
        use ApprovalRefusal::*;
        let queued = DeploymentStatus::Queued;
        let waiting = DeploymentStatus::AwaitingApproval;
        assert_eq!(approval_refusal(ask(queued, true, false, true)), Some(NotAwaiting(queued)));
        assert_eq!(approval_refusal(ask(waiting, true, false, true)), Some(SelfApproval));
        assert_eq!(approval_refusal(ask(waiting, true, true, true)), Some(AlreadyApproved));
        assert_eq!(approval_refusal(ask(waiting, false, false, true)), Some(AlreadyApproved));
        assert_eq!(approval_refusal(ask(waiting, true, true, false)), None);
    }

    #[test]
    fn a3_rollback_releases_never_wait() {
        assert_eq!(needed(ReleaseKind::Rollback, Some(2)), None);
        assert_eq!(needed(ReleaseKind::Standard, Some(2)), Some(2));
        assert_eq!(initial_status(true, true), DeploymentStatus::AwaitingApproval);
        assert_eq!(initial_status(false, true), DeploymentStatus::Scheduled);
    }

    #[test]
    fn a2_approved_deployment_is_scheduled_only_while_its_time_is_ahead() {
        let now = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap().naive_utc();
        let later = now + chrono::Duration::minutes(5);
        assert_eq!(approved_status(Some(later), now), DeploymentStatus::Scheduled);
        assert_eq!(approved_status(Some(now), now), DeploymentStatus::Queued);
        assert_eq!(approved_status(None, now), DeploymentStatus::Queued);
        assert!(complete(2, 2));
        assert!(!complete(1, 2));
    }
}
