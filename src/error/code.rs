//! Every problem `code` rewind answers, once: its HTTP status and what it means. The OpenAPI
//! document's problems, the console's messages and the table of `docs/api-guide.md` (held to
//! this list by a test) come from here; no code is written as a string anywhere else.

use actix_web::http::StatusCode;

/// Declares the codes with their wire word, status and meaning (the meaning is the variant's doc
/// and the guide's table row).
macro_rules! problem_codes {
    ($($variant:ident = ($status:literal, $code:literal, $meaning:literal),)+) => {
        /// A stable problem code: the `code` of a problem+json answer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemCode { $(#[doc = $meaning] $variant),+ }

        impl ProblemCode {
            /// Every code, in the order of the guide's table (by status).
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),+];

            /// The snake_case word a client matches on.
            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code),+ }
            }

            /// The HTTP status every answer with this code has.
            pub fn status(self) -> StatusCode {
                let n = match self { $(ProblemCode::$variant => $status),+ };
                StatusCode::from_u16(n).expect("a valid status")
            }

            /// When it is answered, for a reader of the guide.
            pub fn meaning(self) -> &'static str {
                match self { $(ProblemCode::$variant => $meaning),+ }
            }

            /// The code a word names, if any (a client reading an answer); a word two statuses
            /// share (`not_published`) names the first.
            #[allow(unreachable_patterns)]
            pub fn parse(s: &str) -> Option<ProblemCode> {
                match s { $($code => Some(ProblemCode::$variant),)+ _ => None }
            }
        }
    };
}

problem_codes! {
    InvalidRequest = (400, "invalid_request", "malformed JSON, a body that is not a JSON object, a wrong type, an unknown field, a bad id (ids are canonical lowercase hyphenated UUIDs only), enum, pattern, length or cursor, a version below 1, control, bidirectional or invisible characters in a name or control characters in text; the `detail` names the rule that failed"),
    InvalidCursor = (400, "invalid_cursor", "a cursor of an environment's content or sync that this server did not write as it stands (malformed, cut short, re-encoded, altered), of another environment, or asked with other filters than its round's"),
    Unauthorized = (401, "unauthorized", "no token or a bad one: unknown, revoked, expired, or of a deactivated user (the answer carries `WWW-Authenticate: Bearer`)"),
    Forbidden = (403, "forbidden", "the caller's role or grants do not allow it"),
    SelfApproval = (403, "self_approval", "approving a deployment of one's own where the environment's approval rule does not allow it"),
    CsrfFailed = (403, "csrf_failed", "the console only: a form posted without its session's CSRF token, or from another origin; nothing is written"),
    NotFound = (404, "not_found", "no such resource or route, or one the caller may not see (another user's rollback release)"),
    ContentNotPublished = (404, "not_published", "reading the content of a key that is not published (V1), as of the time, deployment or release asked"),
    MethodNotAllowed = (405, "method_not_allowed", "a known route called with a method it does not take; `Allow` lists those it takes"),
    NameTaken = (409, "name_taken", "a user or environment of that name exists"),
    NotPublished = (409, "not_published", "unpublishing a key that is not published"),
    ReleaseLocked = (409, "release_locked", "changing the items of a release that has a succeeded deployment, or of a rollback release"),
    ReleaseBusy = (409, "release_busy", "deleting a release with a deployment awaiting approval, scheduled, queued or running"),
    NotCancellable = (409, "not_cancellable", "cancelling a deployment that is not `awaiting_approval`, `scheduled` or `queued`"),
    NotRetryable = (409, "not_retryable", "retrying a webhook delivery that is not `failed`"),
    LastAdmin = (409, "last_admin", "deactivating the last active admin"),
    AlreadyHeld = (409, "already_held", "placing a hold on an environment that is held already"),
    NotHeld = (409, "not_held", "lifting the hold of an environment that is not held"),
    EnvironmentHeld = (409, "environment_held", "deploying a standard release to a held environment (nothing is created, for any of the environments named)"),
    EnvironmentFrozen = (409, "environment_frozen", "deploying a standard release to an environment in an open freeze window (nothing is created)"),
    NotAwaitingApproval = (409, "not_awaiting_approval", "approving or rejecting a deployment that is not awaiting approval (approved, rejected, cancelled, or never needing one)"),
    AlreadyApproved = (409, "already_approved", "approving a deployment a second time"),
    IdempotencyKeyInUse = (409, "idempotency_key_in_use", "a repeat of a keyed request while the first is still being answered"),
    PayloadTooLarge = (413, "payload_too_large", "a body over the limit (2 MiB; 32 MiB when adding release items), or a version's content over 1 MiB"),
    ItemNotFound = (422, "item_not_found", "the item named in the body does not exist"),
    VersionNotFound = (422, "version_not_found", "that version of the item does not exist in that locale"),
    EnvironmentNotFound = (422, "environment_not_found", "a deploy, a preview or a webhook names an unknown environment, or a compare or a promotion an unknown source"),
    ReleaseEmpty = (422, "release_empty", "deploying a release with no items"),
    ReleaseTooLarge = (422, "release_too_large", "adding items beyond the release's item limit, or promoting more keys than it"),
    InvalidSchedule = (422, "invalid_schedule", "`scheduled_at` in the past, or more than 10 years ahead"),
    RollbackOfRollback = (422, "rollback_of_rollback", "rolling back a rollback release"),
    ReleaseNotDeployed = (422, "release_not_deployed", "creating a rollback release without a succeeded deployment of your own"),
    RedeployRequired = (422, "redeploy_required", "creating a rollback release after deleting your last one, without deploying the release again"),
    ReleaseNotDeployedToEnvironment = (422, "release_not_deployed_to_environment", "deploying a rollback release to an environment the owner has not deployed the release to"),
    RollbackCannotBeScheduled = (422, "rollback_cannot_be_scheduled", "`scheduled_at` on a rollback release"),
    TargetNotSuccessful = (422, "target_not_successful", "an environment rollback's target is not a succeeded deployment"),
    TargetWrongEnvironment = (422, "target_wrong_environment", "an environment rollback's target is a deployment of another environment"),
    NoRollbackTarget = (422, "no_rollback_target", "an environment rollback without a target, and no succeeded deployment before the active one"),
    DeploymentNotFinished = (422, "deployment_not_finished", "reading content as of a deployment that has not ended"),
    InvalidWindow = (422, "invalid_window", "a freeze window that ends before it starts, or in the past, or lasts over 366 days"),
    KeyNotInRelease = (422, "key_not_in_release", "a partial rollback selects a key that is not an item of the rollback release"),
    RollbackOptionNotApplicable = (422, "rollback_option_not_applicable", "`hold` or `keys` on the deployment or preview of a standard release: only rollbacks take them"),
    SameEnvironment = (422, "same_environment", "promoting an environment onto itself"),
    NothingToPromote = (422, "nothing_to_promote", "a promotion where no key differs between the two environments (or among the selected keys)"),
    KeyNotInDifference = (422, "key_not_in_difference", "a promotion selects a key whose state does not differ between the two environments"),
    OnConflictNotApplicable = (422, "on_conflict_not_applicable", "`on_conflict` on the deployment or preview of a standard release"),
    WebhookUrlNotAllowed = (422, "webhook_url_not_allowed", "a webhook URL whose host is or resolves to an address that is not globally routable unicast, or that carries a user name or password"),
    GrantNotApplicable = (422, "grant_not_applicable", "a grant to a viewer, who cannot publish (only editors take grants; admins need none)"),
    UserNameNotAllowed = (422, "user_name_not_allowed", "a user name that RFC 8265's UsernameCaseMapped profile refuses (a symbol it does not allow, a joiner, a variation selector, a space other than one between words): such a name could look like another user's"),
    IdempotencyKeyReused = (422, "idempotency_key_reused", "the same `Idempotency-Key` with another method, path or body"),
    InternalError = (500, "internal_error", "a bug: its cause is logged with the request's id, never answered"),
    Unavailable = (503, "unavailable", "the database cannot be reached; retry later"),
}

