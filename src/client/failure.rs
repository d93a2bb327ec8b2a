//! Why a client command did not succeed, and K2's exit statuses: one table from problem codes
//! and HTTP statuses to the status a script sees.

use std::fmt;

use crate::error::ProblemCode;

/// A failed command: the problem `code` (the server's, or one of the client's own below), a
/// detail for a person, and the HTTP status when a server answered.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: String,
    pub detail: String,
    pub status: Option<u16>,
}

/// The client's own codes, for failures no server answered with a problem.
pub mod code {
    /// A command line the client refuses before sending anything (exit 2).
    pub const USAGE: &str = "usage";
    /// The person at the terminal said no; nothing was written (exit 2).
    pub const DECLINED: &str = "declined";
    /// The server could not be reached (exit 6, after the retries).
    pub const CONNECTION: &str = "connection_failed";
    /// A deployment followed with --wait ended `failed` (exit 1).
    pub const DEPLOYMENT_FAILED: &str = "deployment_failed";
    /// A deployment followed with --wait ended `cancelled` (exit 1).
    pub const DEPLOYMENT_CANCELLED: &str = "deployment_cancelled";
    /// --timeout ran out with the work still going (exit 7).
    pub const WAIT_TIMED_OUT: &str = "wait_timed_out";
    /// An answer that is not what the API documents.
    pub const BAD_ANSWER: &str = "bad_answer";
}

impl Failure {
    /// A failure of the client's own (no HTTP status).
    pub fn new(code: &str, detail: impl Into<String>) -> Failure {
        Failure { code: code.into(), detail: detail.into(), status: None }
    }

    /// A command line refused before anything was sent.
    pub fn usage(detail: impl Into<String>) -> Failure {
        Failure::new(code::USAGE, detail)
    }

    /// The exit status of this failure (K2).
    pub fn exit_status(&self) -> u8 {
        exit_status(&self.code, self.status)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.detail)
    }
}

/// K2's table: 1 a deployment failed or was cancelled, 2 usage, 3 unauthorized or forbidden,
/// 4 not found, 5 any other 4xx (a rule's refusal), 6 unavailable after retries, 7 timed out.
/// A code decides before a status: `idempotency_key_in_use` (409) still in use after the retries
/// means "try again later", as a 503 does.
pub fn exit_status(code: &str, status: Option<u16>) -> u8 {
    match (code, status) {
        (code::DEPLOYMENT_FAILED | code::DEPLOYMENT_CANCELLED, _) => 1,
        (code::USAGE | code::DECLINED, _) => 2,
        (code::WAIT_TIMED_OUT, _) => 7,
        (code::CONNECTION, _) => 6,
        (c, _)
            if matches!(ProblemCode::parse(c), Some(ProblemCode::Unavailable | ProblemCode::IdempotencyKeyInUse)) =>
        {
            6
        }
        (_, Some(401 | 403)) => 3,
        (_, Some(404)) => 4,
        (_, Some(400..=499)) => 5,
        // 5xx (a proxy's 502 or 504, or a server bug's 500) and answers that are not the API's.
        _ => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k2_exit_statuses_follow_the_table() {
        assert_eq!(exit_status(code::DEPLOYMENT_FAILED, None), 1);
        assert_eq!(exit_status(code::DEPLOYMENT_CANCELLED, None), 1);
        assert_eq!(exit_status(code::USAGE, None), 2);
        assert_eq!(exit_status(ProblemCode::Unauthorized.as_str(), Some(401)), 3);
        assert_eq!(exit_status(ProblemCode::Forbidden.as_str(), Some(403)), 3);
        assert_eq!(exit_status(ProblemCode::NotFound.as_str(), Some(404)), 4);
        assert_eq!(exit_status(ProblemCode::ReleaseLocked.as_str(), Some(409)), 5);
        assert_eq!(exit_status(ProblemCode::InvalidRequest.as_str(), Some(400)), 5);
        assert_eq!(exit_status(ProblemCode::IdempotencyKeyInUse.as_str(), Some(409)), 6);
        assert_eq!(exit_status(ProblemCode::Unavailable.as_str(), Some(503)), 6);
        assert_eq!(exit_status(code::CONNECTION, None), 6);
        assert_eq!(exit_status(code::WAIT_TIMED_OUT, None), 7);
    }

    #[test]
    fn k3_hold_and_freeze_refusals_are_rule_refusals() {
        for c in [
            ProblemCode::EnvironmentHeld,
            ProblemCode::EnvironmentFrozen,
            ProblemCode::AlreadyHeld,
            ProblemCode::NotHeld,
            ProblemCode::InvalidWindow,
            ProblemCode::KeyNotInRelease,
        ] {
            assert_eq!(exit_status(c.as_str(), Some(c.status().as_u16())), 5, "{}", c.as_str());
        }
    }

    #[test]
    fn k3_approval_and_promotion_refusals_map_as_k2_says() {
        assert_eq!(
            exit_status(ProblemCode::SelfApproval.as_str(), Some(ProblemCode::SelfApproval.status().as_u16())),
            3
        );
        for c in [
            ProblemCode::NotAwaitingApproval,
            ProblemCode::AlreadyApproved,
            ProblemCode::NothingToPromote,
            ProblemCode::SameEnvironment,
            ProblemCode::KeyNotInDifference,
            ProblemCode::ReleaseTooLarge,
        ] {
            assert_eq!(exit_status(c.as_str(), Some(c.status().as_u16())), 5, "{}", c.as_str());
        }
    }
}
