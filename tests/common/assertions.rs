//! Assertions many tests share.

use actix_web::http::StatusCode;
use serde_json::Value;

/// Asserts a problem+json answer with this status and code.
pub fn assert_problem(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
}

/// The `(item_id, outcome, skip_reason)` of each planned or deployed item, in their order.
pub fn outcomes(items: &[Value]) -> Vec<(String, String, Option<String>)> {
    items
        .iter()
        .map(|i| {
            (
                i["item_id"].as_str().unwrap().to_string(),
                i["outcome"].as_str().unwrap().to_string(),
                i["skip_reason"].as_str().map(String::from),
            )
        })
        .collect()
}
