//! The operator's view: the series of `/metrics` after traffic, the queue read at scrape time,
//! JSON log lines (one object per line, with the request id, never a token) and CORS.
//!
//! Metrics and the tracing subscriber are process-wide, so the tests of this binary share them:
//! only one test scrapes `/metrics`, and each looks for labels or request ids of its own.

mod common;

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{web, App};
use common::{spawn, spawn_with, TestApp, TestDb, ADMIN};
use rewind::app;
use rewind::db;
use rewind::runtime::AppState;
use rewind::settings::Settings;
use rewind::telemetry;
use serde_json::{json, Value};

/// One sample of the text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse_metrics(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').expect("label=value");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            Sample { name: name.to_string(), labels, value: value.parse().expect("a number") }
        })
        .collect()
}

/// The value of the series `name` with exactly these labels, if present.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    samples.iter().find(|s| s.name == name && s.labels == want).map(|s| s.value)
}

/// The app on a fresh database without the deployment worker, so that the test decides when a
/// queued deployment runs.
async fn spawn_without_worker() -> TestApp<
    impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>,
> {
    let db = TestDb::new();
    let pool = db::build_pool(&db.url, 4).expect("pool");
    rewind::service::bootstrap::bootstrap_admin(&mut pool.get().unwrap(), Some(ADMIN.into())).unwrap();
    let state = web::Data::new(AppState::new(pool, Settings::default()));
    let st = state.clone();
    let svc = actix_web::test::init_service(App::new().configure(move |c| app::configure(c, st.clone()))).await;
    TestApp { svc, state, db }
}

