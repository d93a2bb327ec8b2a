//! The authorization matrix: every route of the API × every kind of caller → the status (and the
//! problem `code`) the service must answer, by the rules of docs/api-guide.md (P3, L1, L4, L7, B5, B6, X2).
//!
//! The callers, in the order of the table's columns:
//! - `Admin`: the bootstrap admin;
//! - `Owner`: an editor with a grant on `prod` who created the shared releases, deployed them and
//!   owns the rollback release (the "owner" of B5/B6 and the "deployer" of L7);
//! - `Editor`: another editor with the same grant on `prod` (the "other editor");
//! - `NoGrant`: an editor with a grant on `staging` only;
//! - `Viewer`; `NoToken` (no `Authorization` header); `BadToken` (a token nobody holds).
//!
//! The shared world is built once; a row whose call changes what it targets names a `Fresh`
//! fixture, built anew before each caller's call, so that every cell starts from the same state.

mod common;

use std::collections::BTreeSet;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{spawn, TestApp, ADMIN};
use serde_json::{json, Value};

/// The service the harness builds, named once.
trait Svc: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error> {}

impl<T> Svc for T where T: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error> {}

/// Who calls: the columns of the table, in this order (`who as usize` is the column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Owner,
    Editor,
    NoGrant,
    Viewer,
    NoToken,
    BadToken,
}

const CALLERS: [Who; 7] = [Who::Admin, Who::Owner, Who::Editor, Who::NoGrant, Who::Viewer, Who::NoToken, Who::BadToken];