impl ProblemCode {
    /// The problem's `title`: its status's reason phrase.
    pub fn title(self) -> &'static str {
        self.status().canonical_reason().unwrap_or("Error")
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The table of codes as `docs/api-guide.md` prints it: `| status | code | meaning |`, one row a code.
#[cfg(test)]
fn guide_table() -> String {
    let mut out = String::from("| status | code | when |\n|---|---|---|\n");
    for c in ProblemCode::ALL {
        out.push_str(&format!("| {} | `{}` | {} |\n", c.status().as_u16(), c.as_str(), c.meaning()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x1_codes_are_unique_snake_case_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for c in ProblemCode::ALL {
            // A word may name two statuses (`not_published`: 409 unpublishing, 404 reading
            // content), never twice the same one.
            assert!(seen.insert((c.as_str(), c.status())), "{c} twice");
            assert!(c.as_str().chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'), "{c}");
            assert_eq!(ProblemCode::parse(c.as_str()).map(|p| p.as_str()), Some(c.as_str()));
            assert!(c.status().is_client_error() || c.status().is_server_error(), "{c}");
        }
        let statuses: Vec<u16> = ProblemCode::ALL.iter().map(|c| c.status().as_u16()).collect();
        assert!(statuses.windows(2).all(|w| w[0] <= w[1]), "listed by status, as the guide's table is");
    }

    #[test]
    fn x1_the_guides_table_of_codes_is_this_list() {
        let guide = include_str!("../../docs/api-guide.md");
        let table = guide_table();
        assert!(
            guide.contains(&table),
            "docs/api-guide.md's table of problem codes differs from src/error/code.rs; it must read:\n\n{table}"
        );
    }
}