#[actix_web::test]
async fn metrics_after_traffic_carry_route_templates_deployment_outcomes_and_the_queue() {
    let app = spawn_without_worker().await;
    app.env("production").await;
    let published = app.item(1).await;
    let never_published = app.item(1).await;
    let release =
        app.release(ADMIN, "Launch", &[(&published, "publish", Some(1)), (&never_published, "unpublish", None)]).await;
    let (s, v) =
        app.post(&format!("/v1/releases/{release}/deploy"), ADMIN, json!({"environments": ["production"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let deployment = v["data"][0]["id"].as_str().unwrap().to_string();
    let later = app.release(ADMIN, "Later", &[(&published, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&later, ADMIN, "production").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let scheduled = v["data"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = app.get(&format!("/v1/releases/{release}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/v1/no-such-route/42", ADMIN).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // One queued deployment waits; the scheduled one is not due yet.
    let samples = parse_metrics(&scrape(&app).await);
    assert_eq!(value(&samples, telemetry::QUEUE_DEPTH, &[]), Some(1.0));
    assert!(value(&samples, telemetry::OLDEST_QUEUED_AGE, &[]).is_some(), "the queued deployment has an age");
    assert_eq!(value(&samples, telemetry::SCHEDULER_LAG, &[]), Some(0.0));
    // Two hours on, the scheduled one is due and an hour late, and the queued one two hours old.
    let mut conn = app.state.pool.get().unwrap();
    let later_on = db::now() + chrono::Duration::hours(2);
    let q = db::queue_stats::stats(&mut conn, later_on).unwrap();
    assert_eq!(q.depth, 2, "{q:?}");
    assert!((7190.0..7210.0).contains(&q.oldest_queued_age_seconds), "{q:?}");
    assert!((3590.0..3610.0).contains(&q.scheduler_lag_seconds), "{q:?}");

    assert!(rewind::deployment_worker::run_one(
        &mut conn,
        &Default::default(),
        &Default::default(),
        rewind::settings::DEPLOY_PAGE
    )
    .unwrap());
    drop(conn);
    let d = app.finished(&deployment).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    let (s, v) = app.post(&format!("/v1/deployments/{scheduled}/cancel"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let text = scrape(&app).await;
    let samples = parse_metrics(&text);
    assert_eq!(value(&samples, telemetry::QUEUE_DEPTH, &[]), Some(0.0));
    assert_eq!(value(&samples, telemetry::OLDEST_QUEUED_AGE, &[]), Some(0.0));
    let at_least_one = |name: &str, labels: &[(&str, &str)]| {
        let v = value(&samples, name, labels);
        assert!(v.is_some_and(|v| v >= 1.0), "{name} {labels:?} is {v:?} in\n{text}");
    };
    at_least_one(telemetry::HTTP_REQUESTS, &[("method", "GET"), ("route", "/v1/releases/{id}"), ("status", "200")]);
    at_least_one(
        telemetry::HTTP_REQUESTS,
        &[("method", "POST"), ("route", "/v1/releases/{id}/deploy"), ("status", "202")],
    );
    at_least_one(telemetry::HTTP_REQUESTS, &[("method", "GET"), ("route", "unmatched"), ("status", "404")]);
    at_least_one(
        "rewind_http_request_duration_seconds_bucket",
        &[("method", "GET"), ("route", "/v1/releases/{id}"), ("le", "+Inf")],
    );
    at_least_one("rewind_http_request_duration_seconds_count", &[("method", "GET"), ("route", "/v1/releases/{id}")]);
    assert!(text.contains("# TYPE rewind_http_request_duration_seconds histogram"), "{text}");
    at_least_one(telemetry::DEPLOYMENTS, &[("status", "succeeded"), ("trigger", "manual")]);
    at_least_one(telemetry::DEPLOYMENTS, &[("status", "cancelled"), ("trigger", "scheduled")]);
    at_least_one(telemetry::DEPLOYMENT_ITEMS, &[("outcome", "published"), ("skip_reason", "none")]);
    at_least_one(telemetry::DEPLOYMENT_ITEMS, &[("outcome", "skipped"), ("skip_reason", "already_unpublished")]);
    at_least_one("rewind_deployment_duration_seconds_count", &[]);
    // Route templates, never raw paths: no label holds an id of this test.
    for id in [&release, &deployment, &scheduled] {
        assert!(!text.contains(id.as_str()), "{id} in\n{text}");
    }
}

#[actix_web::test]
async fn metrics_answer_when_no_database_connection_can_be_had() {
    let db = TestDb::new();
    let pool = db::build_pool(&db.url, 1).expect("pool");
    let state = web::Data::new(AppState::new(pool.clone(), Settings::default()));
    let st = state.clone();
    let svc = actix_web::test::init_service(App::new().configure(move |c| app::configure(c, st.clone()))).await;
    let app = TestApp { svc, state, db };
    let (s, _, _) = app.call(TestRequest::get().uri("/healthz")).await;
    assert_eq!(s, StatusCode::OK);
    // The only connection is taken: to the scrape the database is as good as down.
    let _held = pool.get().unwrap();
    let started = std::time::Instant::now();
    let text = scrape(&app).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(text.contains("# TYPE rewind_http_requests_total counter"), "{text}");
}

async fn scrape<S>(app: &TestApp<S>) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let res = actix_web::test::call_service(&app.svc, TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap()
}

/// Where the log lines of this binary go: the subscriber `main` installs, writing to memory.
#[derive(Clone)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

/// The JSON log of this test binary so far; installs the subscriber on first use.
fn json_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let subscriber = telemetry::subscriber("json", "info".parse().unwrap(), LogBuffer(buffer.clone()));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this binary");
        buffer
    })
    .clone()
}

#[actix_web::test]
async fn json_log_lines_are_one_object_each_with_the_request_id_and_never_a_token() {
    let log = json_log();
    let app = spawn().await;
    let (user, token) = app.user("log-editor", "editor").await;
    let (s, _) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    let bad_token = "not-a-token-3f9c2e7a";
    let (s, _) = app.get("/v1/me", bad_token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.post(&format!("/v1/users/{user}/tokens"), ADMIN, json!({"label": "ci"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, headers, _) = app
        .call(
            TestRequest::get()
                .uri("/v1/environments/nowhere")
                .insert_header(("authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id").to_string();

    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not one JSON object ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(Value::is_object));
    let ours: Vec<&Value> = lines.iter().filter(|l| l["span"]["request_id"] == request_id.as_str()).collect();
    assert!(!ours.is_empty(), "no line with request id {request_id}:\n{text}");
    let answered = ours.iter().find(|l| l["fields"]["message"] == "request answered").expect("a request line");
    assert_eq!(answered["fields"]["status"], 404, "{answered}");
    assert_eq!(answered["fields"]["route"], "/v1/environments/{env}", "{answered}");
    for secret in [ADMIN, token.as_str(), bad_token] {
        assert!(!text.contains(secret), "a token is in the log:\n{text}");
    }
    assert!(!text.to_ascii_lowercase().contains("authorization"), "an authorization header is in the log:\n{text}");
}

#[actix_web::test]
async fn x2_a_secret_in_the_query_string_never_reaches_the_log() {
    let log = json_log();
    let app = spawn().await;
    let secrets = ["qs-token-5be1c0d2", "qs-key-8a7f", "qs-password-41c9"];
    let uri = format!("/v1/items?limit=1&access_token={}&api_key={}&password={}", secrets[0], secrets[1], secrets[2]);
    let (s, headers, _) =
        app.call(TestRequest::get().uri(&uri).insert_header(("authorization", format!("Bearer {ADMIN}")))).await;
    assert_eq!(s, StatusCode::OK);
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id").to_string();
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    for secret in secrets {
        assert!(!text.contains(secret), "a query secret is in the log:\n{text}");
    }
    let ours: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == request_id.as_str())
        .collect();
    let target = ours.iter().find_map(|l| l["span"]["http.target"].as_str()).expect("the request's target is logged");
    assert_eq!(target, "/v1/items?limit=1&access_token=redacted&api_key=redacted&password=redacted");
}

const ALLOWED: &str = "https://cms.example";

fn preflight(origin: &str) -> TestRequest {
    TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/v1/releases")
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", "POST"))
        .insert_header(("access-control-request-headers", "authorization, content-type"))
}

fn from_origin(origin: &str) -> TestRequest {
    TestRequest::get()
        .uri("/v1/me")
        .insert_header(("origin", origin))
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
}

#[actix_web::test]
async fn cors_allows_the_configured_origins_only() {
    let app = spawn_with(Settings { cors_origins: vec![ALLOWED.into()], ..Settings::default() }).await;
    let (s, h, _) = app.call(preflight(ALLOWED)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get("access-control-allow-origin").unwrap(), ALLOWED);
    assert!(h.contains_key("x-request-id"), "a preflight is a request like any other: {h:?}");
    let (s, h, _) = app.call(from_origin(ALLOWED)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get("access-control-allow-origin").unwrap(), ALLOWED);
    assert!(h.get("access-control-expose-headers").is_some_and(|v| v.to_str().unwrap().contains("x-request-id")));

    let (s, h, _) = app.call(preflight("https://elsewhere.example")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a preflight from another origin is refused");
    assert!(h.get("access-control-allow-origin").is_none(), "{h:?}");
    // A browser enforces the missing header; the server still answers clients that are not one.
    let (s, h, _) = app.call(from_origin("https://elsewhere.example")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get("access-control-allow-origin").is_none(), "{h:?}");
}

#[actix_web::test]
async fn cors_sends_no_headers_when_no_origin_is_configured() {
    let app = spawn().await;
    for req in [preflight(ALLOWED), from_origin(ALLOWED)] {
        let (_, h, _) = app.call(req).await;
        assert!(h.keys().all(|k| !k.as_str().starts_with("access-control-")), "{h:?}");
    }
}