/// An expected answer: the status, and the problem `code` when it is an error ("" for success).
type Expect = (u16, &'static str);

const OK: Expect = (200, "");
const CREATED: Expect = (201, "");
const ACCEPTED: Expect = (202, "");
const NO_CONTENT: Expect = (204, "");
const NO_AUTH: Expect = (401, "unauthorized");
const DENIED: Expect = (403, "forbidden");
const HIDDEN: Expect = (404, "not_found");
const LOCKED: Expect = (409, "release_locked");
const NOT_CANCELLABLE: Expect = (409, "not_cancellable");
const NOT_RETRYABLE: Expect = (409, "not_retryable");
const SELF_APPROVAL: Expect = (403, "self_approval");
const NOT_DEPLOYED: Expect = (422, "release_not_deployed");
const ROLLBACK_OF_ROLLBACK: Expect = (422, "rollback_of_rollback");

/// A row's answers, one per caller in the order of `CALLERS`.
#[derive(Clone, Copy)]
struct Answers([Expect; 7]);

impl Answers {
    /// The same answers but `expect` for `who`.
    const fn with(mut self, who: Who, expect: Expect) -> Answers {
        self.0[who as usize] = expect;
        self
    }
}

/// Every caller may: no token needed at all.
const PUBLIC: Answers = Answers([OK; 7]);
/// Every authenticated caller reads it (L1 for standard releases; deployments stay visible, B5).
const READ: Answers = Answers([OK, OK, OK, OK, OK, NO_AUTH, NO_AUTH]);
/// Admin only (§3: users, grants, environments).
const fn admin_only(ok: Expect) -> Answers {
    Answers([ok, DENIED, DENIED, DENIED, DENIED, NO_AUTH, NO_AUTH])
}
/// Admins and editors; viewers read only.
const fn writers(ok: Expect) -> Answers {
    Answers([ok, ok, ok, ok, DENIED, NO_AUTH, NO_AUTH])
}
/// P3: a grant on the environment, or admin.
const fn granted(ok: Expect) -> Answers {
    Answers([ok, ok, ok, DENIED, DENIED, NO_AUTH, NO_AUTH])
}
/// B5: a read of the rollback release, which exists only for its owner and admins.
const OWNER_READ: Answers = Answers([OK, OK, HIDDEN, HIDDEN, HIDDEN, NO_AUTH, NO_AUTH]);
/// B5 for a write to the rollback release: a viewer writes nothing, whatever the target.
const fn owner_write(ok: Expect) -> Answers {
    Answers([ok, ok, HIDDEN, HIDDEN, DENIED, NO_AUTH, NO_AUTH])
}

/// A target made anew before each call of a row (the call changes it), bound to `{fresh}`.
#[derive(Debug, Clone, Copy)]
enum Fresh {
    /// Nothing: the row reads or changes only what leaves the other cells alone.
    No,
    /// The admin publishes `{item2}` in `prod` first, so that there is something to unpublish.
    Published,
    /// The admin adds `{item}` to `{draft}` first, so that there is something to remove.
    DraftItem,
    /// A standard release of the owner's with one item, never deployed.
    Release,
    /// A standard release the owner has deployed to `prod`, with no rollback release yet.
    DeployedRelease,
    /// The owner's rollback release of a release the owner has deployed to `prod`.
    RollbackRelease,
    /// A deployment of `{ship}` to `prod` the owner scheduled an hour ahead.
    ScheduledDeployment,
    /// A webhook endpoint the admin registered.
    Webhook,
    /// A viewer the admin created, to deactivate (T1).
    User,
    /// A token the admin made for the caller's own user (`{me}`), to revoke (T1).
    CallerToken,
    /// A token the admin made for `{subject}`, to revoke (T1).
    SubjectToken,
    /// `prod` not held: the admin lifts its hold first if it has one (H1).
    Unheld,
    /// `prod` held: the admin places a hold first if it has none (H1).
    Held,
    /// A freeze window of `prod` far ahead, to remove (H4).
    Freeze,
    /// A deployment of `{ship}` to `prod` the owner scheduled an hour ahead under an approval
    /// rule of one approval, awaiting it (the rule is removed again at once: A2 keeps it).
    AwaitingApproval,
}

/// One row: a route, what the call targets and carries, and the answer to each caller.
struct Row {
    method: &'static str,
    /// The path with placeholders: `{env}` (`prod`), `{other_env}` (`staging`), `{me}` (the caller), `{subject}`, `{item}`, `{item2}`,
    /// `{release}`, `{rollback}`, `{draft}`, `{ship}`, `{deployment}`, `{rb_deployment}`, `{webhook}`,
    /// `{delivery}`, `{fresh}`.
    path: &'static str,
    /// A JSON body with the same placeholders, and `{n}` for a number unique to the call.
    body: Option<&'static str>,
    fresh: Fresh,
    expect: Answers,
}

const fn row(method: &'static str, path: &'static str, body: Option<&'static str>, expect: Answers) -> Row {
    Row { method, path, body, fresh: Fresh::No, expect }
}

const fn fresh(method: &'static str, path: &'static str, fresh: Fresh, expect: Answers) -> Row {
    Row { method, path, body: None, fresh, expect }
}

const ADD_ITEM: &str = r#"{"items": [{"item_id": "{item}", "locale": "en", "action": "publish", "version": 1}]}"#;

/// The matrix. Shared world: `{release}` was deployed to `prod` by the owner (`{deployment}`),
/// who then created and deployed (`{rb_deployment}`) the rollback release `{rollback}`; `{draft}`
/// and `{ship}` are standard releases of the owner's, never deployed before the table runs.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // No token needed (§3).
    row("GET", "/healthz", None, PUBLIC),
    row("GET", "/readyz", None, PUBLIC),
    row("GET", "/metrics", None, PUBLIC),
    row("GET", "/openapi.json", None, PUBLIC),
    // Users, tokens, grants.
    row("GET", "/v1/me", None, READ),
    row("POST", "/v1/users", Some(r#"{"name": "user-{n}", "role": "viewer"}"#), admin_only(CREATED)),
    row("GET", "/v1/users", None, admin_only(OK)),
    // Admin, or the user for themself.
    row("POST", "/v1/users/{me}/tokens", Some(r#"{"label": "mine"}"#), writers(CREATED).with(Who::Viewer, CREATED)),
    row("POST", "/v1/users/{subject}/tokens", Some("{}"), admin_only(CREATED)),
    // T1: a user lists and revokes their own tokens; anyone else's are the admin's.
    row("GET", "/v1/users/{me}/tokens", None, READ),
    row("GET", "/v1/users/{subject}/tokens", None, admin_only(OK)),
    fresh("DELETE", "/v1/users/{me}/tokens/{fresh}", Fresh::CallerToken, writers(NO_CONTENT).with(Who::Viewer, NO_CONTENT)),
    fresh("DELETE", "/v1/users/{subject}/tokens/{fresh}", Fresh::SubjectToken, admin_only(NO_CONTENT)),
    fresh("DELETE", "/v1/users/{fresh}", Fresh::User, admin_only(NO_CONTENT)),
    row("PUT", "/v1/users/{subject}/grants/{env}", None, admin_only(NO_CONTENT)),
    row("DELETE", "/v1/users/{subject}/grants/{env}", None, admin_only(NO_CONTENT)),
    // Environments, manual publishing (P3), history, environment rollback.
    row("POST", "/v1/environments", Some(r#"{"name": "env-{n}"}"#), admin_only(CREATED)),
    row("GET", "/v1/environments", None, READ),
    row("GET", "/v1/environments/{env}", None, READ),
    row("POST", "/v1/environments/{env}/publish", Some(r#"{"item_id": "{item2}", "locale": "en", "version": 1}"#), granted(OK)),
    Row { body: Some(r#"{"item_id": "{item2}", "locale": "en"}"#), ..fresh("POST", "/v1/environments/{env}/unpublish", Fresh::Published, granted(OK)) },
    row("GET", "/v1/environments/{env}/publish-state", None, READ),
    row("GET", "/v1/environments/{env}/events", None, READ),
    // V1–V3: what the website reads is every reader's (a viewer's token is a delivery token); as
    // if a release were deployed (V2), it is refused as B9's preview is.
    row("GET", "/v1/environments/{env}/content", None, READ),
    row("GET", "/v1/environments/{env}/content/{item}?locale=en&deployment={deployment}", None, READ),
    row("GET", "/v1/environments/{env}/content?release={release}", None, granted(OK)),
    row("GET", "/v1/environments/{env}/content?release={rollback}", None, OWNER_READ),
    row("GET", "/v1/environments/{env}/sync", None, READ),
    row("GET", "/v1/environments/{env}/deployments", None, READ),
    row("GET", "/v1/environments/{env}/rollback/preview?target_deployment_id={deployment}", None, granted(OK)),
    row("POST", "/v1/environments/{env}/rollback", Some(r#"{"target_deployment_id": "{deployment}"}"#), granted(ACCEPTED)),
    // Content.
    row("POST", "/v1/items", Some(r#"{"kind": "entry", "content_type": "page", "locale": "en", "content": {}}"#), writers(CREATED)),
    row("GET", "/v1/items", None, READ),
    row("GET", "/v1/items/{item}", None, READ),
    row("POST", "/v1/items/{item2}/versions", Some(r#"{"locale": "en", "content": {"n": "{n}"}}"#), writers(CREATED)),
    row("GET", "/v1/items/{item}/versions", None, READ),
    row("GET", "/v1/items/{item}/diff?locale=en&from=1&to=2", None, READ),
    // Releases: standard ones are everyone's (L1); a rollback release only its owner's and admins' (B5).
    row("POST", "/v1/releases", Some(r#"{"name": "release {n}"}"#), writers(CREATED)),
    row("GET", "/v1/releases", None, READ),
    row("GET", "/v1/releases/{release}", None, READ),
    row("GET", "/v1/releases/{rollback}", None, OWNER_READ),
    row("PATCH", "/v1/releases/{release}", Some(r#"{"description": "edited {n}"}"#), writers(OK)),
    row("PATCH", "/v1/releases/{rollback}", Some(r#"{"description": "edited {n}"}"#), owner_write(OK)),
    fresh("DELETE", "/v1/releases/{fresh}", Fresh::Release, writers(NO_CONTENT)),
    fresh("DELETE", "/v1/releases/{fresh}", Fresh::RollbackRelease, owner_write(NO_CONTENT)),
    row("GET", "/v1/releases/{release}/items", None, READ),
    row("GET", "/v1/releases/{rollback}/items", None, OWNER_READ),
    row("POST", "/v1/releases/{draft}/items", Some(ADD_ITEM), writers(OK)),
    // B6: a rollback release's items never change, also for its owner.
    row("POST", "/v1/releases/{rollback}/items", Some(ADD_ITEM), owner_write(LOCKED)),
    fresh("DELETE", "/v1/releases/{draft}/items/{item}?locale=en", Fresh::DraftItem, writers(NO_CONTENT)),
    row("DELETE", "/v1/releases/{rollback}/items/{item}?locale=en", None, owner_write(LOCKED)),
    // L4, P3, B6: deploying needs a grant; a rollback release, its owner or an admin too.
    row("POST", "/v1/releases/{ship}/deploy", Some(r#"{"environments": ["{env}"]}"#), granted(ACCEPTED)),
    row("POST", "/v1/releases/{rollback}/deploy", Some(r#"{"environments": ["{env}"]}"#), owner_write(ACCEPTED).with(Who::Viewer, HIDDEN)),
    row("GET", "/v1/releases/{release}/deployments", None, READ),
    row("GET", "/v1/releases/{rollback}/deployments", None, OWNER_READ),
    // B9: a preview refuses what a deployment would.
    row("GET", "/v1/releases/{release}/preview?environment={env}", None, granted(OK)),
    row("GET", "/v1/releases/{rollback}/preview?environment={env}", None, OWNER_READ),
    // B1, B3: the owner has one already (200); the others never deployed `{release}`.
    row("POST", "/v1/releases/{release}/rollback", None, writers(NOT_DEPLOYED).with(Who::Owner, OK)),
    fresh("POST", "/v1/releases/{fresh}/rollback", Fresh::DeployedRelease, writers(NOT_DEPLOYED).with(Who::Owner, CREATED)),
    row("POST", "/v1/releases/{rollback}/rollback", None, owner_write(ROLLBACK_OF_ROLLBACK)),
    row("GET", "/v1/releases/{release}/rollbacks", None, READ),
    row("GET", "/v1/releases/{rollback}/rollbacks", None, OWNER_READ),
    // Deployments, also those of a rollback release, are everyone's to read (B5).
    // Q1, S1, S2: every deployment is everyone's to follow (B5: a rollback release's too).
    row("GET", "/v1/deployments?status=scheduled", None, READ),
    row("GET", "/v1/deployments/stream", None, READ),
    row("GET", "/v1/deployments/{deployment}/stream", None, READ),
    row("GET", "/v1/deployments/{rb_deployment}/stream", None, READ),
    row("GET", "/v1/deployments/{deployment}", None, READ),
    row("GET", "/v1/deployments/{rb_deployment}", None, READ),
    row("GET", "/v1/deployments/{deployment}/items", None, READ),
    row("GET", "/v1/deployments/{rb_deployment}/items", None, READ),
    // L7: its deployer or an admin cancels; a succeeded deployment is not cancellable.
    fresh("POST", "/v1/deployments/{fresh}/cancel", Fresh::ScheduledDeployment, admin_only(OK).with(Who::Owner, OK)),
    row("POST", "/v1/deployments/{deployment}/cancel", None, admin_only(NOT_CANCELLABLE).with(Who::Owner, NOT_CANCELLABLE)),
    // W1, W4: webhooks are the admin's; `{delivery}` is pending (no delivery worker runs here).
    row("POST", "/v1/webhooks", Some(WEBHOOK), admin_only(CREATED)),
    row("GET", "/v1/webhooks", None, admin_only(OK)),
    row("GET", "/v1/webhooks/{webhook}", None, admin_only(OK)),
    fresh("DELETE", "/v1/webhooks/{fresh}", Fresh::Webhook, admin_only(NO_CONTENT)),
    row("GET", "/v1/webhooks/{webhook}/deliveries", None, admin_only(OK)),
    row("POST", "/v1/webhooks/{webhook}/deliveries/{delivery}/retry", None, admin_only(NOT_RETRYABLE)),
    // A1: the rule is the admin's (on `staging`, so that no other row waits for an approval).
    row("PUT", "/v1/environments/{other_env}/approval-rule", Some(r#"{"required": 1}"#), admin_only(OK)),
    row("DELETE", "/v1/environments/{other_env}/approval-rule", None, admin_only(NO_CONTENT)),
    // A2: an admin or a grant on its environment approves and rejects; its deployer approves only
    // where the rule allows it, but may reject.
    Row {
        body: Some(r#"{"comment": "fine {n}"}"#),
        ..fresh("POST", "/v1/deployments/{fresh}/approve", Fresh::AwaitingApproval, granted(OK).with(Who::Owner, SELF_APPROVAL))
    },
    Row {
        body: Some(r#"{"comment": "no {n}"}"#),
        ..fresh("POST", "/v1/deployments/{fresh}/reject", Fresh::AwaitingApproval, granted(OK))
    },
    // M1: anyone compares; M2: a grant on the target (here `staging`), or admin, promotes.
    row("GET", "/v1/environments/{env}/compare?source=staging", None, READ),
    row(
        "POST",
        "/v1/environments/{other_env}/promote",
        Some(r#"{"source": "prod", "name": "Promote {n}"}"#),
        Answers([CREATED, DENIED, DENIED, CREATED, DENIED, NO_AUTH, NO_AUTH]),
    ),
    // H1–H4: holds are placed and lifted as publishing is (a grant, or admin); the setting and
    // freeze windows are the admin's. Last, so that a hold left on `prod` stops no other row.
    row("PATCH", "/v1/environments/{env}", Some(r#"{"hold_after_rollback": false}"#), admin_only(OK)),
    row("GET", "/v1/environments/{env}/holds", None, READ),
    row("GET", "/v1/environments/{env}/freezes", None, READ),
    row("POST", "/v1/environments/{env}/freezes", Some(FREEZE), admin_only(CREATED)),
    fresh("DELETE", "/v1/environments/{env}/freezes/{fresh}", Fresh::Freeze, admin_only(NO_CONTENT)),
    Row { body: Some(r#"{"reason": "hold {n}"}"#), ..fresh("POST", "/v1/environments/{env}/hold", Fresh::Unheld, granted(CREATED)) },
    fresh("DELETE", "/v1/environments/{env}/hold", Fresh::Held, granted(OK)),
];

/// A freeze window of a day, years ahead (H4).
const FREEZE: &str =
    r#"{"starts_at": "2099-01-01T00:00:00Z", "ends_at": "2099-01-02T00:00:00Z", "reason": "freeze {n}"}"#;

/// A webhook endpoint on a public address (W1 checks it without sending anything).
const WEBHOOK: &str = r#"{"url": "https://93.184.215.14/hook-{n}", "events": ["deployment.succeeded"]}"#;

/// The shared fixtures, and each caller's token and user id.
struct World {
    tokens: Vec<(Who, Option<String>, String)>,
    bindings: Vec<(&'static str, String)>,
}

impl World {
    fn get(&self, name: &str) -> &str {
        &self.bindings.iter().find(|(k, _)| *k == name).unwrap().1
    }

    fn caller(&self, who: Who) -> (Option<String>, String) {
        let (_, token, id) = self.tokens.iter().find(|(w, _, _)| *w == who).unwrap();
        (token.clone(), id.clone())
    }
}

fn data_id(v: &Value) -> String {
    v["data"]["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn build_world<S: Svc>(app: &TestApp<S>) -> World {
    app.env("prod").await;
    app.env("staging").await;
    let (_, admin) = app.get("/v1/me", ADMIN).await;
    let (owner_id, owner) = app.editor("owner", &["prod"]).await;
    let (editor_id, editor) = app.editor("editor", &["prod"]).await;
    let (nogrant_id, nogrant) = app.editor("nogrant", &["staging"]).await;
    let (viewer_id, viewer) = app.user("viewer", "viewer").await;
    // An editor: a grant on a viewer is 422 `grant_not_applicable`.
    let (subject, _) = app.user("subject", "editor").await;
    let item = app.item(2).await;
    let item2 = app.item(1).await;
    let release = app.release(&owner, "Launch", &[(&item, "publish", Some(1))]).await;
    let webhook = register_webhook(app).await;
    let deployment = app.deploy_ok(&release, &owner, "prod").await["id"].as_str().unwrap().to_string();
    let (s, rb) = app.rollback_release(&release, &owner).await;
    assert_eq!(s, StatusCode::CREATED, "{rb}");
    let rollback = data_id(&rb);
    let rb_deployment = app.deploy_ok(&rollback, &owner, "prod").await["id"].as_str().unwrap().to_string();
    let draft = app.release(&owner, "Draft", &[(&item, "publish", Some(1))]).await;
    let ship = app.release(&owner, "Ship", &[(&item, "publish", Some(2))]).await;
    let (s, deliveries) = app.get(&format!("/v1/webhooks/{webhook}/deliveries"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{deliveries}");
    let delivery = deliveries["data"][0]["id"].as_str().expect("a delivery of the deployment").to_string();
    World {
        tokens: vec![
            (Who::Admin, Some(ADMIN.into()), data_id(&admin)),
            (Who::Owner, Some(owner), owner_id.clone()),
            (Who::Editor, Some(editor), editor_id),
            (Who::NoGrant, Some(nogrant), nogrant_id),
            (Who::Viewer, Some(viewer), viewer_id),
            (Who::NoToken, None, owner_id.clone()),
            (Who::BadToken, Some(format!("rw_{}", "0".repeat(64))), owner_id),
        ],
        bindings: vec![
            ("env", "prod".into()),
            ("other_env", "staging".into()),
            ("subject", subject),
            ("item", item),
            ("item2", item2),
            ("release", release),
            ("rollback", rollback),
            ("draft", draft),
            ("ship", ship),
            ("deployment", deployment),
            ("rb_deployment", rb_deployment),
            ("webhook", webhook),
            ("delivery", delivery),
        ],
    }
}

/// Registers a webhook endpoint as the admin; answers its id.
async fn register_webhook<S: Svc>(app: &TestApp<S>) -> String {
    let body: Value = serde_json::from_str(&WEBHOOK.replace("{n}", "world")).unwrap();
    let (s, v) = app.post("/v1/webhooks", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    data_id(&v)
}

/// A standard release with `item` that the owner has deployed to `prod`.
async fn deployed_release<S: Svc>(app: &TestApp<S>, owner: &str, item: &str, n: usize) -> String {
    let r = app.release(owner, &format!("Fresh {n}"), &[(item, "publish", Some(1))]).await;
    app.deploy_ok(&r, owner, "prod").await;
    r
}

/// Makes a token for `user` as the admin; answers its id.
async fn token_of<S: Svc>(app: &TestApp<S>, user: &str) -> String {
    let (s, v) = app.post(&format!("/v1/users/{user}/tokens"), ADMIN, json!({"label": "to revoke"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    data_id(&v)
}

/// Builds the row's fresh target, if it has one, for the caller `who`; answers what `{fresh}`
/// stands for.
async fn prepare<S: Svc>(app: &TestApp<S>, w: &World, fresh: Fresh, who: Who, n: usize) -> String {
    let owner = w.caller(Who::Owner).0.unwrap();
    let item = w.get("item");
    match fresh {
        Fresh::No => String::new(),
        Fresh::Published => {
            let (s, v) = app.publish("prod", ADMIN, w.get("item2"), 1).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            String::new()
        }
        Fresh::DraftItem => {
            let body: Value = serde_json::from_str(&ADD_ITEM.replace("{item}", item)).unwrap();
            let (s, v) = app.post(&format!("/v1/releases/{}/items", w.get("draft")), ADMIN, body).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            String::new()
        }
        Fresh::Release => app.release(&owner, &format!("Fresh {n}"), &[(item, "publish", Some(1))]).await,
        Fresh::DeployedRelease => deployed_release(app, &owner, item, n).await,
        Fresh::RollbackRelease => {
            let r = deployed_release(app, &owner, item, n).await;
            let (s, v) = app.rollback_release(&r, &owner).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            data_id(&v)
        }
        Fresh::ScheduledDeployment => {
            let (s, v) = app.schedule_in_an_hour(w.get("ship"), &owner, "prod").await;
            assert_eq!(s, StatusCode::ACCEPTED, "{v}");
            v["data"][0]["id"].as_str().unwrap().to_string()
        }
        Fresh::Webhook => register_webhook(app).await,
        Fresh::User => {
            let (s, v) =
                app.post("/v1/users", ADMIN, json!({"name": format!("deactivate-{n}"), "role": "viewer"})).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            data_id(&v)
        }
        Fresh::CallerToken => token_of(app, &w.caller(who).1).await,
        Fresh::SubjectToken => token_of(app, w.get("subject")).await,
        Fresh::Unheld => {
            app.req("DELETE", "/v1/environments/prod/hold", ADMIN, None).await;
            String::new()
        }
        Fresh::Held => {
            app.post("/v1/environments/prod/hold", ADMIN, json!({"reason": "held for the row"})).await;
            String::new()
        }
        Fresh::AwaitingApproval => {
            let rule = Some(json!({"required": 1}));
            app.req("PUT", "/v1/environments/prod/approval-rule", ADMIN, rule).await;
            let (s, v) = app.schedule_in_an_hour(w.get("ship"), &owner, "prod").await;
            app.req("DELETE", "/v1/environments/prod/approval-rule", ADMIN, None).await;
            assert_eq!((s, v["data"][0]["status"].as_str()), (StatusCode::ACCEPTED, Some("awaiting_approval")), "{v}");
            v["data"][0]["id"].as_str().unwrap().to_string()
        }
        Fresh::Freeze => {
            let body: Value = serde_json::from_str(&FREEZE.replace("{n}", &n.to_string())).unwrap();
            let (s, v) = app.post("/v1/environments/prod/freezes", ADMIN, body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            data_id(&v)
        }
    }
}

/// Whether `s` still holds a `{name}` placeholder (JSON's own braces never look like one).
fn unbound(s: &str) -> Option<&str> {
    s.match_indices('{').find_map(|(i, _)| {
        let rest = &s[i + 1..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
            .then_some(name)
    })
}

fn bind(template: &str, bindings: &[(&str, String)]) -> String {
    let out = bindings.iter().fold(template.to_string(), |s, (k, v)| s.replace(&format!("{{{k}}}"), v));
    assert!(unbound(&out).is_none(), "unbound placeholder in {template}: {out}");
    out
}

/// Calls one cell of the table and answers what is wrong with the answer, if anything.
async fn check<S: Svc>(app: &TestApp<S>, w: &World, r: &Row, who: Who, want: Expect, n: usize) -> Option<String> {
    let fresh = prepare(app, w, r.fresh, who, n).await;
    let (token, me) = w.caller(who);
    let mut bindings = w.bindings.clone();
    bindings.extend([("me", me), ("fresh", fresh), ("n", n.to_string())]);
    let path = bind(r.path, &bindings);
    let mut req = TestRequest::default().method(r.method.parse().unwrap()).uri(&path);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    if let Some(b) = r.body {
        req = req.set_json(serde_json::from_str::<Value>(&bind(b, &bindings)).expect("row body is JSON"));
    }
    let (status, headers, body) = app.call(req).await;
    let cell = format!("{} {} as {who:?}: want {} {:?}", r.method, r.path, want.0, want.1);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if status.as_u16() != want.0 {
        let body: String = body.to_string().chars().take(200).collect();
        return Some(format!("{cell}, got {status} {body}"));
    }
    if !want.1.is_empty() {
        if body["code"] != want.1 || body["status"] != want.0 {
            return Some(format!("{cell}, got the problem {body}"));
        }
        if !header("content-type").starts_with("application/problem+json") {
            return Some(format!("{cell}, got content-type {:?}", header("content-type")));
        }
    }
    if want.0 == 401 && header("www-authenticate") != "Bearer" {
        return Some(format!("{cell}, got WWW-Authenticate {:?}", header("www-authenticate")));
    }
    None
}

/// `METHOD /path` with every `{…}` made `{}` and the query left off, as routes are compared.
fn route_key(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap();
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("{}");
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    format!("{} {out}", method.to_ascii_uppercase())
}

#[actix_web::test]
async fn p3_l4_l7_b5_b6_h1_h2_h4_x2_authorization_matrix_every_route_for_every_caller() {
    let app = spawn().await;
    let world = build_world(&app).await;
    let mut wrong = Vec::new();
    let mut n = 0;
    for r in MATRIX {
        for who in CALLERS {
            n += 1;
            wrong.extend(check(&app, &world, r, who, r.expect.0[who as usize], n).await);
        }
    }
    assert!(wrong.is_empty(), "{} of {n} cells answer otherwise:\n{}", wrong.len(), wrong.join("\n"));
}

#[actix_web::test]
async fn x2_authorization_matrix_has_a_row_for_every_documented_route() {
    let app = spawn().await;
    let (s, _, doc) = app.call(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("the document has paths");
    let documented: BTreeSet<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(move |m| route_key(m, path))
        })
        .collect();
    assert!(documented.iter().any(|r| r.starts_with("GET /v1/")), "no /v1 route documented: {documented:?}");
    let table: BTreeSet<String> = MATRIX.iter().map(|r| route_key(r.method, r.path)).collect();
    let missing: Vec<&String> = documented.difference(&table).collect();
    assert!(missing.is_empty(), "documented routes without a row in the authorization matrix: {missing:?}");
    let undocumented: Vec<&String> = table.iter().filter(|r| r.contains(" /v1/") && !documented.contains(*r)).collect();
    assert!(undocumented.is_empty(), "matrix rows for routes the document does not list: {undocumented:?}");
}

#[actix_web::test]
async fn x2_without_a_valid_token_every_route_answers_401_before_reading_the_request() {
    let app = spawn().await;
    let world = build_world(&app).await;
    let mut wrong = Vec::new();
    for r in MATRIX.iter().filter(|r| r.path.starts_with("/v1/")) {
        let mut bindings = world.bindings.clone();
        bindings.extend([("me", world.get("subject").to_string()), ("fresh", world.get("release").to_string())]);
        let path = bind(r.path, &bindings);
        let path =
            format!("{path}{}limit=not-a-number&kind=none&outcome=none", if path.contains('?') { '&' } else { '?' });
        for token in [None, Some("rw_nobody")] {
            let mut req = TestRequest::default().method(r.method.parse().unwrap()).uri(&path);
            if let Some(t) = token {
                req = req.insert_header(("authorization", format!("Bearer {t}")));
            }
            if r.body.is_some() {
                req = req.insert_header(("content-type", "application/json")).set_payload(r#"{"name": 5, "#);
            }
            let (status, headers, body) = app.call(req).await;
            let challenge = headers.get("www-authenticate").and_then(|v| v.to_str().ok()) == Some("Bearer");
            if status != StatusCode::UNAUTHORIZED || body["code"] != "unauthorized" || !challenge {
                wrong.push(format!("{} {path} with token {token:?}: got {status} {body}", r.method));
            }
        }
    }
    assert!(wrong.is_empty(), "answers other than 401:\n{}", wrong.join("\n"));
}

#[actix_web::test]
async fn x2_a_caller_without_the_role_gets_403_before_any_error_of_the_request() {
    let app = spawn().await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let (other, _) = app.user("otto", "editor").await;
    let webhook = uuid::Uuid::now_v7();
    let gets = [
        "/v1/users?limit=0".to_string(),
        "/v1/users?cursor=not-a-cursor".to_string(),
        "/v1/webhooks?limit=501".to_string(),
        format!("/v1/webhooks/{webhook}/deliveries?cursor=x"),
        "/v1/webhooks/not-a-uuid/deliveries?limit=0".to_string(),
        format!("/v1/users/{other}/tokens?limit=0"),
    ];
    let mut wrong = Vec::new();
    for path in &gets {
        let (status, body) = app.get(path, &viewer).await;
        if status != StatusCode::FORBIDDEN || body["code"] != "forbidden" {
            wrong.push(format!("GET {path}: {status} {body}"));
        }
    }
    // Another user's token, with a body that is not JSON: the role decides first.
    let req = TestRequest::post()
        .uri(&format!("/v1/users/{other}/tokens"))
        .insert_header(("authorization", format!("Bearer {viewer}")))
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"label": "#);
    let (status, _, body) = app.call(req).await;
    if status != StatusCode::FORBIDDEN || body["code"] != "forbidden" {
        wrong.push(format!("POST /v1/users/{{other}}/tokens: {status} {body}"));
    }
    // An admin sending the same gets the 400 of the request itself.
    let (status, body) = app.get("/v1/users?limit=0", ADMIN).await;
    if status != StatusCode::BAD_REQUEST || body["code"] != "invalid_request" {
        wrong.push(format!("admin GET /v1/users?limit=0: {status} {body}"));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
