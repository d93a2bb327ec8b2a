//! T1, token lifecycle: listing, expiry, revocation, last use, user deactivation and the
//! last-admin guard; and issue 19 item 4: a token whose user is gone never writes, never 500.

mod common;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{assert_problem, spawn, TestApp, ADMIN};
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

/// Runs SQL on the app's database directly, as another process (or an operator) would.
fn sql<S>(app: &TestApp<S>, text: &str) {
    app.db.connect().batch_execute(text).expect("direct SQL");
}

/// The user's tokens as `who` lists them (the first page of 500).
async fn tokens_of<S>(app: &TestApp<S>, user: &str, who: &str) -> Vec<Value>
where
    S: Service<actix_http::Request, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    let (s, v) = app.get(&format!("/v1/users/{user}/tokens?limit=500"), who).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

/// How many releases the admin sees.
async fn release_count<S>(app: &TestApp<S>) -> usize
where
    S: Service<actix_http::Request, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    let (s, v) = app.get("/v1/releases?limit=500", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().len()
}

#[actix_web::test]
async fn t1_a_revoked_token_is_401_on_the_next_request() {
    let app = spawn().await;
    let (id, token) = app.user("rita", "editor").await;
    let (s, _) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "the token works, and is in the cache now");
    let listed = tokens_of(&app, &id, &token).await;
    assert_eq!(listed.len(), 1);
    let token_id = listed[0]["id"].as_str().unwrap().to_string();

    let (s, v) = app.req("DELETE", &format!("/v1/users/{id}/tokens/{token_id}"), &token, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/v1/me", &token).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.post("/v1/releases", &token, json!({"name": "after revocation"})).await;
    assert_problem(s, &v, 401, "unauthorized");

    // Revoked tokens are not listed, and revoking again finds nothing.
    assert!(tokens_of(&app, &id, ADMIN).await.is_empty());
    let (s, v) = app.req("DELETE", &format!("/v1/users/{id}/tokens/{token_id}"), ADMIN, None).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.req("DELETE", &format!("/v1/users/{id}/tokens/not-a-uuid"), ADMIN, None).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn t1_an_expired_token_is_401() {
    let app = spawn().await;
    let (id, _) = app.user("eve", "editor").await;
    let (s, v) = app.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({"expires_in_days": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["data"]["token"].as_str().unwrap().to_string();
    let token_id = v["data"]["id"].as_str().unwrap().to_string();
    let expires: chrono::DateTime<chrono::Utc> = v["data"]["expires_at"].as_str().unwrap().parse().unwrap();
    let ahead = expires - chrono::Utc::now();
    assert!(ahead > chrono::Duration::hours(23) && ahead <= chrono::Duration::days(1), "{ahead}");
    assert_eq!(tokens_of(&app, &id, ADMIN).await[0]["expires_at"], v["data"]["expires_at"]);

    // A token that never expires says so.
    let (s, v) = app.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["data"]["expires_at"].is_null(), "{v}");

    // The clock moves past the expiry.
    sql(&app, &format!("UPDATE tokens SET expires_at = '2001-01-01 00:00:00' WHERE id = '{token_id}'"));
    let (s, v) = app.get("/v1/me", &token).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.post("/v1/releases", &token, json!({"name": "expired"})).await;
    assert_problem(s, &v, 401, "unauthorized");
    // An expired token is still listed, with its expiry, so that it can be seen and revoked.
    let listed = tokens_of(&app, &id, ADMIN).await;
    assert!(listed.iter().any(|t| t["id"] == token_id.as_str() && t["expires_at"] == "2001-01-01T00:00:00Z"));

    // 1 to 3650 whole days; 2.0 is the whole number 2 (as JSON Schema counts it).
    for bad in [json!(0), json!(3651), json!(-1), json!(1.5), json!("7"), json!(1e20)] {
        let (s, v) = app.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({"expires_in_days": bad})).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    for good in [json!(2.0), json!(3650)] {
        let (s, v) = app.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({"expires_in_days": good})).await;
        assert_eq!(s, StatusCode::CREATED, "{good}: {v}");
    }
}

#[actix_web::test]
async fn t1_a_deactivated_users_token_is_401_their_history_stays_and_their_name_stays_taken() {
    let app = spawn().await;
    app.env("prod").await;
    let (id, token) = app.editor("dora", &["prod"]).await;
    let release = app.release(&token, "Dora's", &[]).await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{id}"), &token, None).await;
    assert_problem(s, &v, 403, "forbidden");

    let (s, v) = app.req("DELETE", &format!("/v1/users/{id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/v1/me", &token).await;
    assert_problem(s, &v, 401, "unauthorized");

    // Still listed, with the time of deactivation; what they did stays.
    let (_, users) = app.get("/v1/users?limit=500", ADMIN).await;
    let dora = users["data"].as_array().unwrap().iter().find(|u| u["id"] == id.as_str()).unwrap().clone();
    assert!(dora["deactivated_at"].is_string(), "{dora}");
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let admin = users["data"].as_array().unwrap().iter().find(|u| u["id"] == me["data"]["id"]).unwrap().clone();
    assert!(admin["deactivated_at"].is_null(), "{admin}");
    let (s, v) = app.get(&format!("/v1/releases/{release}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["owner"], id.as_str());
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "dora", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");

    // To everything under /v1/users/{id} the user is gone: deactivating again is 404 too.
    for (method, path) in [
        ("DELETE", format!("/v1/users/{id}")),
        ("GET", format!("/v1/users/{id}/tokens")),
        ("POST", format!("/v1/users/{id}/tokens")),
        ("PUT", format!("/v1/users/{id}/grants/prod")),
    ] {
        let body = (method == "POST").then(|| json!({}));
        let (s, v) = app.req(method, &path, ADMIN, body).await;
        assert_problem(s, &v, 404, "not_found");
    }
}

#[actix_web::test]
async fn t1_the_last_admin_cannot_be_deactivated_but_a_second_admin_can() {
    let app = spawn().await;
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let boot = me["data"]["id"].as_str().unwrap().to_string();
    let (s, v) = app.req("DELETE", &format!("/v1/users/{boot}"), ADMIN, None).await;
    assert_problem(s, &v, 409, "last_admin");

    let (second, _) = app.user("second", "admin").await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{second}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // A deactivated admin does not count: the bootstrap admin is the last active one again.
    let (s, v) = app.req("DELETE", &format!("/v1/users/{boot}"), ADMIN, None).await;
    assert_problem(s, &v, 409, "last_admin");

    // With another active admin, an admin can be deactivated, even by themself, and the other
    // one then is the last.
    let (third, third_token) = app.user("third", "admin").await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{boot}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/v1/me", ADMIN).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.req("DELETE", &format!("/v1/users/{third}"), &third_token, None).await;
    assert_problem(s, &v, 409, "last_admin");
    let (s, _) = app.get("/v1/me", &third_token).await;
    assert_eq!(s, StatusCode::OK);
}

#[actix_web::test]
async fn t1_last_used_at_moves_and_is_not_written_on_every_request() {
    let app = spawn().await;
    let (id, token) = app.user("lu", "editor").await;
    let listed = tokens_of(&app, &id, ADMIN).await;
    assert!(listed[0]["last_used_at"].is_null(), "never used yet: {listed:?}");
    let token_id = listed[0]["id"].as_str().unwrap().to_string();

    let (s, _) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    let first = tokens_of(&app, &id, ADMIN).await[0]["last_used_at"].clone();
    assert!(first.is_string(), "the first use is recorded: {first}");

    // More uses within the minute, reads and writes (which always read the token), write nothing.
    for n in 0..5 {
        let (s, _) = app.get("/v1/me", &token).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = app.post("/v1/releases", &token, json!({"name": format!("r{n}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    assert_eq!(tokens_of(&app, &id, ADMIN).await[0]["last_used_at"], first);

    // Once the last recorded use is over a minute old, the next use is recorded.
    sql(&app, &format!("UPDATE tokens SET last_used_at = '2001-01-01 00:00:00' WHERE id = '{token_id}'"));
    let (s, v) = app.post("/v1/releases", &token, json!({"name": "later"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let moved = tokens_of(&app, &id, ADMIN).await[0]["last_used_at"].clone();
    let moved: chrono::DateTime<chrono::Utc> = moved.as_str().unwrap().parse().unwrap();
    let first: chrono::DateTime<chrono::Utc> = first.as_str().unwrap().parse().unwrap();
    assert!(moved >= first, "{moved} before {first}");
}

#[actix_web::test]
async fn t1_listing_never_shows_the_token_and_pages_newest_first() {
    let app = spawn().await;
    let (id, first) = app.user("lister", "viewer").await;
    let mut made = vec![];
    for n in 0..4 {
        let (s, v) = app.post(&format!("/v1/users/{id}/tokens"), &first, json!({"label": format!("t{n}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        made.push((v["data"]["id"].as_str().unwrap().to_string(), v["data"]["token"].as_str().unwrap().to_string()));
    }
    let (s, v) = app.get(&format!("/v1/users/{id}/tokens"), &first).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    for (_, token) in made.iter().chain([&(String::new(), first.clone())]) {
        assert!(!text.contains(token.as_str()), "the token is shown: {text}");
        assert!(!text.contains(&rewind::service::tokens::hash_token(token)), "its hash is shown: {text}");
    }
    for t in v["data"].as_array().unwrap() {
        let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["created_at", "expires_at", "id", "label", "last_used_at"], "{t}");
    }

    let ids = app.walk_pages(&format!("/v1/users/{id}/tokens?"), 2, "id").await;
    let mut want: Vec<String> = made.iter().map(|(id, _)| id.clone()).collect();
    want.reverse();
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert_eq!(ids[..4], want.iter().map(|s| json!(s)).collect::<Vec<_>>()[..], "newest first");
    assert_eq!(v["data"][0]["label"], "t3");
}

#[actix_web::test]
async fn t1_a_user_lists_and_revokes_their_own_tokens_and_another_editor_gets_403() {
    let app = spawn().await;
    let (ann, ann_token) = app.user("ann", "editor").await;
    let (bob, bob_token) = app.user("bob", "editor").await;
    assert_eq!(tokens_of(&app, &ann, &ann_token).await.len(), 1);
    assert_eq!(tokens_of(&app, &ann, ADMIN).await.len(), 1);
    let ann_token_id = tokens_of(&app, &ann, ADMIN).await[0]["id"].as_str().unwrap().to_string();
    let bob_token_id = tokens_of(&app, &bob, ADMIN).await[0]["id"].as_str().unwrap().to_string();

    let (s, v) = app.get(&format!("/v1/users/{ann}/tokens"), &bob_token).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.req("DELETE", &format!("/v1/users/{ann}/tokens/{ann_token_id}"), &bob_token, None).await;
    assert_problem(s, &v, 403, "forbidden");
    // Another user's token under one's own id is not found, and stays working.
    let (s, v) = app.req("DELETE", &format!("/v1/users/{ann}/tokens/{bob_token_id}"), &ann_token, None).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.req("DELETE", &format!("/v1/users/{ann}/tokens/{bob_token_id}"), ADMIN, None).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, _) = app.get("/v1/me", &bob_token).await;
    assert_eq!(s, StatusCode::OK);
    // An admin revokes anyone's.
    let (s, v) = app.req("DELETE", &format!("/v1/users/{bob}/tokens/{bob_token_id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.get("/v1/me", &bob_token).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.get(&format!("/v1/users/{}/tokens", uuid::Uuid::now_v7()), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
}

#[actix_web::test]
async fn t1_x2_a_token_whose_user_is_gone_never_writes() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let (gone, gone_token) = app.editor("gone", &["prod"]).await;
    app.release(&gone_token, "before", &[]).await;
    let before = release_count(&app).await;

    // Deactivated through the API while the token is in this process's cache.
    let (s, _) = app.get("/v1/me", &gone_token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.req("DELETE", &format!("/v1/users/{gone}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.post("/v1/releases", &gone_token, json!({"name": "after"})).await;
    assert_problem(s, &v, 401, "unauthorized");
    assert_eq!(release_count(&app).await, before, "nothing written");

    // Deactivated behind this process's back (another process, or by hand) while cached: a read
    // may still be answered from the cache for its 30 s, a write never is.
    let (other, other_token) = app.editor("other", &["prod"]).await;
    let (s, _) = app.get("/v1/me", &other_token).await;
    assert_eq!(s, StatusCode::OK);
    sql(&app, &format!("UPDATE users SET deactivated_at = '2001-01-01 00:00:00' WHERE id = '{other}'"));
    let (s, v) = app.post("/v1/releases", &other_token, json!({"name": "behind the back"})).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.publish("prod", &other_token, &item, 1).await;
    assert_problem(s, &v, 401, "unauthorized");
    assert_eq!(release_count(&app).await, before, "nothing written");
    assert_eq!(app.event_count("prod").await, 0, "nothing published");

    // The user row removed by hand, with its tokens: a write is 401, not a foreign key's 500.
    let (rm, rm_token) = app.editor("removed", &["prod"]).await;
    let (s, _) = app.get("/v1/me", &rm_token).await;
    assert_eq!(s, StatusCode::OK);
    sql(
        &app,
        &format!(
            "DELETE FROM grants WHERE user_id = '{rm}'; DELETE FROM tokens WHERE user_id = '{rm}'; \
             DELETE FROM users WHERE id = '{rm}';"
        ),
    );
    let (s, v) = app.post("/v1/releases", &rm_token, json!({"name": "removed"})).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (s, v) = app.publish("prod", &rm_token, &item, 1).await;
    assert_problem(s, &v, 401, "unauthorized");
    assert_eq!(release_count(&app).await, before, "nothing written");
    assert_eq!(app.event_count("prod").await, 0, "nothing published");
}

#[actix_web::test]
async fn t1_two_admins_deactivating_each_other_at_once_leave_one() {
    let app = spawn().await;
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let boot = me["data"]["id"].as_str().unwrap().to_string();
    let (mut survivor, mut survivor_token) = app.user("a0", "admin").await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{boot}"), &survivor_token, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for round in 1..=5 {
        // Two active admins; each of two deactivations at once sees the other one active unless
        // the check and the write are one transaction that the other waits for.
        let (s, v) =
            app.post("/v1/users", &survivor_token, json!({"name": format!("a{round}"), "role": "admin"})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let other = v["data"]["id"].as_str().unwrap().to_string();
        let (s, v) = app.post(&format!("/v1/users/{other}/tokens"), &survivor_token, json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let other_token = v["data"]["token"].as_str().unwrap().to_string();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let running: Vec<_> = [survivor.clone(), other.clone()]
            .into_iter()
            .map(|target| {
                let pool = app.state.pool.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    rewind::service::users::deactivate(&mut conn, &rewind::domain::ids::UserId::stored(target.clone()))
                        .map_err(|e| e.code().as_str())
                })
            })
            .collect();
        let outcomes: Vec<_> = running.into_iter().map(|h| h.join().unwrap()).collect();
        let done = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(done, 1, "round {round}: {outcomes:?}");
        assert!(outcomes.contains(&Err("last_admin")), "round {round}: {outcomes:?}");
        if outcomes[0].is_ok() {
            (survivor, survivor_token) = (other, other_token);
        }
    }
}

/// Runs the `rewind` binary on the app's database; answers whether it succeeded, and its output.
fn rewind_cli<S>(app: &TestApp<S>, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(args)
        .env("DATABASE_URL", app.db.url_string())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rewind");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[actix_web::test]
async fn t1_the_command_line_revokes_a_token_and_deactivates_a_user() {
    let app = spawn().await;
    let (cid, ctoken) = app.user("cli-revoked", "editor").await;
    let token_id = tokens_of(&app, &cid, ADMIN).await[0]["id"].as_str().unwrap().to_string();
    let (ok, out) = rewind_cli(&app, &["token", "revoke", &token_id]);
    assert!(ok, "{out}");
    // Another process revoked it: writes here refuse it at once.
    let (s, v) = app.post("/v1/releases", &ctoken, json!({"name": "after cli revoke"})).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (ok, out) = rewind_cli(&app, &["token", "revoke", &token_id]);
    assert!(!ok && out.contains("no such token"), "{out}");

    let (_, dtoken) = app.user("cli-deactivated", "viewer").await;
    let (ok, out) = rewind_cli(&app, &["user", "deactivate", "cli-deactivated"]);
    assert!(ok, "{out}");
    let (s, v) = app.get("/v1/me", &dtoken).await;
    assert_problem(s, &v, 401, "unauthorized");
    let (ok, out) = rewind_cli(&app, &["user", "deactivate", "admin"]);
    assert!(!ok && out.contains("last active admin"), "{out}");

    for cmd in [["token", "revoke"], ["user", "deactivate"]] {
        let (ok, out) = rewind_cli(&app, &[cmd[0], cmd[1], "--help"]);
        assert!(ok && out.contains("within 30 s"), "{cmd:?}: {out}");
    }
}
