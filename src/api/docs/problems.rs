//! The problems (status and `code`s) each operation answers, as the document lists them.

use serde_json::{json, Value};

use crate::error::ProblemCode;
use ProblemCode::*;

/// The problem codes each operation answers besides 401 `unauthorized` and 503 `unavailable`,
/// which every `/v1` operation can answer; the document groups them by their status.
pub const PROBLEMS: &[(&str, &[ProblemCode])] = &[
    ("getMe", &[]),
    ("createUser", &[InvalidRequest, Forbidden, NameTaken, PayloadTooLarge, UserNameNotAllowed]),
    ("listUsers", &[InvalidRequest, Forbidden, NotFound]),
    ("deactivateUser", &[InvalidRequest, Forbidden, NotFound, LastAdmin]),
    ("createToken", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge]),
    ("listUserTokens", &[InvalidRequest, Forbidden, NotFound]),
    ("revokeToken", &[InvalidRequest, Forbidden, NotFound]),
    ("putGrant", &[InvalidRequest, Forbidden, NotFound, GrantNotApplicable]),
    ("deleteGrant", &[InvalidRequest, Forbidden, NotFound]),
    ("createEnvironment", &[InvalidRequest, Forbidden, NameTaken, PayloadTooLarge]),
    ("listEnvironments", &[InvalidRequest, NotFound]),
    ("getEnvironment", &[InvalidRequest, NotFound]),
    ("updateEnvironment", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge]),
    ("placeHold", &[InvalidRequest, Forbidden, NotFound, AlreadyHeld, PayloadTooLarge]),
    ("liftHold", &[InvalidRequest, Forbidden, NotFound, NotHeld]),
    ("listHolds", &[InvalidRequest, NotFound]),
    ("createFreeze", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge, InvalidWindow]),
    ("listFreezes", &[InvalidRequest, NotFound]),
    ("deleteFreeze", &[InvalidRequest, Forbidden, NotFound]),
    ("setApprovalRule", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge]),
    ("deleteApprovalRule", &[InvalidRequest, Forbidden, NotFound]),
    ("compareEnvironments", &[InvalidRequest, NotFound, EnvironmentNotFound]),
    (
        "promoteEnvironment",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            PayloadTooLarge,
            EnvironmentNotFound,
            ReleaseTooLarge,
            SameEnvironment,
            NothingToPromote,
            KeyNotInDifference,
        ],
    ),
    ("publish", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge, ItemNotFound, VersionNotFound]),
    ("unpublish", &[InvalidRequest, Forbidden, NotFound, NotPublished, PayloadTooLarge, ItemNotFound]),
    ("getPublishState", &[InvalidRequest, NotFound]),
    ("listEvents", &[InvalidRequest, NotFound]),
    ("listEnvironmentDeployments", &[InvalidRequest, NotFound]),
    (
        "rollbackEnvironment",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            IdempotencyKeyInUse,
            PayloadTooLarge,
            ItemNotFound,
            TargetNotSuccessful,
            TargetWrongEnvironment,
            NoRollbackTarget,
            IdempotencyKeyReused,
        ],
    ),
    (
        "previewEnvironmentRollback",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            ItemNotFound,
            TargetNotSuccessful,
            TargetWrongEnvironment,
            NoRollbackTarget,
        ],
    ),
    (
        "listContent",
        &[
            InvalidRequest,
            InvalidCursor,
            Forbidden,
            NotFound,
            ReleaseEmpty,
            ReleaseNotDeployedToEnvironment,
            TargetWrongEnvironment,
            DeploymentNotFinished,
        ],
    ),
    (
        "getContent",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            ContentNotPublished,
            ReleaseEmpty,
            ReleaseNotDeployedToEnvironment,
            TargetWrongEnvironment,
            DeploymentNotFinished,
        ],
    ),
    ("syncContent", &[InvalidRequest, InvalidCursor, NotFound]),
    ("createItem", &[InvalidRequest, Forbidden, PayloadTooLarge, ItemNotFound]),
    ("listItems", &[InvalidRequest, NotFound]),
    ("getItem", &[InvalidRequest, NotFound]),
    ("createVersion", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge, ItemNotFound]),
    ("listVersions", &[InvalidRequest, NotFound]),
    ("diffVersions", &[InvalidRequest, NotFound, VersionNotFound]),
    ("createRelease", &[InvalidRequest, Forbidden, PayloadTooLarge]),
    ("listReleases", &[InvalidRequest, NotFound]),
    ("getRelease", &[InvalidRequest, NotFound]),
    ("updateRelease", &[InvalidRequest, Forbidden, NotFound, PayloadTooLarge]),
    ("deleteRelease", &[InvalidRequest, Forbidden, NotFound, ReleaseBusy]),
    ("listReleaseItems", &[InvalidRequest, NotFound]),
    (
        "addReleaseItems",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            ReleaseLocked,
            PayloadTooLarge,
            ItemNotFound,
            VersionNotFound,
            ReleaseTooLarge,
        ],
    ),
    ("removeReleaseItem", &[InvalidRequest, Forbidden, NotFound, ReleaseLocked]),
    (
        "deployRelease",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            IdempotencyKeyInUse,
            EnvironmentHeld,
            EnvironmentFrozen,
            PayloadTooLarge,
            ReleaseEmpty,
            EnvironmentNotFound,
            InvalidSchedule,
            RollbackCannotBeScheduled,
            ReleaseNotDeployedToEnvironment,
            KeyNotInRelease,
            RollbackOptionNotApplicable,
            OnConflictNotApplicable,
            IdempotencyKeyReused,
        ],
    ),
    ("listReleaseDeployments", &[InvalidRequest, NotFound]),
    (
        "previewRelease",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            ReleaseEmpty,
            EnvironmentNotFound,
            ReleaseNotDeployedToEnvironment,
            KeyNotInRelease,
            RollbackOptionNotApplicable,
            OnConflictNotApplicable,
        ],
    ),
    (
        "createRollbackRelease",
        &[
            InvalidRequest,
            Forbidden,
            NotFound,
            IdempotencyKeyInUse,
            RollbackOfRollback,
            ReleaseNotDeployed,
            RedeployRequired,
            IdempotencyKeyReused,
        ],
    ),
    ("listRollbackReleases", &[InvalidRequest, NotFound]),
    ("listDeployments", &[InvalidRequest, NotFound]),
    ("streamDeployment", &[InvalidRequest, NotFound]),
    ("streamDeployments", &[InvalidRequest, NotFound]),
    ("getDeployment", &[InvalidRequest, NotFound]),
    ("listDeploymentItems", &[InvalidRequest, NotFound]),
    ("cancelDeployment", &[InvalidRequest, Forbidden, NotFound, NotCancellable]),
    (
        "approveDeployment",
        &[InvalidRequest, Forbidden, SelfApproval, NotFound, NotAwaitingApproval, AlreadyApproved, PayloadTooLarge],
    ),
    ("rejectDeployment", &[InvalidRequest, Forbidden, NotFound, NotAwaitingApproval, PayloadTooLarge]),
    ("createWebhook", &[InvalidRequest, Forbidden, PayloadTooLarge, WebhookUrlNotAllowed, EnvironmentNotFound]),
    ("listWebhooks", &[InvalidRequest, Forbidden, NotFound]),
    ("getWebhook", &[InvalidRequest, Forbidden, NotFound]),
    ("deleteWebhook", &[InvalidRequest, Forbidden, NotFound]),
    ("listWebhookDeliveries", &[InvalidRequest, Forbidden, NotFound]),
    ("retryWebhookDelivery", &[InvalidRequest, Forbidden, NotFound, NotRetryable]),
];

/// A problem+json answer whose `code` is one of `codes`, all of one `status`; a 401 also carries
/// `WWW-Authenticate`.
pub fn problem_response(status: u16, codes: &[&str]) -> Value {
    let list = codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let title =
        actix_web::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    let mut r = json!({
        "description": format!("{title}; `code`: {list}"),
        "content": {"application/problem+json": {"schema": {
            "allOf": [{"$ref": "#/components/schemas/Problem"}],
            "properties": {"status": {"const": status}, "code": {"enum": codes}},
        }}},
    });
    if status == 401 {
        r["headers"] = json!({"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}});
    }
    r
}
