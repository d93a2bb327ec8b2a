//! The test harness: each test gets a database of its own (a temporary SQLite file, or a
//! PostgreSQL database created for it and dropped after) and speaks HTTP to the app built by the
//! same `configure` as `main`, with the deployment worker running.
#![allow(dead_code)]

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{web, App};
use rewind::app;
use rewind::background::Loops;
use rewind::db::{self, DatabaseUrl, DbConn};
use rewind::domain::DeploymentStatus;
use rewind::runtime::AppState;
use rewind::settings::Settings;
use serde_json::{json, Value};

/// The backend this run of the suite uses: `REWIND_TEST_BACKEND=sqlite` (default) or `postgres`.
pub fn backend() -> String {
    std::env::var("REWIND_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("REWIND_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    /// A new, empty database on the backend of this run.
    pub fn new() -> TestDb {
        if backend() == "postgres" {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            let name = format!("rewind_t_{}", uuid::Uuid::now_v7().simple());
            let admin = pg_admin_url();
            let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL for tests (REWIND_TEST_PG_URL)");
            c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
            TestDb { url: DatabaseUrl::Postgres(format!("{base}/{name}")), _dir: None, pg_name: Some(name) }
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("rewind.db").to_string_lossy().into_owned();
            TestDb { url: DatabaseUrl::Sqlite(path), _dir: Some(dir), pg_name: None }
        }
    }

    /// The URL as `DATABASE_URL` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(u) | DatabaseUrl::Sqlite(u) => u.clone(),
        }
    }

    /// A plain connection (not migrated by itself).
    pub fn connect(&self) -> DbConn {
        db::connect(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            if let Ok(mut c) = diesel::PgConnection::establish(&pg_admin_url()) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Applies, in order, the migrations that come before the one whose name ends with `suffix`:
/// the schema as it was, to fill with the data that migration must carry over.
pub fn migrate_before(conn: &mut DbConn, suffix: &str) {
    fn apply<DB, C>(conn: &mut C, dir: &str, suffix: &str)
    where
        DB: diesel::backend::Backend,
        C: diesel_migrations::MigrationHarness<DB> + diesel::migration::MigrationConnection,
        diesel_migrations::FileBasedMigrations: diesel::migration::MigrationSource<DB>,
    {
        use diesel::migration::MigrationSource;
        conn.setup().unwrap();
        let mut all = diesel_migrations::FileBasedMigrations::from_path(dir).unwrap().migrations().unwrap();
        all.sort_by_key(|m| m.name().version().to_string());
        assert!(all.iter().any(|m| m.name().to_string().ends_with(suffix)), "no migration {suffix}");
        for m in all.iter().take_while(|m| !m.name().to_string().ends_with(suffix)) {
            conn.run_migration(&**m).unwrap();
        }
    }
    match conn {
        DbConn::Pg(c) => apply(c, "migrations/postgres", suffix),
        DbConn::Sqlite(c) => apply(c, "migrations/sqlite", suffix),
    }
}

/// Reverts migrations, newest first, down to and including the one whose name ends with
/// `suffix`: the schema as it was before it, with the data its down migration carried back.
pub fn revert_through(conn: &mut DbConn, suffix: &str) {
    fn revert<DB, C>(conn: &mut C, dir: &str, suffix: &str)
    where
        DB: diesel::backend::Backend,
        C: diesel_migrations::MigrationHarness<DB>,
        diesel_migrations::FileBasedMigrations: diesel::migration::MigrationSource<DB>,
    {
        use diesel::migration::MigrationSource;
        let source = || diesel_migrations::FileBasedMigrations::from_path(dir).unwrap();
        let all = MigrationSource::<DB>::migrations(&source()).unwrap();
        let target = all.iter().find(|m| m.name().to_string().ends_with(suffix)).expect(suffix).name().version();
        let target = target.to_string();
        while conn.revert_last_migration(source()).unwrap().to_string() != target {}
    }
    match conn {
        DbConn::Pg(c) => revert(c, "migrations/postgres", suffix),
        DbConn::Sqlite(c) => revert(c, "migrations/sqlite", suffix),
    }
}

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

    /// Creates a user with a role and answers `(id, token)`.
    pub async fn user(&self, name: &str, role: &str) -> (String, String) {
        let (s, u) = self.post("/v1/users", ADMIN, json!({"name": name, "role": role})).await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let id = u["data"]["id"].as_str().unwrap().to_string();
        let (s, t) = self.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        (id, t["data"]["token"].as_str().unwrap().to_string())
    }

    /// An editor with a grant on each of `envs`.
    pub async fn editor(&self, name: &str, envs: &[&str]) -> (String, String) {
        let (id, token) = self.user(name, "editor").await;
        for e in envs {
            let (s, _) = self.req("PUT", &format!("/v1/users/{id}/grants/{e}"), ADMIN, None).await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        }
        (id, token)
    }

    pub async fn env(&self, name: &str) {
        let (s, v) = self.post("/v1/environments", ADMIN, json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    /// An entry with `versions` versions in `en`; answers its id.
    pub async fn item(&self, versions: i32) -> String {
        let (s, v) = self
            .post(
                "/v1/items",
                ADMIN,
                json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"v": 1}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_string();
        for n in 2..=versions {
            let (s, _) = self
                .post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "en", "content": {"v": n}}))
                .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        id
    }

    pub async fn publish(&self, env: &str, token: &str, item: &str, version: i32) -> (StatusCode, Value) {
        self.post(
            &format!("/v1/environments/{env}/publish"),
            token,
            json!({"item_id": item, "locale": "en", "version": version}),
        )
        .await
    }

    pub async fn unpublish(&self, env: &str, token: &str, item: &str) -> (StatusCode, Value) {
        self.post(&format!("/v1/environments/{env}/unpublish"), token, json!({"item_id": item, "locale": "en"})).await
    }

    /// The published version of `(item, en)` in `env` (None when unpublished or never written).
    pub async fn state(&self, env: &str, item: &str) -> Option<i64> {
        let (s, v) = self.get(&format!("/v1/environments/{env}/publish-state?item_id={item}"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].as_array().unwrap().iter().find(|x| x["locale"] == "en").and_then(|x| x["version"].as_i64())
    }

    /// The number of events of `env`, all items.
    pub async fn event_count(&self, env: &str) -> usize {
        let (_, v) = self.get(&format!("/v1/environments/{env}/events?limit=500"), ADMIN).await;
        v["data"].as_array().unwrap().len()
    }

    /// A standard release with `(item, action, version)` items in `en`; answers its id.
    pub async fn release(&self, token: &str, name: &str, items: &[(&str, &str, Option<i32>)]) -> String {
        let (s, v) = self.post("/v1/releases", token, json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_string();
        if !items.is_empty() {
            let items: Vec<Value> = items
                .iter()
                .map(|(i, a, v)| json!({"item_id": i, "locale": "en", "action": a, "version": v}))
                .collect();
            let (s, v) = self.post(&format!("/v1/releases/{id}/items"), token, json!({"items": items})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        id
    }

    /// Deploys and waits for the deployments to finish, however long a loaded machine takes
    /// (`Prefer: wait` answers after at most 30 s, and then each one still going is followed);
    /// answers the status and the body, with each deployment as it ended.
    pub async fn deploy(&self, release: &str, token: &str, envs: &[&str]) -> (StatusCode, Value) {
        let r = TestRequest::post()
            .uri(&format!("/v1/releases/{release}/deploy"))
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("prefer", "wait=30"))
            .set_json(json!({"environments": envs}));
        let (s, _, mut v) = self.call(r).await;
        if s == StatusCode::ACCEPTED {
            for d in v["data"].as_array_mut().into_iter().flatten() {
                if matches!(d["status"].as_str(), Some("queued" | "in_progress")) {
                    *d = self.finished(d["id"].as_str().unwrap()).await;
                }
            }
        }
        (s, v)
    }

    /// Deploys to one environment an hour from now; answers the status and body.
    pub async fn schedule_in_an_hour(&self, release: &str, token: &str, env: &str) -> (StatusCode, Value) {
        let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        self.post(&format!("/v1/releases/{release}/deploy"), token, json!({"environments": [env], "scheduled_at": at}))
            .await
    }

    /// B1: `POST /v1/releases/{release}/rollback` as `token` (the caller's rollback release).
    pub async fn rollback_release(&self, release: &str, token: &str) -> (StatusCode, Value) {
        self.post(&format!("/v1/releases/{release}/rollback"), token, json!({})).await
    }

    /// E1: `POST /v1/environments/{env}/rollback` as `token` with `body`.
    pub async fn rollback_environment(&self, env: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/v1/environments/{env}/rollback"), token, body).await
    }

    /// Deploys to one environment and asserts that the deployment succeeded; answers it.
    pub async fn deploy_ok(&self, release: &str, token: &str, env: &str) -> Value {
        let (s, v) = self.deploy(release, token, &[env]).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let d = v["data"][0].clone();
        assert_eq!(d["status"], "succeeded", "{d}");
        d
    }

    /// The start of many rules' scenarios: an item with one version, and `token`'s release "R"
    /// that publishes it, deployed to `env` (which must exist) and succeeded. Answers the item
    /// and the release.
    pub async fn deployed_release(&self, token: &str, env: &str) -> (String, String) {
        let item = self.item(1).await;
        let release = self.release(token, "R", &[(&item, "publish", Some(1))]).await;
        self.deploy_ok(&release, token, env).await;
        (item, release)
    }

    /// B1 as a step of a scenario: `token`'s rollback release of `release`, asserted created or
    /// found; answers its id.
    pub async fn rollback_release_id(&self, release: &str, token: &str) -> String {
        let (s, v) = self.rollback_release(release, token).await;
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s} {v}");
        v["data"]["id"].as_str().unwrap().to_string()
    }

    /// Polls a deployment until it has finished (or 30 s).
    pub async fn finished(&self, id: &str) -> Value {
        let deadline = std::time::Instant::now() + SETTLE_WITHIN;
        while std::time::Instant::now() < deadline {
            let (_, v) = self.get(&format!("/v1/deployments/{id}"), ADMIN).await;
            let status = v["data"]["status"].as_str().unwrap_or("").to_string();
            if DeploymentStatus::parse(&status).is_some_and(DeploymentStatus::is_final) {
                return v["data"].clone();
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("deployment {id} did not finish within {SETTLE_WITHIN:?}");
    }

    /// The per-key items of a deployment.
    pub async fn deployment_items(&self, id: &str) -> Vec<Value> {
        let (s, v) = self.get(&format!("/v1/deployments/{id}/items?limit=500"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].as_array().unwrap().clone()
    }
}

/// One Server-Sent Event read from a stream, with when it arrived.
#[derive(Debug, Clone)]
pub struct Sse {
    pub at: std::time::Instant,
    /// `event:` of an event, or `None` for a comment line (a heartbeat).
    pub event: Option<String>,
    /// The `data:` of an event, parsed as JSON (Null for a comment).
    pub data: Value,
}

/// A stream's body, read event by event.
pub struct SseReader {
    body: BoxBody,
    buf: String,
}

impl SseReader {
    /// Reads the answer's body as a stream of events.
    pub fn new(res: ServiceResponse<BoxBody>) -> SseReader {
        SseReader { body: res.into_body(), buf: String::new() }
    }

    /// The next event or comment, `None` when the stream ended; panics after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Sse> {
        use actix_web::body::MessageBody;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut sse = Sse { at: std::time::Instant::now(), event: None, data: Value::Null };
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event: ") {
                        sse.event = Some(e.to_string());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        sse.data = serde_json::from_str(d).expect("event data is JSON");
                    }
                }
                return Some(sse);
            }
            let chunk = tokio::time::timeout_at(
                deadline,
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut self.body).poll_next(cx)),
            )
            .await
            .expect("the stream said nothing in time");
            match chunk {
                Some(Ok(bytes)) => self.buf.push_str(std::str::from_utf8(&bytes).expect("UTF-8")),
                Some(Err(e)) => panic!("stream failed: {e}"),
                None => return None,
            }
        }
    }

    /// Every event until the stream ends (heartbeats left out); panics when it is silent for `timeout`.
    pub async fn events_to_end(&mut self, timeout: Duration) -> Vec<Sse> {
        let mut out = vec![];
        while let Some(e) = self.next(timeout).await {
            if e.event.is_some() {
                out.push(e);
            }
        }
        out
    }
}

impl<S> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    /// Opens a stream (`GET path` with `token`); answers the status and, on 200, its reader
    /// (else the problem).
    pub async fn stream(&self, path: &str, token: &str) -> (StatusCode, Result<SseReader, Value>) {
        let req = TestRequest::get().uri(path).insert_header(("authorization", format!("Bearer {token}")));
        let res = actix_web::test::call_service(&self.svc, req.to_request()).await;
        let status = res.status();
        if status == StatusCode::OK {
            assert_eq!(res.headers().get("content-type").unwrap(), "text/event-stream");
            (status, Ok(SseReader::new(res)))
        } else {
            let body = actix_web::test::read_body(res).await;
            (status, Err(serde_json::from_slice(&body).unwrap_or(Value::Null)))
        }
    }
}

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
