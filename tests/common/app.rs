//! The app as a test runs it: built by the same `configure` as `main`, with its background loops
//! started as `serve` starts them, on a database of its own; and the requests a test sends it.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{web, App};
use rewind::app;
use rewind::background::Loops;
use rewind::db;
use rewind::runtime::AppState;
use rewind::settings::Settings;
use serde_json::Value;

use super::database::TestDb;

/// How long a test waits for a deployment to end: generous, for a debug build on a loaded
/// machine; a deployment that has not ended by then is a failure, not a slow run.
pub const SETTLE_WITHIN: Duration = Duration::from_secs(600);

/// The bootstrap admin's token in every test app.
pub const ADMIN: &str = "test-admin-token";

/// A running app on a fresh database.
pub struct TestApp<S> {
    pub svc: S,
    pub state: web::Data<AppState>,
    pub db: TestDb,
}

/// Starts the app with the default settings.
pub async fn spawn(
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    spawn_with(Settings::default()).await
}

/// Starts the app with `settings` and its background loops as `serve` starts them, polling
/// every 20 ms, but no webhook delivery loop (no test sends a message it did not ask for).
pub async fn spawn_with(
    settings: Settings,
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start(settings, 0).await
}

/// [`spawn_with`], and one webhook delivery loop (W3).
pub async fn spawn_delivering(
    settings: Settings,
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start(settings, 1).await
}

async fn start(
    settings: Settings,
    webhook_workers: usize,
) -> TestApp<impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    let db = TestDb::new();
    let pool = db::build_pool(&db.url, 6).expect("pool");
    {
        let mut conn = pool.get().unwrap();
        rewind::service::bootstrap::bootstrap_admin(&mut conn, Some(ADMIN.into())).unwrap();
    }
    let state = web::Data::new(AppState::new(pool, settings));
    let loops = Loops { workers: 1, webhook_workers, poll: Duration::from_millis(20) };
    rewind::background::start(&state, loops);
    let st = state.clone();
    let svc = actix_web::test::init_service(App::new().configure(move |c| app::configure(c, st.clone()))).await;
    TestApp { svc, state, db }
}

impl<S> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    /// Walks every page of `path` (which has a query string) by `next_cursor`, `limit` rows at
    /// a time, as the admin; answers `field` of every row in the order served.
    pub async fn walk_pages(&self, path: &str, limit: usize, field: &str) -> Vec<Value> {
        let mut got = vec![];
        let mut next = format!("{path}&limit={limit}");
        loop {
            let (s, v) = self.get(&next, ADMIN).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let rows = v["data"].as_array().expect("a list");
            assert!(rows.len() <= limit);
            got.extend(rows.iter().map(|r| r[field].clone()));
            match v["next_cursor"].as_str() {
                Some(c) => next = format!("{path}&limit={limit}&cursor={c}"),
                None => return got,
            }
        }
    }

    /// Sends a request; answers the status, the headers and the JSON body (Null when empty, or
    /// for a stream).
    pub async fn call(&self, req: TestRequest) -> (StatusCode, actix_web::http::header::HeaderMap, Value) {
        let res = actix_web::test::call_service(&self.svc, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        // A stream (S1, S2) may never end: only its status and headers are answered.
        if headers.get("content-type").is_some_and(|t| t == "text/event-stream") {
            return (status, headers, Value::Null);
        }
        let body = actix_web::test::read_body(res).await;
        let value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into()))
        };
        (status, headers, value)
    }

    /// A request with a token and an optional JSON body; answers status and body.
    pub async fn req(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .insert_header(("authorization", format!("Bearer {token}")));
        if let Some(b) = body {
            r = r.set_json(b);
        }
        let (s, _, v) = self.call(r).await;
        (s, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.req("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.req("POST", path, token, Some(body)).await
    }
}
