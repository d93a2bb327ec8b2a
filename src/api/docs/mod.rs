//! The OpenAPI 3.1 document, generated from the handlers and wire types, then completed with what utoipa's annotations cannot say in one place: the problems each
//! operation answers, the links between operations, the routes that need no token.

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

mod links;
mod problems;
mod shapes;

pub use problems::PROBLEMS;

use self::links::links;
use self::problems::problem_response;
use super::{
    admin, approvals, content, deployments, environments, holds, promotions, published, releases, streams, tokens,
    webhooks,
};
use crate::domain::{Outcome, ReleaseKind};
use crate::error::{FieldError, Problem, ProblemCode};

/// The API of rewind, as served at `/openapi.json` and rendered at `/docs`.
#[derive(OpenApi)]
#[openapi(
    info(title = "rewind", description = "Release and rollback backend of a headless CMS"),
    paths(
        admin::me, admin::create_user, admin::list_users, admin::deactivate_user, tokens::create_token, tokens::list_tokens,
        tokens::revoke_token, admin::put_grant, admin::delete_grant,
        environments::create, environments::list, environments::get, environments::publish, environments::unpublish,
        environments::publish_state, environments::events, environments::deployments, environments::rollback,
        environments::rollback_preview,
        published::list, published::one, published::sync,
        holds::place, holds::lift, holds::history, holds::update, holds::create_freeze, holds::freezes,
        holds::delete_freeze,
        approvals::set_rule, approvals::delete_rule, approvals::approve, approvals::reject,
        promotions::compare, promotions::promote,
        content::create_item, content::list_items, content::get_item, content::create_version, content::list_versions,
        content::diff,
        releases::create, releases::list, releases::get, releases::update, releases::delete, releases::list_items,
        releases::add_items, releases::remove_item, releases::deploy, releases::deployments, releases::preview,
        releases::create_rollback, releases::list_rollbacks,
        deployments::list, deployments::get, deployments::items, deployments::cancel,
        streams::deployment, streams::deployments,
        webhooks::create, webhooks::list, webhooks::get, webhooks::delete, webhooks::deliveries, webhooks::retry,
    ),
    components(schemas(Problem, FieldError, Outcome, ReleaseKind)),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The document as served: utoipa's, completed with what its annotations cannot say in one place.
/// It is completed as JSON because utoipa's model has no room for `const`, or for `oneOf` beside
/// `properties`, which the rules across fields need.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    complete(&mut doc);
    doc
}

/// The methods the document lists for the route that `path` matches; none when no route does.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    static ROUTES: std::sync::OnceLock<Vec<(String, Vec<&'static str>)>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let doc = document();
        let methods = ["GET", "PUT", "POST", "DELETE", "PATCH"];
        let paths = doc["paths"].as_object().expect("paths");
        paths
            .iter()
            .map(|(p, item)| {
                (p.clone(), methods.into_iter().filter(|m| item.get(m.to_lowercase()).is_some()).collect())
            })
            .collect()
    });
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |template: &str| {
        let t: Vec<&str> = template.split('/').collect();
        t.len() == segments.len()
            && t.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
    };
    routes.iter().filter(|(t, _)| matches(t)).flat_map(|(_, m)| m.iter().copied()).collect()
}

fn complete(doc: &mut Value) {
    doc["servers"] = json!([{"url": "/"}]);
    // The package names no licence: its terms are its owner's, which SPDX spells as a LicenseRef.
    doc["info"]["license"] = json!({"name": "proprietary", "identifier": "LicenseRef-proprietary"});
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "a token of `rewind token create` or `POST /v1/users/{id}/tokens`"}
    });
    let paths = doc["paths"].as_object_mut().expect("paths");
    for item in paths.values_mut() {
        for op in item.as_object_mut().expect("path item").values_mut() {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            optional_body(op);
            let responses = op["responses"].as_object_mut().expect("responses");
            for (status, r) in responses.iter_mut() {
                if r.get("description").and_then(Value::as_str).unwrap_or_default().is_empty() {
                    r["description"] = json!(reason(status));
                }
            }
            let problems = PROBLEMS.iter().find(|(op, _)| *op == id).map(|(_, p)| *p).unwrap_or_default();
            let common = [ProblemCode::Unauthorized, ProblemCode::Unavailable];
            let mut by_status = std::collections::BTreeMap::<u16, Vec<&str>>::new();
            for code in problems.iter().chain(&common) {
                by_status.entry(code.status().as_u16()).or_default().push(code.as_str());
            }
            for (status, codes) in by_status {
                responses.insert(status.to_string(), problem_response(status, &codes));
            }
            for (status, links) in links(&id) {
                if let Some(r) = responses.get_mut(status) {
                    r["links"] = links;
                }
            }
        }
    }
    paths.extend(open_routes());
    rules_across_fields(&mut doc["components"]["schemas"]);
    shapes::input_shapes(doc);
    uuid_patterns(doc);
    prune_unused_schemas(doc);
}

