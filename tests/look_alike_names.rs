//! X2: names that render alike: user names are prepared and compared by RFC 8265's
//! UsernameCaseMapped profile; other names and free text refuse invisible, format and tag
//! characters; stored names that would now be refused or collide are listed by `rewind migrate`.

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, spawn, TestDb, ADMIN};
use rewind::db::rows::UserRow;
use rewind::domain::Role;
use serde_json::json;

const LOOK_ALIKES: [&str; 14] = [
    "admin\u{200d}",
    "admin\u{fe0f}",
    "admin\u{fe00}",
    "admin\u{e0100}",
    "admin\u{180b}",
    "admin\u{180f}",
    "admin\u{e0061}",
    "admin\u{e0001}",
    "admin\u{e007f}",
    "admin\u{1bca0}",
    "admin\u{1d173}",
    "admin\u{fff9}",
    "admin\u{13430}",
    "ad\u{200a}min",
];

#[actix_web::test]
async fn x2_user_names_that_render_as_another_are_refused_or_taken() {
    let app = spawn().await;
    for name in LOOK_ALIKES {
        let (s, v) = app.post("/v1/users", ADMIN, json!({"name": name, "role": "viewer"})).await;
        // A character no display name takes is a malformed name (400, as the document's pattern
        // says); one the user-name profile alone refuses (a joiner, a variation selector, a hair
        // space) is that rule's refusal.
        if rewind::domain::validate::display_name(name).is_err() {
            assert_problem(s, &v, 400, "invalid_request");
        } else {
            assert_problem(s, &v, 422, "user_name_not_allowed");
        }
    }
    for name in ["admin\u{200d}", "admin\u{fe0f}", "ad\u{200a}min"] {
        let (s, v) = app.post("/v1/users", ADMIN, json!({"name": name, "role": "viewer"})).await;
        assert_problem(s, &v, 422, "user_name_not_allowed");
    }
    for name in ["ADMIN", "\u{ff41}dmin", "Admin"] {
        let (s, v) = app.post("/v1/users", ADMIN, json!({"name": name, "role": "viewer"})).await;
        assert_problem(s, &v, 409, "name_taken");
    }
    let (_, users) = app.get("/v1/users?limit=500", ADMIN).await;
    assert_eq!(users["data"].as_array().unwrap().len(), 1, "{users}");
    // Words separated by single spaces are a user name; its display keeps its case.
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "Ada Lovelace", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["name"], "Ada Lovelace");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "ada lovelace", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");
}

#[actix_web::test]
async fn x2_other_names_and_free_text_refuse_invisible_format_and_tag_characters() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let tokens = format!("/v1/users/{}/tokens", me["data"]["id"].as_str().unwrap());
    for unseen in ["\u{e0061}", "\u{e0001}", "\u{180b}", "\u{1bca0}", "\u{1d173}", "\u{fff9}", "\u{13430}", "\u{e0100}"]
    {
        let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": format!("Launch{unseen}")})).await;
        assert_problem(s, &v, 400, "invalid_request");
        let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": "L", "description": format!("a{unseen}b")})).await;
        assert_problem(s, &v, 400, "invalid_request");
        let (s, v) = app.post(&tokens, ADMIN, json!({"label": format!("ci{unseen}")})).await;
        assert_problem(s, &v, 400, "invalid_request");
        let (s, v) = app
            .post(
                "/v1/webhooks",
                ADMIN,
                json!({"url": "https://hooks.example.com/x", "events": ["deployment.failed"], "description": format!("a{unseen}")}),
            )
            .await;
        assert_problem(s, &v, 400, "invalid_request");
        let (s, v) = app.rollback_environment("prod", ADMIN, json!({"reason": format!("bad{unseen}")})).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    let (_, releases) = app.get("/v1/releases", ADMIN).await;
    assert_eq!(releases["data"], json!([]), "{releases}");
    // Emoji sequences keep their joiner and variation selector.
    let (s, v) =
        app.post("/v1/releases", ADMIN, json!({"name": "Launch \u{2764}\u{fe0f} \u{1f469}\u{200d}\u{1f4bb}"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[test]
fn x2_migrate_lists_stored_user_names_that_are_refused_or_look_alike_and_changes_none() {
    let db = TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).unwrap();
    let at = chrono::Utc::now().naive_utc();
    for name in ["admin", "ADMIN", "admin\u{e0061}", "Grace"] {
        let row = UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.into(),
            role: Role::Viewer,
            created_at: at,
            deactivated_at: None,
            name_key: None,
        };
        assert!(rewind::db::users::insert(&mut conn, &row).unwrap());
    }
    let problems = rewind::service::users::key_stored_names(&mut conn).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("\"ADMIN\"") && problems[0].contains("looks like"), "{problems:?}");
    assert!(problems[1].contains(r"admin\u{e0061}") && problems[1].contains("RFC 8265"), "{problems:?}");
    // Nothing is renamed; a second run lists the same.
    assert_eq!(rewind::service::users::key_stored_names(&mut conn).unwrap(), problems);
    let grace = rewind::service::users::user_by_name(&mut conn, "GRACE").unwrap();
    assert_eq!(grace.name, "Grace");
}

#[test]
fn x2_a_local_command_finds_a_user_whose_name_was_stored_before_names_had_keys() {
    let db = TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).unwrap();
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: "Grace".into(),
        role: Role::Editor,
        created_at: chrono::Utc::now().naive_utc(),
        deactivated_at: None,
        name_key: None,
    };
    assert!(rewind::db::users::insert(&mut conn, &row).unwrap());
    // As `serve` and `migrate` do, a local command keys the stored names first.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(["token", "create", "GRACE"])
        .env("DATABASE_URL", db.url_string())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rewind");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.trim().is_empty(), "a token is printed");
    let grace = rewind::service::users::user_by_name(&mut conn, "grace").unwrap();
    assert_eq!(grace.id, row.id);
}
