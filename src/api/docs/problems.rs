//! The problems (status and `code`s) each operation answers, as the document lists them.

use serde_json::{json, Value};

/// A problem answer: its status and the `code`s it can carry.
pub type Answer = (u16, &'static [&'static str]);

/// The problems (status and `code`s) each operation answers besides 401 `unauthorized` and
/// 503 `unavailable`, which every `/v1` operation can answer.
pub const PROBLEMS: &[(&str, &[Answer])] = &[
    ("getMe", &[]),
    ("createUser", &[(400, BAD), (403, FORBIDDEN), (409, &["name_taken"]), (413, TOO_LARGE)]),
    ("listUsers", &[(400, BAD), (403, FORBIDDEN)]),
    ("createToken", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (413, TOO_LARGE)]),
    ("putGrant", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND)]),
    ("deleteGrant", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND)]),
    ("createEnvironment", &[(400, BAD), (403, FORBIDDEN), (409, &["name_taken"]), (413, TOO_LARGE)]),
    ("listEnvironments", &[(400, BAD)]),
    ("getEnvironment", &[(400, BAD), (404, NOT_FOUND)]),
    (
        "publish",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (413, TOO_LARGE),
            (422, &["item_not_found", "version_not_found"]),
        ],
    ),
    (
        "unpublish",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (409, &["not_published"]),
            (413, TOO_LARGE),
            (422, &["item_not_found"]),
        ],
    ),
    ("getPublishState", &[(400, BAD), (404, NOT_FOUND)]),
    ("listEvents", &[(400, BAD), (404, NOT_FOUND)]),
    ("listEnvironmentDeployments", &[(400, BAD), (404, NOT_FOUND)]),
    (
        "rollbackEnvironment",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (409, &["idempotency_key_in_use"]),
            (413, TOO_LARGE),
            (
                422,
                &["target_not_successful", "target_wrong_environment", "no_rollback_target", "idempotency_key_reused"],
            ),
        ],
    ),
    ("createItem", &[(400, BAD), (403, FORBIDDEN), (413, TOO_LARGE), (422, &["item_not_found"])]),
    ("listItems", &[(400, BAD)]),
    ("getItem", &[(400, BAD), (404, NOT_FOUND)]),
    ("createVersion", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (413, TOO_LARGE), (422, &["item_not_found"])]),
    ("listVersions", &[(400, BAD), (404, NOT_FOUND)]),
    ("createRelease", &[(400, BAD), (403, FORBIDDEN), (413, TOO_LARGE)]),
    ("listReleases", &[(400, BAD)]),
    ("getRelease", &[(400, BAD), (404, NOT_FOUND)]),
    ("updateRelease", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (413, TOO_LARGE)]),
    ("deleteRelease", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (409, &["release_busy"])]),
    ("listReleaseItems", &[(400, BAD), (404, NOT_FOUND)]),
    (
        "addReleaseItems",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (409, &["release_locked"]),
            (413, TOO_LARGE),
            (422, &["item_not_found", "version_not_found", "release_too_large"]),
        ],
    ),
    ("removeReleaseItem", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (409, &["release_locked"])]),
    (
        "deployRelease",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (409, &["idempotency_key_in_use"]),
            (413, TOO_LARGE),
            (
                422,
                &[
                    "release_empty",
                    "environment_not_found",
                    "invalid_schedule",
                    "rollback_cannot_be_scheduled",
                    "release_not_deployed_to_environment",
                    "on_conflict_not_applicable",
                    "idempotency_key_reused",
                ],
            ),
        ],
    ),
    ("listReleaseDeployments", &[(400, BAD), (404, NOT_FOUND)]),
    (
        "previewRelease",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (
                422,
                &[
                    "release_empty",
                    "environment_not_found",
                    "release_not_deployed_to_environment",
                    "on_conflict_not_applicable",
                ],
            ),
        ],
    ),
    (
        "createRollbackRelease",
        &[
            (400, BAD),
            (403, FORBIDDEN),
            (404, NOT_FOUND),
            (409, &["idempotency_key_in_use"]),
            (422, &["rollback_of_rollback", "release_not_deployed", "redeploy_required", "idempotency_key_reused"]),
        ],
    ),
    ("listRollbackReleases", &[(400, BAD), (404, NOT_FOUND)]),
    ("getDeployment", &[(400, BAD), (404, NOT_FOUND)]),
    ("listDeploymentItems", &[(400, BAD), (404, NOT_FOUND)]),
    ("cancelDeployment", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (409, &["not_cancellable"])]),
    (
        "createWebhook",
        &[(400, BAD), (403, FORBIDDEN), (413, TOO_LARGE), (422, &["webhook_url_not_allowed", "environment_not_found"])],
    ),
    ("listWebhooks", &[(400, BAD), (403, FORBIDDEN)]),
    ("getWebhook", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND)]),
    ("deleteWebhook", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND)]),
    ("listWebhookDeliveries", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND)]),
    ("retryWebhookDelivery", &[(400, BAD), (403, FORBIDDEN), (404, NOT_FOUND), (409, &["not_retryable"])]),
];

const BAD: &[&str] = &["invalid_request"];
const FORBIDDEN: &[&str] = &["forbidden"];
const NOT_FOUND: &[&str] = &["not_found"];
const TOO_LARGE: &[&str] = &["payload_too_large"];

/// A problem+json answer whose `code` is one of `codes`; a 401 also carries `WWW-Authenticate`.
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