/// Rules that tie one field to another, or constrain what utoipa's attributes cannot reach.
fn rules_across_fields(schemas: &mut Value) {
    schemas["CreateItem"]["oneOf"] = json!([
        {"properties": {"kind": {"const": "entry"}, "content_type": {"type": "string"}}, "required": ["kind", "content_type"]},
        {"properties": {"kind": {"const": "asset"}, "content_type": {"type": "null"}}, "required": ["kind"]},
    ]);
    schemas["AddItem"]["oneOf"] = json!([
        {"properties": {"action": {"const": "publish"}, "version": {"type": "integer"}}, "required": ["action", "version"]},
        {"properties": {"action": {"const": "unpublish"}}, "required": ["action"]},
    ]);
    // The names of `validate::display_name`, from the one pattern that a test holds to the rule.
    for (schema, field) in
        [("CreateUser", "name"), ("CreateRelease", "name"), ("UpdateRelease", "name"), ("CreateItem", "content_type")]
    {
        schemas[schema]["properties"][field]["pattern"] = json!(crate::domain::validate::NAME_PATTERN);
    }
    // Free text of `validate::free_text`, from the one pattern that a test holds to the rule.
    for (schema, field) in [
        ("RollbackEnvironment", "reason"),
        ("CreateWebhook", "description"),
        ("CreateToken", "label"),
        ("CreateRelease", "description"),
        ("UpdateRelease", "description"),
        ("PlaceHold", "reason"),
        ("CreateFreeze", "reason"),
        ("Approve", "comment"),
        ("Reject", "comment"),
    ] {
        schemas[schema]["properties"][field]["pattern"] = json!(crate::domain::validate::TEXT_PATTERN);
    }
    // B10, M2: a selection names each key once.
    for schema in ["Deploy", "RollbackEnvironment", "Promote"] {
        schemas[schema]["properties"]["keys"]["uniqueItems"] = json!(true);
    }
}

/// Every id is a UUID in its lowercase, hyphenated form (`validate::id`), which `format: uuid`
/// alone does not say (a format is an annotation that validators may skip): each UUID schema
/// also carries the pattern, so that a client or fuzzer knows `None` or `ABC…` is not an id.
fn uuid_patterns(node: &mut Value) {
    match node {
        Value::Object(m) => {
            if m.get("format").and_then(Value::as_str) == Some("uuid") {
                m.insert("pattern".into(), json!(crate::domain::validate::ID_PATTERN));
            }
            m.values_mut().for_each(uuid_patterns);
        }
        Value::Array(a) => a.iter_mut().for_each(uuid_patterns),
        _ => {}
    }
}

/// utoipa says a body that may be left out as `oneOf: [body, null]`; what it means is a body that
/// is not required (no body is `{}`), and never `null`.
fn optional_body(op: &mut Value) {
    let Some(content) = op.pointer_mut("/requestBody/content/application~1json") else { return };
    let one_of = content["schema"]["oneOf"].as_array().cloned().unwrap_or_default();
    if let Some(body) = one_of.iter().find(|s| s["type"] != "null") {
        content["schema"] = body.clone();
        op["requestBody"]["required"] = json!(false);
    }
}

fn reason(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted: the deployments as they stand now",
        "204" => "Done; no content",
        _ => "Answer",
    }
}

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`: served outside `/v1`, without a token.
fn open_routes() -> Map<String, Value> {
    let unavailable = problem_response(503, &[ProblemCode::Unavailable.as_str()]);
    let status = |s: &str| json!({"type": "object", "required": ["status"], "properties": {"status": {"const": s}}});
    let cors =
        json!({"description": "the request's `Origin` is not one of `REWIND_CORS_ORIGINS` (only when CORS is set up)"});
    let op = |id: &str, summary: &str, mut responses: Value| {
        responses["400"] = cors.clone();
        json!({"get": {"tags": ["operations"], "operationId": id, "summary": summary, "security": [], "responses": responses}})
    };
    let mut m = Map::new();
    m.insert(
        "/healthz".into(),
        op(
            "getHealth",
            "Liveness: the process answers.",
            json!({"200": {"description": "alive", "content": {"application/json": {"schema": status("ok")}}}}),
        ),
    );
    m.insert(
        "/readyz".into(),
        op(
            "getReadiness",
            "Readiness: the database is reachable.",
            json!({
                "200": {"description": "ready", "content": {"application/json": {"schema": status("ready")}}},
                "503": unavailable,
            }),
        ),
    );
    m.insert(
        "/metrics".into(),
        op(
            "getMetrics",
            "Prometheus metrics, in the text exposition format.",
            json!({"200": {"description": "the metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}),
        ),
    );
    m.insert(
        "/openapi.json".into(),
        op(
            "getOpenApi",
            "This OpenAPI 3.1 document.",
            json!({"200": {"description": "the document", "content": {"application/json": {"schema": {"type": "object"}}}}}),
        ),
    );
    m
}

/// Drops component schemas that nothing refers to (utoipa inlines generic wrappers and still
/// registers what they wrap).
fn prune_unused_schemas(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object().cloned() else { return };
    let mut outside = doc.clone();
    outside["components"]["schemas"] = json!({});
    let mut used = std::collections::BTreeSet::new();
    let mut todo = refs_in(&outside);
    while let Some(name) = todo.pop() {
        if used.insert(name.clone()) {
            if let Some(s) = schemas.get(&name) {
                todo.extend(refs_in(s));
            }
        }
    }
    let kept: Map<String, Value> = schemas.into_iter().filter(|(k, _)| used.contains(k)).collect();
    doc["components"]["schemas"] = Value::Object(kept);
}

fn refs_in(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v.as_str()) {
                ("$ref", Some(r)) => r.strip_prefix("#/components/schemas/").map(String::from).into_iter().collect(),
                _ => refs_in(v),
            })
            .collect(),
        Value::Array(a) => a.iter().flat_map(refs_in).collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x1_every_operation_has_an_entry_in_the_problem_table_and_each_entry_an_operation() {
        let doc = document();
        let ids: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with("/v1/"))
            .flat_map(|(_, item)| {
                item.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap().to_string())
            })
            .collect();
        for id in &ids {
            assert!(PROBLEMS.iter().any(|(op, _)| op == id), "{id} has no entry in PROBLEMS");
        }
        for (op, _) in PROBLEMS {
            assert!(ids.iter().any(|id| id == op), "PROBLEMS names {op}, which is no operation");
        }
    }
}
