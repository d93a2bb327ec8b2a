//! K1, K2: the command-line client against a real `rewind serve` child process (the harness of
//! tests/serve), on the backend of the run: the README's pipeline as written, the exit statuses,
//! a deploy cut off after its 202, 503s retried, lists as JSON, dry runs, and the token never
//! shown.

mod common;
mod serve;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use common::TestDb;
use serde_json::{json, Value};
use serve::{http, Server, TOKEN};

/// What one run of the client did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn client(port: u16, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rewind"));
    c.args(args)
        .env("REWIND_URL", format!("http://127.0.0.1:{port}"))
        .env("REWIND_TOKEN", TOKEN)
        .env_remove("REWIND_RETRIES")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    c
}

fn finished(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `rewind ARGS` as the admin against the server on `port`.
fn rewind(port: u16, args: &[&str]) -> Run {
    rewind_with(port, args, &[])
}

fn rewind_with(port: u16, args: &[&str], env: &[(&str, &str)]) -> Run {
    finished(client(port, args, env).output().expect("run rewind"))
}

fn assert_exit(run: &Run, code: i32, what: &str) {
    assert_eq!(run.code, code, "{what}: {run:?}");
}

/// An environment, and an item with `versions` versions in `en-us`.
fn env(s: &Server, name: &str) {
    s.call("POST", "/v1/environments", Some(&json!({"name": name})), 201);
}

fn item(s: &Server, versions: i32) -> String {
    let body = json!({"kind": "entry", "content_type": "page", "locale": "en-us", "content": {"v": 1}});
    let id = s.call("POST", "/v1/items", Some(&body), 201)["data"]["id"].as_str().unwrap().to_string();
    for v in 2..=versions {
        s.call(
            "POST",
            &format!("/v1/items/{id}/versions"),
            Some(&json!({"locale": "en-us", "content": {"v": v}})),
            201,
        );
    }
    id
}

fn publish(s: &Server, env: &str, item: &str, version: i32) {
    let body = json!({"item_id": item, "locale": "en-us", "version": version});
    s.call("POST", &format!("/v1/environments/{env}/publish"), Some(&body), 200);
}

fn published(s: &Server, env: &str, item: &str) -> Value {
    let page = s.call("GET", &format!("/v1/environments/{env}/publish-state?item_id={item}"), None, 200);
    page["data"][0]["version"].clone()
}

fn event_count(s: &Server, env: &str) -> usize {
    walk(s, &format!("/v1/environments/{env}/events")).len()
}

/// A release of `items` (publish at a version) deployed to `env` and finished.
fn deployed_release(s: &Server, name: &str, env: &str, items: &[(&str, i32)]) -> (String, String) {
    let id =
        s.call("POST", "/v1/releases", Some(&json!({"name": name})), 201)["data"]["id"].as_str().unwrap().to_string();
    let items: Vec<Value> = items
        .iter()
        .map(|(i, v)| json!({"item_id": i, "locale": "en-us", "action": "publish", "version": v}))
        .collect();
    s.call("POST", &format!("/v1/releases/{id}/items"), Some(&json!({ "items": items })), 200);
    let (status, body) = serve::request(
        s.port,
        "POST",
        &format!("/v1/releases/{id}/deploy"),
        &[("Prefer", "wait=30")],
        Some(&json!({"environments": [env]})),
    )
    .map(|r| (r.status, r.body))
    .expect("deploy");
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"][0]["status"], "succeeded", "{body}");
    (id, body["data"][0]["id"].as_str().unwrap().to_string())
}

/// Every page of a list, read 2 at a time, joined.
fn walk(s: &Server, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let (status, page) = http(s.port, "GET", &page_path, None).expect("GET");
        assert_eq!(status, 200, "{page_path}: {page}");
        rows.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return rows,
        }
    }
}

/// The shell script `name` of the README's "Scripting releases" section, as written there: the
/// block whose second line is `# <name> …`.
fn readme_script(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let section = &readme[readme.find("## Scripting releases").expect("a Scripting releases section")..];
    let head = format!("```sh\n#!/usr/bin/env bash\n# {name} ");
    let start = section.find(&head).unwrap_or_else(|| panic!("a shell block of {name}")) + "```sh\n".len();
    let end = start + section[start..].find("\n```").expect("the block's end");
    section[start..end].to_string()
}

fn jsonl(path: &Path, items: &[(&str, i32)]) {
    let lines: Vec<String> = items
        .iter()
        .map(|(i, v)| json!({"item_id": i, "locale": "en-us", "action": "publish", "version": v}).to_string())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").expect("write items");
}

/// `bash SCRIPT ARGS` in `dir` with `env`, `rewind` on the PATH, as the admin.
fn script(s: &Server, dir: &Path, script: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
    let bin = Path::new(env!("CARGO_BIN_EXE_rewind")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("bash")
        .arg(dir.join(script))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("REWIND_URL", format!("http://127.0.0.1:{}", s.port))
        .env("REWIND_TOKEN", TOKEN)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("bash {script}: {e}"))
}

/// `bash release.sh FILE production +2s` with `SMOKE_TEST`.
fn pipeline(s: &Server, dir: &Path, file: &Path, smoke_test: &str) -> Child {
    let file = file.to_str().expect("a UTF-8 path");
    script(s, dir, "release.sh", &[file, "production", "+2s"], &[("SMOKE_TEST", smoke_test)])
}

#[test]
fn k1_k2_h2_the_readme_pipeline_runs_as_written_and_exits_as_k2_says() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 3);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("release.sh"), readme_script("release.sh")).unwrap();

    // The smoke test passes: deployed at its time, 0.
    let file = dir.path().join("launch.jsonl");
    jsonl(&file, &[(&page, 2)]);
    let run = finished(pipeline(&s, dir.path(), &file, "true").wait_with_output().unwrap());
    assert_exit(&run, 0, "a release whose smoke test passes");
    assert_eq!(published(&s, "production", &page), 2);
    let history = walk(&s, "/v1/environments/production/deployments");
    assert_eq!(history[0]["trigger"], "scheduled", "deployed --at a time: {history:?}");

    // The smoke test fails: rolled back to what was published before, 0.
    jsonl(&file, &[(&page, 3)]);
    let run = finished(pipeline(&s, dir.path(), &file, "false").wait_with_output().unwrap());
    assert_exit(&run, 0, "a release rolled back after its smoke test failed");
    assert_eq!(published(&s, "production", &page), 2, "back to the version before the release");
    let hold = s.call("GET", "/v1/environments/production", None, 200)["data"]["hold"].clone();
    assert_eq!(hold["cause"], "rollback", "the rollback held production: {hold}");
    // The fix is out: the hold is lifted, as the README says, and releases deploy again.
    s.call("DELETE", "/v1/environments/production/hold", None, 200);

    // The smoke test fails after someone published the key by hand: the rollback with
    // `--on-conflict fail` refuses, its deployment fails, and the pipeline exits 1.
    let smoke = dir.path().join("smoke-test");
    let (checked, go) = (dir.path().join("checked"), dir.path().join("go"));
    std::fs::write(
        &smoke,
        format!(
            "#!/bin/sh\ntouch '{}'\nwhile [ ! -e '{}' ]; do sleep 0.05; done\nexit 1\n",
            checked.display(),
            go.display()
        ),
    )
    .unwrap();
    let running = pipeline(&s, dir.path(), &file, &format!("sh {}", smoke.display()));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !checked.exists() {
        assert!(Instant::now() < deadline, "the smoke test never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(published(&s, "production", &page), 3);
    publish(&s, "production", &page, 1);
    std::fs::write(&go, "").unwrap();
    let run = finished(running.wait_with_output().unwrap());
    assert_exit(&run, 1, "a rollback refused by --on-conflict fail");
    assert!(run.stderr.contains("error[deployment_failed]:"), "{run:?}");
    assert!(run.stderr.contains("rollback_conflict"), "{run:?}");
    assert_eq!(published(&s, "production", &page), 1, "the refused rollback wrote nothing");
}

#[test]
fn k2_refusals_map_to_their_exit_statuses() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 2);
    let (rel, _) = deployed_release(&s, "Launch", "production", &[(&page, 2)]);

    let run = rewind_with(s.port, &["release", "list"], &[("REWIND_TOKEN", "not-a-token")]);
    assert_exit(&run, 3, "a bad token");
    assert!(run.stderr.starts_with("error[unauthorized]: "), "{run:?}");

    let unknown = uuid::Uuid::now_v7().to_string();
    let run = rewind(s.port, &["release", "show", &unknown]);
    assert_exit(&run, 4, "an unknown release");
    assert!(run.stderr.starts_with("error[not_found]: "), "{run:?}");
    let run = rewind(s.port, &["release", "deploy", &unknown, "--env", "production"]);
    assert_exit(&run, 4, "deploying an unknown release");

    let run = rewind(s.port, &["release", "add", &rel, "--item", &page, "--locale", "en-us", "--publish", "1"]);
    assert_exit(&run, 5, "adding to a locked release");
    assert!(run.stderr.starts_with("error[release_locked]: "), "{run:?}");
    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "nowhere"]);
    assert_exit(&run, 5, "an unknown environment");
    assert!(run.stderr.starts_with("error[environment_not_found]: "), "{run:?}");

    for args in [
        vec!["release", "deploy", &rel],
        vec!["release", "add", &rel, "--item", &page, "--locale", "en-us"],
        vec!["release", "deploy", &rel, "--env", "production", "--timeout", "3m"],
        vec!["release", "deploy", &rel, "--env", "production", "--at", "tomorrow"],
        vec!["release", "frobnicate"],
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 2, &format!("usage error {args:?}"));
        assert!(run.stderr.starts_with("error[usage]: "), "{args:?}: {run:?}");
    }
    assert_eq!(walk(&s, &format!("/v1/releases/{rel}/deployments")).len(), 1, "nothing was deployed again");
}

#[test]
fn k2_wait_times_out_with_exit_7_and_the_id_and_the_work_goes_on() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 1);
    let rel = s.call("POST", "/v1/releases", Some(&json!({"name": "Later"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = rewind(s.port, &["release", "add", &rel, "--item", &page, "--locale", "en-us", "--publish", "1", "-q"]);
    assert_exit(&run, 0, "add");
    let run = rewind(
        s.port,
        &["release", "deploy", &rel, "--env", "production", "--at", "+1h", "--wait", "--timeout", "1s", "-q"],
    );
    assert_exit(&run, 7, "a wait that times out");
    let id = run.stdout.trim().to_string();
    assert!(run.stderr.contains(&format!("error[wait_timed_out]: still running after 1s: {id}")), "{run:?}");
    assert_eq!(s.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"]["status"], "scheduled");

    let run = rewind(s.port, &["schedule", "--env", "production", "-q"]);
    assert_eq!(run.stdout.trim(), id, "{run:?}");
    assert_exit(&rewind(s.port, &["deployment", "cancel", &id]), 0, "cancel");
    let run = rewind(s.port, &["deployment", "watch", &id]);
    assert_exit(&run, 1, "watching a cancelled deployment");
    assert!(run.stderr.contains("\nerror[deployment_cancelled]: "), "{run:?}");
}

#[test]
fn k2_a_deploy_cut_off_after_its_202_and_run_again_with_its_key_creates_one_deployment() {
    let db = TestDb::new();
    let first_server = Server::start(&db.url_string(), 1, &[]);
    env(&first_server, "production");
    let page = item(&first_server, 1);
    let rel = first_server.call("POST", "/v1/releases", Some(&json!({"name": "Cut"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let items = json!({"items": [{"item_id": page, "locale": "en-us", "action": "publish", "version": 1}]});
    first_server.call("POST", &format!("/v1/releases/{rel}/items"), Some(&items), 200);

    // Scheduled a little ahead, so that the server is gone before it runs; the same time (and
    // so the same body) on the second run.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(15)).to_rfc3339();
    let args = [
        "release",
        "deploy",
        &rel,
        "--env",
        "production",
        "--at",
        &at,
        "--idempotency-key",
        "launch-1",
        "--wait",
        "-q",
    ];
    let first = client(first_server.port, &args, &[("REWIND_RETRIES", "2")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The client follows the deployment's stream only once it has the 202.
    first_server.wait_for_log(&["/stream", "request answered"], Duration::from_secs(30));
    first_server.sigkill();
    let run = finished(first.wait_with_output().unwrap());
    assert_exit(&run, 6, "the server went away under --wait");
    assert!(run.stderr.starts_with("error[connection_failed]: "), "{run:?}");

    let s = Server::start(&db.url_string(), 1, &[]);
    let run = rewind(s.port, &args);
    assert_exit(&run, 0, "the same deploy run again");
    let deployments = walk(&s, &format!("/v1/releases/{rel}/deployments"));
    assert_eq!(deployments.len(), 1, "one deployment: {deployments:?}");
    assert_eq!(run.stdout.trim(), deployments[0]["id"], "the first answer, replayed");
    assert_eq!(deployments[0]["status"], "succeeded");
    assert_eq!(published(&s, "production", &page), 1);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (it stops a database of its own): scripts/test runs it on its PostgreSQL pass"]
fn k2_503_is_retried_until_the_database_is_back_or_exits_6() {
    let pg = serve::postgres::Postgres::start();
    let s = Server::start(&pg.url(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 1);
    let rel = s.call("POST", "/v1/releases", Some(&json!({"name": "Through"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let items = json!({"items": [{"item_id": page, "locale": "en-us", "action": "publish", "version": 1}]});
    s.call("POST", &format!("/v1/releases/{rel}/items"), Some(&items), 200);

    pg.down();
    let run = rewind_with(s.port, &["release", "list", "-q"], &[("REWIND_RETRIES", "1")]);
    assert_exit(&run, 6, "unavailable after one retry");
    assert!(run.stderr.starts_with("error[unavailable]: "), "{run:?}");

    let args = ["release", "deploy", &rel, "--env", "production", "--wait", "-q", "--verbose"];
    let mut deploy = client(s.port, &args, &[("REWIND_RETRIES", "8")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bring the database back once the client has been answered 503 (its --verbose log says so).
    let stderr = deploy.stderr.take().unwrap();
    let (answered_503, seen) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("< 503") {
                let _ = answered_503.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    seen.recv_timeout(Duration::from_secs(60)).expect("a 503 while the database is down");
    pg.up();
    let status = deploy.wait().unwrap();
    let stdout = std::io::read_to_string(deploy.stdout.take().unwrap()).unwrap();
    let run = Run { code: status.code().unwrap_or(-1), stdout, stderr: log.join().unwrap() };
    assert_exit(&run, 0, "a deploy retried until the database came back");
    assert!(run.stderr.contains("retrying in"), "{run:?}");
    let deployments = walk(&s, &format!("/v1/releases/{rel}/deployments"));
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    assert_eq!(run.stdout.trim(), deployments[0]["id"]);
    assert_eq!(published(&s, "production", &page), 1);
}

#[test]
fn k1_json_of_every_list_is_the_api_pages_joined() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    for e in ["production", "staging", "qa"] {
        env(&s, e);
    }
    let items: Vec<String> = (0..3).map(|_| item(&s, 2)).collect();
    for i in &items {
        publish(&s, "production", i, 1);
    }
    let all: Vec<(&str, i32)> = items.iter().map(|i| (i.as_str(), 2)).collect();
    let (r1, d1) = deployed_release(&s, "One", "production", &all);
    let (r2, _) = deployed_release(&s, "Two", "production", &[(&items[0], 1)]);
    let (r3, _) = deployed_release(&s, "Three", "production", &[(&items[1], 1), (&items[2], 1)]);
    for (i, rel) in [&r1, &r2, &r3].iter().enumerate() {
        let at = (chrono::Utc::now() + chrono::Duration::hours(i as i64 + 1)).to_rfc3339();
        let run = rewind(s.port, &["release", "deploy", rel, "--env", "staging", "--at", &at, "-q"]);
        assert_exit(&run, 0, "schedule");
    }
    let lists: Vec<(Vec<&str>, String)> = vec![
        (vec!["env", "list"], "/v1/environments".into()),
        (vec!["env", "state", "production"], "/v1/environments/production/publish-state".into()),
        (vec!["env", "log", "production"], "/v1/environments/production/events".into()),
        (vec!["env", "history", "production"], "/v1/environments/production/deployments".into()),
        (vec!["release", "list"], "/v1/releases".into()),
        (vec!["deployment", "items", &d1], format!("/v1/deployments/{d1}/items")),
        (vec!["schedule"], "/v1/deployments?status=scheduled".into()),
        (vec!["schedule", "--env", "staging"], "/v1/deployments?status=scheduled&environment=staging".into()),
    ];
    for (args, path) in lists {
        let pages = walk(&s, &path);
        assert!(pages.len() >= 3, "{path}: more than one page of 2");
        let run = rewind(s.port, &[args.as_slice(), &["--output", "json"][..]].concat());
        assert_exit(&run, 0, &format!("{args:?}"));
        let printed: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {run:?}"));
        assert_eq!(printed, Value::Array(pages.clone()), "{args:?} against {path}");
        let run = rewind(s.port, &[args.as_slice(), &["--output", "json", "--limit", "2"][..]].concat());
        let printed: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(printed, Value::Array(pages[..2].to_vec()), "{args:?} --limit 2");
        let run = rewind(s.port, &[args.as_slice(), &["--quiet"][..]].concat());
        assert_eq!(run.stdout.lines().count(), pages.len(), "{args:?} --quiet: one id a line");
    }
    let (_, preview) = http(s.port, "GET", &format!("/v1/releases/{r2}/preview?environment=production"), None).unwrap();
    let run = rewind(s.port, &["release", "preview", &r2, "--env", "production", "--output", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&run.stdout).unwrap(), preview["data"], "{run:?}");
    let (_, one) = http(s.port, "GET", &format!("/v1/deployments/{d1}"), None).unwrap();
    let run = rewind(s.port, &["deployment", "show", &d1, "--output", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&run.stdout).unwrap(), one["data"], "{run:?}");
    let run = rewind(s.port, &["env", "list"]);
    assert!(run.stdout.starts_with("NAME  "), "a table with a header: {run:?}");
}

#[test]
fn k2_dry_run_prints_the_plan_and_writes_nothing() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 2);
    publish(&s, "production", &page, 1);
    let rel =
        s.call("POST", "/v1/releases", Some(&json!({"name": "Dry"})), 201)["data"]["id"].as_str().unwrap().to_string();
    assert_exit(
        &rewind(s.port, &["release", "add", &rel, "--item", &page, "--locale", "en-us", "--publish", "2"]),
        0,
        "add",
    );
    let events = event_count(&s, "production");

    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "production", "--dry-run", "--output", "json"]);
    assert_exit(&run, 0, "deploy --dry-run");
    let plans: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plans[0]["environment"], "production", "{plans}");
    assert_eq!(plans[0]["plan"][0]["outcome"], "published");
    assert_eq!(plans[0]["plan"][0]["prior_version"], 1);
    assert!(walk(&s, &format!("/v1/releases/{rel}/deployments")).is_empty(), "no deployment");

    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "production", "--wait", "-q"]);
    assert_exit(&run, 0, "deploy --wait");
    let events = events + 1;
    assert_eq!(event_count(&s, "production"), events);

    let run = rewind(s.port, &["release", "rollback", &rel, "--env", "production", "--dry-run"]);
    assert_exit(&run, 2, "no rollback release yet: a dry run cannot create one");
    let run = rewind(s.port, &["release", "rollback", &rel, "-q"]);
    assert_exit(&run, 0, "create the rollback release");
    let rollback = run.stdout.trim().to_string();
    let run = rewind(s.port, &["release", "rollback", &rel, "--env", "production", "--dry-run"]);
    assert_exit(&run, 0, "rollback --dry-run");
    assert!(run.stdout.contains("plan for production:"), "{run:?}");
    assert!(walk(&s, &format!("/v1/releases/{rollback}/deployments")).is_empty(), "no rollback deployment");

    // One deployment only: the dry run is refused as the rollback itself would be (E3).
    let run = rewind(s.port, &["env", "rollback", "production", "--dry-run"]);
    assert_exit(&run, 5, "env rollback --dry-run without a target to go back to");
    assert!(run.stderr.starts_with("error[no_rollback_target]: "), "{run:?}");
    assert_eq!(event_count(&s, "production"), events, "no dry run wrote to the publish log");
    let history = walk(&s, "/v1/environments/production/deployments");
    assert_eq!(history.len(), 1);

    let run = rewind(s.port, &["release", "rollback", &rel, "--env", "production", "--wait", "-q"]);
    assert_exit(&run, 0, "rollback for real");
    assert_eq!(published(&s, "production", &page), 1);
    let events = events + 1;
    let run = rewind(s.port, &["env", "rollback", "production", "--dry-run", "--output", "json"]);
    assert_exit(&run, 0, "env rollback --dry-run");
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["target_deployment"]["id"], history[0]["id"], "back to the release's deployment: {plan}");
    assert_eq!(plan["items"][0]["outcome"], "published", "{plan}");
    assert_eq!((&plan["items"][0]["version"], &plan["items"][0]["prior_version"]), (&json!(2), &json!(1)));
    let run = rewind(s.port, &["env", "rollback", "production", "--dry-run"]);
    assert_exit(&run, 0, "env rollback --dry-run as a table");
    assert!(
        run.stdout
            .starts_with(&format!("plan for production: back to deployment {}", history[0]["id"].as_str().unwrap())),
        "{run:?}"
    );
    assert_eq!(event_count(&s, "production"), events, "no dry run wrote to the publish log");
    assert_eq!(walk(&s, "/v1/environments/production/deployments").len(), 2);
    let run = rewind(s.port, &["env", "rollback", "production", "--wait", "--reason", "undo the undo", "-q"]);
    assert_exit(&run, 0, "env rollback");
    assert_eq!(published(&s, "production", &page), 2, "back to the release's state");
}

#[test]
fn k1_the_token_never_appears_in_output_errors_or_verbose_logs() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 1);
    let rel = s.call("POST", "/v1/releases", Some(&json!({"name": "Quiet"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = "bad-secret-token-0123456789";
    let unknown = uuid::Uuid::now_v7().to_string();
    let runs = vec![
        rewind(s.port, &["release", "list", "--verbose"]),
        rewind(s.port, &["release", "add", &rel, "--item", &page, "--locale", "en-us", "--publish", "1", "-v"]),
        rewind(s.port, &["release", "deploy", &rel, "--env", "production", "--wait", "--verbose"]),
        rewind(s.port, &["release", "show", &unknown, "--verbose"]),
        rewind(s.port, &["env", "rollback", "production", "--verbose"]),
        rewind(s.port, &["release", "list", "--verbose", "--token", bad]),
        rewind_with(s.port, &["release", "list", "--verbose"], &[("REWIND_TOKEN", bad)]),
        rewind(s.port, &["release", "deploy", "--help"]),
        rewind(s.port, &["--help"]),
        rewind_with(s.port, &["env", "list", "-v"], &[("REWIND_URL", "http://127.0.0.1:1"), ("REWIND_RETRIES", "0")]),
    ];
    assert!(runs[0].stderr.contains("authorization: Bearer <hidden>"), "{:?}", runs[0]);
    assert_exit(&runs[2], 0, "deploy --wait");
    assert_exit(&runs[5], 3, "a bad --token");
    assert_exit(&runs[9], 6, "no server");
    for run in &runs {
        for secret in [TOKEN, bad] {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the token shows: {run:?}");
        }
    }
}

#[test]
fn k1_help_groups_every_command_by_what_it_speaks_to() {
    let run = Command::new(env!("CARGO_BIN_EXE_rewind")).arg("--help").output().map(finished).unwrap();
    assert_exit(&run, 0, "--help");
    let server = run.stdout.find("Commands that speak to a rewind server").expect("the client group");
    let local = run.stdout.find("Commands that open the database directly").expect("the local group");
    let listed = |name: &str| run.stdout.lines().position(|l| l.starts_with(&format!("  {name} "))).is_some();
    for sub in rewind::config::Cli::command().get_subcommands() {
        assert!(listed(sub.get_name()), "--help does not list {}", sub.get_name());
    }
    for name in ["env", "release", "deployment", "schedule", "item"] {
        let at = run.stdout.find(&format!("\n  {name} ")).unwrap();
        assert!(server < at && at < local, "{name} is a client command");
    }
    for name in ["serve", "migrate", "user", "token", "webhook"] {
        assert!(run.stdout.find(&format!("\n  {name} ")).unwrap() > local, "{name} opens the database");
    }
}

/// A standard release of `items` (publish at a version), not deployed.
fn release(s: &Server, name: &str, items: &[(&str, i32)]) -> String {
    let id =
        s.call("POST", "/v1/releases", Some(&json!({"name": name})), 201)["data"]["id"].as_str().unwrap().to_string();
    let items: Vec<Value> = items
        .iter()
        .map(|(i, v)| json!({"item_id": i, "locale": "en-us", "action": "publish", "version": v}))
        .collect();
    s.call("POST", &format!("/v1/releases/{id}/items"), Some(&json!({ "items": items })), 200);
    id
}

/// The deployment `id` once it has ended.
fn ended(s: &Server, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = s.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
        if ["succeeded", "failed", "cancelled"].contains(&d["status"].as_str().unwrap_or_default()) {
            return d;
        }
        assert!(Instant::now() < deadline, "deployment {id} never ended: {d}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn environment(s: &Server, name: &str) -> Value {
    s.call("GET", &format!("/v1/environments/{name}"), None, 200)["data"].clone()
}

/// The value of the `field  value` line `field` of a table of one resource.
fn field<'a>(run: &'a Run, name: &str) -> &'a str {
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix(name).filter(|rest| rest.starts_with("  ")).map(str::trim))
        .unwrap_or_else(|| panic!("no {name} line: {run:?}"))
}

fn rewind_json(port: u16, args: &[&str]) -> Value {
    let run = rewind(port, &[args, &["--output", "json"][..]].concat());
    assert_exit(&run, 0, &format!("{args:?}"));
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {run:?}"))
}

#[test]
fn k3_h1_env_hold_and_lift_print_the_hold_and_exit_5_when_held_twice() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 2);
    let rel = release(&s, "Later", &[(&page, 1)]);
    let other = release(&s, "Refused", &[(&page, 2)]);

    let run = rewind(s.port, &["env", "show", "production"]);
    assert_exit(&run, 0, "env show");
    assert_eq!(field(&run, "HOLD"), "not held", "{run:?}");
    assert_eq!(field(&run, "HOLD AFTER ROLLBACK"), "false", "{run:?}");
    assert_eq!(field(&run, "FREEZE"), "none open", "{run:?}");

    // Due in a few seconds: held as soon as the environment is, and it waits past its time.
    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "production", "--at", "+4s", "-q"]);
    assert_exit(&run, 0, "schedule");
    let waiting = run.stdout.trim().to_string();
    let hold = rewind_json(s.port, &["env", "hold", "production", "--reason", "bad launch"]);
    assert_eq!(
        (&hold["cause"], &hold["reason"], &hold["environment"]),
        (&json!("manual"), &json!("bad launch"), &json!("production"))
    );
    assert_eq!((&hold["deployment_id"], &hold["lifted_at"]), (&Value::Null, &Value::Null), "{hold}");
    assert_eq!(environment(&s, "production")["hold"], hold, "the environment carries the hold");

    let run = rewind(s.port, &["env", "hold", "production", "--reason", "again"]);
    assert_exit(&run, 5, "holding a held environment");
    assert!(run.stderr.starts_with("error[already_held]: "), "{run:?}");
    let run = rewind(s.port, &["release", "deploy", &other, "--env", "production"]);
    assert_exit(&run, 5, "a standard release to a held environment");
    assert!(run.stderr.starts_with("error[environment_held]: "), "{run:?}");
    assert!(walk(&s, &format!("/v1/releases/{other}/deployments")).is_empty(), "nothing was created");
    let run = rewind(s.port, &["env", "hold", "production", "--reason", ""]);
    assert_exit(&run, 5, "an empty reason");

    let run = rewind(s.port, &["env", "show", "production"]);
    assert_exit(&run, 0, "env show of a held environment");
    assert_eq!(field(&run, "HOLD"), "held (manual)", "{run:?}");
    assert_eq!(field(&run, "HOLD REASON"), "bad launch");
    assert_eq!(field(&run, "HELD BY"), hold["held_by"].as_str().unwrap());
    assert!(!field(&run, "HELD SINCE").is_empty());
    let run = rewind(s.port, &["env", "list"]);
    assert!(run.stdout.lines().any(|l| l.starts_with("production ") && l.contains(" held ")), "{run:?}");

    std::thread::sleep(Duration::from_secs(5));
    let d = s.call("GET", &format!("/v1/deployments/{waiting}"), None, 200)["data"].clone();
    assert_eq!((&d["status"], &d["held"]), (&json!("scheduled"), &json!(true)), "past its time, held: {d}");
    for args in [vec!["deployment", "show", &waiting], vec!["env", "history", "production"], vec!["schedule"]] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 0, &format!("{args:?}"));
        assert!(run.stdout.contains("scheduled (held)"), "{args:?} marks the held deployment: {run:?}");
    }
    let run = rewind(s.port, &["deployment", "show", &waiting]);
    assert_eq!(field(&run, "STATUS"), "scheduled (held)");

    let run = rewind(s.port, &["env", "lift", "production"]);
    assert_exit(&run, 0, "env lift");
    assert_eq!(field(&run, "ID"), hold["id"].as_str().unwrap(), "{run:?}");
    assert_eq!(field(&run, "REASON"), "bad launch");
    assert_ne!(field(&run, "LIFTED AT"), "-");
    let after = run.stdout.split("released:").nth(1).unwrap_or_else(|| panic!("a released part: {run:?}"));
    assert!(after.contains(&waiting), "the deployment that now runs: {run:?}");
    assert_eq!(ended(&s, &waiting)["status"], "succeeded");
    assert_eq!(published(&s, "production", &page), 1);
    assert_eq!(environment(&s, "production")["hold"], Value::Null);

    let run = rewind(s.port, &["env", "lift", "production"]);
    assert_exit(&run, 5, "lifting an environment that is not held");
    assert!(run.stderr.starts_with("error[not_held]: "), "{run:?}");

    // Held and lifted again, with --quiet: the hold's id, then nothing released.
    let run = rewind(s.port, &["env", "hold", "production", "--reason", "second", "-q"]);
    assert_exit(&run, 0, "hold -q");
    let second = run.stdout.trim().to_string();
    let lifted = rewind_json(s.port, &["env", "lift", "production"]);
    assert_eq!((&lifted["hold"]["id"], &lifted["released"]), (&json!(second), &json!([])), "{lifted}");
    assert_eq!(lifted["hold"]["lifted_by"], hold["held_by"]);

    let history = walk(&s, "/v1/environments/production/holds");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["id"], second, "newest first");
    assert_eq!(rewind_json(s.port, &["env", "holds", "production"]), Value::Array(history.clone()));
    let run = rewind(s.port, &["env", "holds", "production"]);
    assert!(run.stdout.starts_with("ID  "), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 3, "a header and two holds: {run:?}");
    let run = rewind(s.port, &["env", "holds", "production", "-q", "--limit", "1"]);
    assert_eq!(run.stdout.trim(), second, "{run:?}");
    let run = rewind(s.port, &["env", "holds", "nowhere"]);
    assert_exit(&run, 4, "holds of an unknown environment");
}

#[test]
fn k3_h2_rollback_with_hold_holds_the_environment() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 3);
    publish(&s, "production", &page, 1);
    let (_, _) = deployed_release(&s, "Two", "production", &[(&page, 2)]);
    let (three, _) = deployed_release(&s, "Three", "production", &[(&page, 3)]);

    let run = rewind(s.port, &["env", "set", "production", "--hold-after-rollback", "true"]);
    assert_exit(&run, 0, "env set");
    assert_eq!(field(&run, "HOLD AFTER ROLLBACK"), "true", "{run:?}");
    assert_eq!(environment(&s, "production")["hold_after_rollback"], true);
    for args in [
        vec!["env", "set", "production", "--hold-after-rollback", "maybe"],
        vec!["env", "set", "production"],
        vec!["env", "rollback", "production", "--hold", "--no-hold"],
        vec!["release", "rollback", &three, "--env", "production", "--hold", "--no-hold"],
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 2, &format!("{args:?}"));
        assert!(run.stderr.starts_with("error[usage]: "), "{args:?}: {run:?}");
    }
    assert_eq!(walk(&s, "/v1/environments/production/deployments").len(), 2, "no usage error wrote");

    // Set to hold, but asked not to.
    let run = rewind(s.port, &["env", "rollback", "production", "--no-hold", "--wait", "-q"]);
    assert_exit(&run, 0, "env rollback --no-hold");
    assert_eq!(published(&s, "production", &page), 2);
    assert_eq!(environment(&s, "production")["hold"], Value::Null, "not held");

    // Not set to hold, but asked to.
    let run = rewind(s.port, &["env", "set", "production", "--hold-after-rollback", "false", "--output", "json"]);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(printed["hold_after_rollback"], false, "{run:?}");
    let run = rewind(s.port, &["env", "rollback", "production", "--hold", "--wait", "-q"]);
    assert_exit(&run, 0, "env rollback --hold");
    let rollback = run.stdout.trim().to_string();
    let hold = environment(&s, "production")["hold"].clone();
    assert_eq!((&hold["cause"], &hold["deployment_id"]), (&json!("rollback"), &json!(rollback)), "{hold}");
    let run = rewind(s.port, &["env", "show", "production"]);
    assert_eq!(field(&run, "HOLD"), "held (rollback)", "{run:?}");
    assert_eq!(field(&run, "HOLD DEPLOYMENT"), rollback);
    assert_eq!(field(&run, "HOLD REASON"), hold["reason"].as_str().unwrap());
    let newer = release(&s, "Four", &[(&page, 3)]);
    let run = rewind(s.port, &["release", "deploy", &newer, "--env", "production"]);
    assert_exit(&run, 5, "a standard release to an environment a rollback held");
    assert!(run.stderr.starts_with("error[environment_held]: "), "{run:?}");
    assert_exit(&rewind(s.port, &["env", "lift", "production", "-q"]), 0, "lift");

    // A rollback release deployed with --hold holds too.
    let run = rewind(s.port, &["release", "rollback", &three, "--hold"]);
    assert_exit(&run, 2, "--hold without --env");
    let run = rewind(s.port, &["release", "rollback", &three, "--env", "production", "--hold", "--wait", "-q"]);
    assert_exit(&run, 0, "release rollback --hold");
    let deployment = run.stdout.trim().to_string();
    let hold = environment(&s, "production")["hold"].clone();
    assert_eq!((&hold["cause"], &hold["deployment_id"]), (&json!("rollback"), &json!(deployment)), "{hold}");
    assert!(hold["reason"].as_str().unwrap().starts_with("Rollback of "), "{hold}");
}

#[test]
fn k3_b10_rollback_with_key_rolls_back_only_that_key() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    env(&s, "staging");
    let (a, b) = (item(&s, 2), item(&s, 2));
    for e in ["production", "staging"] {
        let _ = deployed_release(&s, &format!("First {e}"), e, &[(&a, 1), (&b, 1)]);
    }
    let (rel, _) = deployed_release(&s, "Second", "production", &[(&a, 2), (&b, 2)]);
    let _ = deployed_release(&s, "Second staging", "staging", &[(&a, 2), (&b, 2)]);
    let key_a = format!("{a}:en-us");

    // A release's rollback, of one key.
    let run = rewind(s.port, &["release", "rollback", &rel, "-q"]);
    assert_exit(&run, 0, "create the rollback release");
    let rollback = run.stdout.trim().to_string();
    for (args, what) in [
        (vec!["release", "rollback", &rel, "--env", "production", "--key", "not-a-key"], "no colon"),
        (vec!["release", "rollback", &rel, "--env", "production", "--key", "abc:en-us"], "not an item id"),
        (vec!["release", "rollback", &rel, "--env", "production", "--key", ":en-us"], "no item"),
        (vec!["release", "rollback", &rel, "--key", &key_a], "--key without --env"),
        (vec!["env", "rollback", "staging", "--key", "nothing"], "env rollback, no colon"),
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 2, what);
        assert!(run.stderr.starts_with("error[usage]: "), "{what}: {run:?}");
    }
    let stranger = format!("{}:en-us", item(&s, 1));
    let run = rewind(s.port, &["release", "rollback", &rel, "--env", "production", "--key", &stranger]);
    assert_exit(&run, 5, "a key not in the rollback release");
    assert!(run.stderr.starts_with("error[key_not_in_release]: "), "{run:?}");
    assert!(walk(&s, &format!("/v1/releases/{rollback}/deployments")).is_empty(), "nothing deployed");

    let plans =
        rewind_json(s.port, &["release", "rollback", &rel, "--env", "production", "--key", &key_a, "--dry-run"]);
    let plan = plans[0]["plan"].as_array().unwrap();
    let row = |item: &str| plan.iter().find(|r| r["item_id"] == item).unwrap_or_else(|| panic!("{item}: {plans}"));
    assert_eq!((&row(&a)["outcome"], &row(&a)["version"]), (&json!("published"), &json!(1)), "{plans}");
    assert_eq!((&row(&b)["outcome"], &row(&b)["skip_reason"]), (&json!("skipped"), &json!("not_selected")));
    let preview = rewind_json(s.port, &["release", "preview", &rollback, "--env", "production", "--key", &key_a]);
    assert_eq!(&preview, &plans[0]["plan"], "the preview with --key is the dry run's plan");

    let run = rewind(s.port, &["release", "rollback", &rel, "--env", "production", "--key", &key_a, "--wait", "-q"]);
    assert_exit(&run, 0, "release rollback --key");
    let d = ended(&s, run.stdout.trim());
    assert_eq!(d["counts"]["skipped"], 1, "{d}");
    assert_eq!((published(&s, "production", &a), published(&s, "production", &b)), (json!(1), json!(2)));

    // An environment's rollback, of one key.
    let plan = rewind_json(s.port, &["env", "rollback", "staging", "--key", &key_a, "--dry-run"]);
    let items = plan["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the selected key: {plan}");
    assert_eq!(items[0]["item_id"], a.as_str());
    let run = rewind(s.port, &["env", "rollback", "staging", "--key", &key_a, "--wait", "-q"]);
    assert_exit(&run, 0, "env rollback --key");
    assert_eq!((published(&s, "staging", &a), published(&s, "staging", &b)), (json!(1), json!(2)));
}

#[test]
fn k3_h4_env_freeze_and_freezes() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    let page = item(&s, 1);
    let rel = release(&s, "Frozen out", &[(&page, 1)]);

    let open = rewind_json(
        s.port,
        &["env", "freeze", "production", "--from", "now", "--until", "+1h", "--reason", "launch week"],
    );
    assert_eq!((&open["environment"], &open["reason"]), (&json!("production"), &json!("launch week")), "{open}");
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let until = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let run = rewind(
        s.port,
        &["env", "freeze", "production", "--from", &later, "--until", &until, "--reason", "later", "-q"],
    );
    assert_exit(&run, 0, "a window ahead");
    let ahead = run.stdout.trim().to_string();

    let listed = s.call("GET", "/v1/environments/production/freezes", None, 200)["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!((&listed[0]["id"], &listed[1]["id"]), (&open["id"], &json!(ahead)), "soonest first: {listed}");
    assert_eq!(rewind_json(s.port, &["env", "freezes", "production"]), listed);
    let run = rewind(s.port, &["env", "freezes", "production"]);
    assert!(run.stdout.starts_with("ID  "), "{run:?}");
    assert!(run.stdout.contains("launch week") && run.stdout.contains("later"), "{run:?}");
    let run = rewind(s.port, &["env", "freezes", "production", "-q"]);
    assert_eq!(run.stdout, format!("{}\n{ahead}\n", open["id"].as_str().unwrap()), "{run:?}");

    let run = rewind(s.port, &["env", "show", "production"]);
    assert_exit(&run, 0, "env show of a frozen environment");
    assert!(field(&run, "FREEZE").starts_with("open until "), "{run:?}");
    assert_eq!(field(&run, "FREEZE REASON"), "launch week");
    assert_eq!(field(&run, "FREEZE ID"), open["id"].as_str().unwrap());
    assert_eq!(field(&run, "HOLD"), "not held", "a freeze is not a hold");
    let run = rewind(s.port, &["env", "list"]);
    assert!(run.stdout.lines().any(|l| l.starts_with("production ") && l.contains(" frozen ")), "{run:?}");

    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "production"]);
    assert_exit(&run, 5, "a standard release in an open window");
    assert!(run.stderr.starts_with("error[environment_frozen]: "), "{run:?}");

    for (args, code, error) in [
        (vec!["--from", "+2h", "--until", "+1h"], 5, "invalid_window"),
        (vec!["--from", "now", "--until", "+400days"], 5, "invalid_window"),
        (vec!["--from", "now", "--until", "tomorrow"], 2, "usage"),
        (vec!["--until", "+1h"], 2, "usage"),
    ] {
        let run = rewind(s.port, &[&["env", "freeze", "production", "--reason", "bad"][..], &args].concat());
        assert_exit(&run, code, &format!("{args:?}"));
        assert!(run.stderr.starts_with(&format!("error[{error}]: ")), "{args:?}: {run:?}");
    }
    assert_eq!(s.call("GET", "/v1/environments/production/freezes", None, 200)["data"], listed, "nothing added");

    let run = rewind(s.port, &["env", "unfreeze", "production", open["id"].as_str().unwrap()]);
    assert_exit(&run, 0, "unfreeze the open window");
    let left = s.call("GET", "/v1/environments/production/freezes", None, 200)["data"].clone();
    assert_eq!(left, json!([listed[1]]), "the window ahead stays");
    assert_eq!(environment(&s, "production")["freeze"], Value::Null);
    let run = rewind(s.port, &["env", "unfreeze", "production", open["id"].as_str().unwrap()]);
    assert_exit(&run, 4, "a window already removed");
    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "production", "--wait", "-q"]);
    assert_exit(&run, 0, "deploys once the window is removed");
    assert_eq!(published(&s, "production", &page), 1);
}

/// A second admin, and their token: another pair of eyes for A2.
fn second_admin(s: &Server, name: &str) -> String {
    let user = s.call("POST", "/v1/users", Some(&json!({"name": name, "role": "admin"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = s.call("POST", &format!("/v1/users/{user}/tokens"), Some(&json!({})), 201);
    token["data"]["token"].as_str().unwrap().to_string()
}

/// The id of a deployment to `env` awaiting approval that is not one of `known`, once there is one.
fn awaiting(s: &Server, env: &str, known: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = walk(s, &format!("/v1/deployments?status=awaiting_approval&environment={env}"));
        if let Some(d) = page.iter().find(|d| !known.contains(&d["id"].as_str().unwrap_or_default())) {
            return d["id"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "no deployment to {env} came to await approval");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `staging` and `production`, and items `a`, `b`, `c` at two versions: `a` at 2 in staging and 1
/// in production, `b` at 1 in staging only, `c` at 1 in production only.
fn two_environments(s: &Server) -> (String, String, String) {
    env(s, "staging");
    env(s, "production");
    let (a, b, c) = (item(s, 2), item(s, 2), item(s, 2));
    publish(s, "staging", &a, 2);
    publish(s, "staging", &b, 1);
    publish(s, "production", &a, 1);
    publish(s, "production", &c, 1);
    (a, b, c)
}

#[test]
fn k3_m1_env_compare_lists_every_difference_as_a_table_json_and_keys() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let (a, b, c) = two_environments(&s);

    let all = walk(&s, "/v1/environments/production/compare?source=staging");
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(rewind_json(s.port, &["env", "compare", "staging", "production"]), Value::Array(all.clone()));
    let run = rewind(s.port, &["env", "compare", "staging", "production"]);
    assert_exit(&run, 0, "env compare");
    let lines: Vec<Vec<&str>> = run.stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[0], ["ITEM", "LOCALE", "SOURCE", "VERSION", "TARGET", "VERSION"], "{run:?}");
    let row =
        |item: &str| lines.iter().find(|l| l[0] == item).unwrap_or_else(|| panic!("{item}: {run:?}"))[1..].to_vec();
    assert_eq!(row(&a), ["en-us", "2", "1"]);
    assert_eq!(row(&b), ["en-us", "1", "-"]);
    assert_eq!(row(&c), ["en-us", "-", "1"]);
    let run = rewind(s.port, &["env", "compare", "staging", "production", "-q"]);
    let keys: Vec<String> = all.iter().map(|d| format!("{}:en-us", d["item_id"].as_str().unwrap())).collect();
    assert_eq!(run.stdout, keys.join("\n") + "\n", "ITEM:LOCALE, in item order: {run:?}");
    let run = rewind(s.port, &["env", "compare", "staging", "production", "-q", "--limit", "1"]);
    assert_eq!(run.stdout.trim(), keys[0], "{run:?}");

    let run = rewind(s.port, &["env", "compare", "nowhere", "production"]);
    assert_exit(&run, 5, "an unknown source");
    assert!(run.stderr.starts_with("error[environment_not_found]: "), "{run:?}");
    let run = rewind(s.port, &["env", "compare", "staging"]);
    assert_exit(&run, 2, "no target");
}

#[test]
fn k3_m2_env_promote_creates_the_release_and_refusals_exit_as_k2_says() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let (a, b, c) = two_environments(&s);
    let key_b = format!("{b}:en-us");

    for (args, what) in [
        (vec!["env", "promote", "staging", "production", "--wait"], "--wait without --deploy"),
        (vec!["env", "promote", "staging", "production", "--deploy", "--timeout", "1m"], "--timeout without --wait"),
        (vec!["env", "promote", "staging", "production", "--key", "nothing"], "a malformed key"),
        (vec!["env", "promote", "staging"], "no target"),
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 2, what);
        assert!(run.stderr.starts_with("error[usage]: "), "{what}: {run:?}");
    }
    for (args, code) in [
        (vec!["env", "promote", "production", "production"], "same_environment"),
        (vec!["env", "promote", "nowhere", "production"], "environment_not_found"),
        (vec!["env", "promote", "staging", "production", "--key", &format!("{c}:en-us")], "key_not_in_difference"),
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 5, code);
        assert!(run.stderr.starts_with(&format!("error[{code}]: ")), "{code}: {run:?}");
    }
    assert!(walk(&s, "/v1/releases").is_empty(), "no refusal created a release");

    // One key, named: a release of that key only, not deployed.
    let release =
        rewind_json(s.port, &["env", "promote", "staging", "production", "--key", &key_b, "--name", "Only b"]);
    assert_eq!((&release["name"], &release["item_count"]), (&json!("Only b"), &json!(1)), "{release}");
    assert_eq!(
        (&release["promotion"]["source"], &release["promotion"]["target"]),
        (&json!("staging"), &json!("production"))
    );
    assert!(walk(&s, &format!("/v1/releases/{}/deployments", release["id"].as_str().unwrap())).is_empty());

    // Every key, unpublishing what staging does not publish, deployed and followed: a table.
    let run = rewind(s.port, &["env", "promote", "staging", "production", "--unpublish-missing", "--deploy", "--wait"]);
    assert_exit(&run, 0, "promote --deploy --wait");
    assert_eq!(field(&run, "NAME"), "Promote staging to production", "{run:?}");
    assert_eq!(field(&run, "ITEMS"), "3");
    let deployed = run.stdout.split("deployed:").nth(1).unwrap_or_else(|| panic!("a deployed part: {run:?}"));
    assert!(deployed.contains(" succeeded "), "{run:?}");
    assert_eq!((published(&s, "production", &a), published(&s, "production", &b)), (json!(2), json!(1)));
    assert_eq!(published(&s, "production", &c), Value::Null, "unpublished as staging is");

    let run = rewind(s.port, &["env", "promote", "staging", "production", "--deploy"]);
    assert_exit(&run, 5, "nothing differs any more");
    assert!(run.stderr.starts_with("error[nothing_to_promote]: "), "{run:?}");

    // A deploy refused after the release was created: the release is printed, then the error.
    publish(&s, "staging", &c, 2);
    assert_exit(&rewind(s.port, &["env", "hold", "production", "--reason", "launch", "-q"]), 0, "hold");
    let run = rewind(s.port, &["env", "promote", "staging", "production", "--deploy", "-q"]);
    assert_exit(&run, 5, "a promotion deployed to a held environment");
    assert!(run.stderr.starts_with("error[environment_held]: "), "{run:?}");
    let created = s.call("GET", &format!("/v1/releases/{}", run.stdout.trim()), None, 200)["data"].clone();
    assert_eq!(created["promotion"]["source"], "staging", "the release's id was printed: {created}");
}

#[test]
fn k3_a2_promote_deploy_wait_waits_through_an_approval_from_another_user() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let (a, _, _) = two_environments(&s);
    let other = second_admin(&s, "reviewer");
    let as_other = [("REWIND_TOKEN", other.as_str())];

    for args in [
        vec!["env", "set", "production", "--approvals", "6"],
        vec!["env", "set", "production", "--hold-after-rollback", "true", "--approvals", "0", "--allow-self-approval"],
        vec!["env", "set", "production", "--allow-self-approval"],
    ] {
        let run = rewind(s.port, &args);
        assert_exit(&run, 2, &format!("{args:?}"));
        assert!(run.stderr.starts_with("error[usage]: "), "{args:?}: {run:?}");
    }
    assert_eq!(environment(&s, "production")["hold_after_rollback"], false, "no usage error wrote");
    let run = rewind(s.port, &["env", "set", "production", "--approvals", "1"]);
    assert_exit(&run, 0, "env set --approvals 1");
    assert_eq!(field(&run, "APPROVALS"), "1 required", "{run:?}");
    assert_eq!(environment(&s, "production")["approval_rule"], json!({"required": 1, "allow_self_approval": false}));

    // The client waits while the deployment awaits approval, and the other user gives it.
    let waiting = client(s.port, &["env", "promote", "staging", "production", "--deploy", "--wait"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rewind env promote");
    let id = awaiting(&s, "production", &[]);
    let run = rewind(s.port, &["deployment", "approve", &id]);
    assert_exit(&run, 3, "approving one's own deployment");
    assert!(run.stderr.starts_with("error[self_approval]: "), "{run:?}");
    let run = rewind(s.port, &["deployment", "show", &id]);
    assert_eq!((field(&run, "STATUS"), field(&run, "APPROVALS")), ("awaiting_approval (0/1)", "0/1 given"), "{run:?}");
    let run = rewind_with(s.port, &["deployment", "approve", &id, "--comment", "looks right"], &as_other);
    assert_exit(&run, 0, "approved by another user");
    assert_eq!(field(&run, "APPROVALS"), "1/1 given", "{run:?}");
    assert!(field(&run, "APPROVED BY").ends_with(": looks right"), "{run:?}");
    let run = finished(waiting.wait_with_output().unwrap());
    assert_exit(&run, 0, "promote --deploy --wait, once approved");
    assert!(run.stderr.contains(&format!("deployment {id} in production: awaiting_approval (0/1)")), "{run:?}");
    assert!(run.stderr.contains(&format!("deployment {id} in production: succeeded")), "{run:?}");
    assert_eq!(published(&s, "production", &a), 2);
    let run = rewind_with(s.port, &["deployment", "approve", &id], &as_other);
    assert_exit(&run, 5, "approving a deployment that no longer awaits approval");
    assert!(run.stderr.starts_with("error[not_awaiting_approval]: "), "{run:?}");

    // Nobody approves: --timeout ends the wait with 7, and the deployment still awaits approval.
    publish(&s, "staging", &a, 1);
    let run =
        rewind(s.port, &["env", "promote", "staging", "production", "--deploy", "--wait", "--timeout", "1s", "-q"]);
    assert_exit(&run, 7, "a wait for an approval that times out");
    let late = run.stdout.lines().nth(1).unwrap_or_else(|| panic!("the release's id, then the deployment's: {run:?}"));
    assert!(
        run.stderr.contains(&format!("error[wait_timed_out]: still awaiting approval after 1s: {late}")),
        "{run:?}"
    );
    assert_eq!(s.call("GET", &format!("/v1/deployments/{late}"), None, 200)["data"]["status"], "awaiting_approval");

    // Rejected: it ends cancelled, and following it is exit 1.
    let run = rewind_with(s.port, &["deployment", "reject", late], &as_other);
    assert_exit(&run, 2, "a rejection needs a comment");
    let run = rewind_with(s.port, &["deployment", "reject", late, "--comment", "not this week"], &as_other);
    assert_exit(&run, 0, "reject");
    assert_eq!(field(&run, "STATUS"), "cancelled", "{run:?}");
    assert!(field(&run, "REJECTED BY").ends_with(": not this week"), "{run:?}");
    let run = rewind(s.port, &["deployment", "watch", late]);
    assert_exit(&run, 1, "watching a rejected deployment");
    assert!(run.stderr.contains("error[deployment_cancelled]: ") && run.stderr.contains("was rejected by "), "{run:?}");
    assert_eq!(published(&s, "production", &a), 2, "the rejected deployment published nothing");

    // Two approvals, the deployer's allowed: approving twice is a conflict.
    let run = rewind(s.port, &["env", "set", "production", "--approvals", "2", "--allow-self-approval"]);
    assert_eq!(field(&run, "APPROVALS"), "2 required, self-approval allowed", "{run:?}");
    let run = rewind(s.port, &["env", "promote", "staging", "production", "--deploy", "-q"]);
    assert_exit(&run, 0, "promote --deploy");
    let two = run.stdout.lines().nth(1).unwrap().to_string();
    assert_exit(&rewind(s.port, &["deployment", "approve", &two, "-q"]), 0, "a self-approval the rule allows");
    let run = rewind(s.port, &["deployment", "approve", &two]);
    assert_exit(&run, 5, "approving twice");
    assert!(run.stderr.starts_with("error[already_approved]: "), "{run:?}");
    let run = rewind(s.port, &["deployment", "watch", &two, "--timeout", "1s"]);
    assert_exit(&run, 7, "still awaiting its second approval");
    assert!(run.stdout.contains("awaiting_approval (1/2)"), "{run:?}");
    assert_exit(&rewind_with(s.port, &["deployment", "approve", &two, "-q"], &as_other), 0, "the second approval");
    assert_eq!(ended(&s, &two)["status"], "succeeded");
    assert_eq!(published(&s, "production", &a), 1);

    // No rule: deployments run at once.
    let run = rewind(s.port, &["env", "set", "production", "--approvals", "0"]);
    assert_eq!(field(&run, "APPROVALS"), "none needed", "{run:?}");
    assert_eq!(environment(&s, "production")["approval_rule"], Value::Null);
}

#[test]
fn k3_m2_a2_the_readme_promotion_pipeline_runs_as_written() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let (a, _, _) = two_environments(&s);
    let other = second_admin(&s, "reviewer");
    let as_other = [("REWIND_TOKEN", other.as_str())];
    assert_exit(&rewind(s.port, &["env", "set", "production", "--approvals", "1", "-q"]), 0, "the rule");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("promote.sh"), readme_script("promote.sh")).unwrap();
    let promote = |wait: &str| script(&s, dir.path(), "promote.sh", &["staging", "production"], &[("WAIT", wait)]);

    // Approved while it waits: published, 0.
    let running = promote("10m");
    let id = awaiting(&s, "production", &[]);
    assert_exit(&rewind_with(s.port, &["deployment", "approve", &id, "-q"], &as_other), 0, "approve");
    let run = finished(running.wait_with_output().unwrap());
    assert_exit(&run, 0, "a promotion approved");
    assert!(run.stdout.starts_with("ITEM "), "the comparison first: {run:?}");
    assert_eq!(published(&s, "production", &a), 2);

    // Nothing differs: refused, 5.
    let run = finished(promote("10m").wait_with_output().unwrap());
    assert_exit(&run, 5, "nothing to promote");
    assert!(run.stderr.contains("error[nothing_to_promote]: "), "{run:?}");

    // Nobody approves in time: 7, and the deployment still awaits approval.
    publish(&s, "staging", &a, 1);
    let run = finished(promote("1s").wait_with_output().unwrap());
    assert_exit(&run, 7, "not approved in time");
    assert!(run.stderr.contains("not approved and done within 1s"), "{run:?}");
    let late = awaiting(&s, "production", &[]);

    // Rejected while it waits: 1, nothing published.
    let running = promote("10m");
    let id = awaiting(&s, "production", &[&late]);
    let run = rewind_with(s.port, &["deployment", "reject", &id, "--comment", "not now", "-q"], &as_other);
    assert_exit(&run, 0, "reject");
    let run = finished(running.wait_with_output().unwrap());
    assert_exit(&run, 1, "a promotion rejected");
    assert!(run.stderr.contains("rejected, cancelled or failed"), "{run:?}");
    assert_eq!(published(&s, "production", &a), 2, "nothing published");
}

/// The `item_id: version` of each entry of `env content … --output json`.
fn content_versions(port: u16, args: &[&str]) -> std::collections::BTreeMap<String, i64> {
    let entries = rewind_json(port, &[&["env", "content", "production"][..], args].concat());
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item_id"].as_str().unwrap().to_string(), e["version"].as_i64().unwrap()))
        .collect()
}

/// The environment `production` and three items of `versions` versions each, published at 1.
fn published_items(s: &Server, versions: i32) -> Vec<String> {
    env(s, "production");
    let items: Vec<String> = (0..3).map(|_| item(s, versions)).collect();
    for i in &items {
        publish(s, "production", i, 1);
    }
    items
}

#[test]
fn k3_v1_v2_env_content_now_at_a_time_after_a_deployment_and_as_if_a_release() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let items = published_items(&s, 3);
    std::thread::sleep(Duration::from_millis(50));
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(Duration::from_millis(50));
    let (_, deployed) = deployed_release(&s, "Two", "production", &[(&items[0], 2)]);
    publish(&s, "production", &items[1], 2);
    let next = release(&s, "Three", &[(&items[2], 3)]);
    let want = |v: [i64; 3]| items.iter().cloned().zip(v).collect::<std::collections::BTreeMap<_, _>>();

    // Every page, as the API's pages joined; then each point of V2.
    let pages = walk(&s, "/v1/environments/production/content");
    assert_eq!(rewind_json(s.port, &["env", "content", "production"]), Value::Array(pages), "now");
    assert_eq!(content_versions(s.port, &[]), want([2, 2, 1]), "now");
    assert_eq!(content_versions(s.port, &["--at", &before]), want([1, 1, 1]), "--at");
    assert_eq!(content_versions(s.port, &["--deployment", &deployed]), want([2, 1, 1]), "--deployment");
    assert_eq!(content_versions(s.port, &["--release", &next]), want([2, 2, 3]), "--release");
    assert_eq!(content_versions(s.port, &["--locale", "en-us", "--limit", "2"]).len(), 2, "--limit");
    let run = rewind(s.port, &["env", "content", "production"]);
    assert_exit(&run, 0, "a table");
    assert!(run.stdout.starts_with("ITEM  "), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 4, "a header and three entries: {run:?}");

    // One item: the API's entry; not published is 4; two points are a usage error.
    let one = s.call("GET", &format!("/v1/environments/production/content/{}", items[0]), None, 200)["data"].clone();
    assert_eq!(rewind_json(s.port, &["env", "content", "production", "--item", &items[0]]), one);
    let then = rewind_json(
        s.port,
        &["env", "content", "production", "--item", &items[0], "--locale", "en-us", "--at", &before],
    );
    assert_eq!(then["version"], 1, "{then}");
    let run = rewind(s.port, &["env", "content", "production", "--item", &items[0], "-q"]);
    assert_eq!(run.stdout.trim(), items[0], "{run:?}");
    let unpublished = item(&s, 1);
    let run = rewind(s.port, &["env", "content", "production", "--item", &unpublished]);
    assert_exit(&run, 4, "an item that is not published");
    assert!(run.stderr.starts_with("error[not_published]: "), "{run:?}");
    let run = rewind(s.port, &["env", "content", "production", "--at", &before, "--release", &next]);
    assert_exit(&run, 2, "--at with --release");
    let run = rewind(s.port, &["env", "content", "production", "--deployment", &next]);
    assert_exit(&run, 4, "a release's id is no deployment");
}

#[test]
fn k3_v3_env_sync_prints_whole_rounds_and_stores_the_cursor_only_after_the_round() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    let items = published_items(&s, 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("production.cursor");
    let f = file.to_str().unwrap();
    let args = ["env", "sync", "production", "--cursor-file", f, "--page-size", "2"];
    let sync = || rewind(s.port, &args);
    let entries = |run: &Run| -> Vec<Value> {
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
    };
    let stored = || std::fs::read_to_string(&file).unwrap();

    // No file: a full round over two pages, one line per entry, then its cursor in the file.
    let run = sync();
    assert_exit(&run, 0, "a full round");
    assert_eq!(entries(&run), walk(&s, "/v1/environments/production/sync"), "the API's round: {run:?}");
    assert_eq!(entries(&run).len(), 3);
    let (_, after) =
        http(s.port, "GET", &format!("/v1/environments/production/sync?cursor={}", stored().trim()), None).unwrap();
    assert_eq!(after["data"], json!([]), "the file holds the round's sync_cursor: {after}");

    // A publish and an unpublish: the next run prints exactly those two, in event order.
    publish(&s, "production", &items[0], 2);
    let body = json!({"item_id": items[1], "locale": "en-us"});
    s.call("POST", "/v1/environments/production/unpublish", Some(&body), 200);
    let run = sync();
    assert_exit(&run, 0, "a delta round");
    let delta = entries(&run);
    assert_eq!(delta.len(), 2, "{run:?}");
    assert_eq!(
        (&delta[0]["type"], &delta[0]["item_id"], &delta[0]["version"]),
        (&json!("publish"), &json!(items[0]), &json!(2))
    );
    let event = delta[1]["event_id"].clone();
    assert_eq!(delta[1], json!({"type": "unpublish", "item_id": items[1], "locale": "en-us", "event_id": event}));
    let run = sync();
    assert_exit(&run, 0, "nothing changed");
    assert_eq!(run.stdout, "", "an empty round");

    // Stdout cannot be written: the round is not complete, so the file keeps its cursor and the
    // next run prints the round again.
    publish(&s, "production", &items[2], 2);
    let kept = stored();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let run = finished(client(s.port, &args, &[]).stdout(full).output().unwrap());
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("cannot write to stdout"), "{run:?}");
    assert_eq!(stored(), kept, "the cursor file is unchanged");
    let run = sync();
    let again = entries(&run);
    assert_eq!((again.len(), &again[0]["item_id"], &again[0]["version"]), (1, &json!(items[2]), &json!(2)), "{run:?}");

    // A cursor the server refuses: 5, the file named, the file unchanged; --limit is a usage error.
    std::fs::write(&file, "not-a-cursor\n").unwrap();
    let run = sync();
    assert_exit(&run, 5, "a bad cursor file");
    assert!(run.stderr.starts_with("error[invalid_cursor]: ") && run.stderr.contains(f), "{run:?}");
    assert_eq!(stored(), "not-a-cursor\n");
    assert_exit(&rewind(s.port, &[&args[..], &["--limit", "1"]].concat()), 2, "--limit");

    // A content type's round: its publishes only.
    let typed = dir.path().join("posts.cursor");
    let run = rewind(
        s.port,
        &["env", "sync", "production", "--cursor-file", typed.to_str().unwrap(), "--content-type", "post"],
    );
    assert_exit(&run, 0, "a round of a content type with no items");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(typed.exists(), "its cursor is stored");
}

/// An item whose first version's content has `title`.
fn titled(s: &Server, title: &str) -> String {
    let body = json!({"kind": "entry", "content_type": "page", "locale": "en-us", "content": {"title": title}});
    s.call("POST", "/v1/items", Some(&body), 201)["data"]["id"].as_str().unwrap().to_string()
}

#[test]
fn u6_k3_tables_show_titles_and_release_names() {
    let db = TestDb::new();
    let s = Server::start(&db.url_string(), 1, &[]);
    env(&s, "production");
    env(&s, "staging");
    let home = titled(&s, "Home page");
    let about = titled(&s, "About us");
    let body = json!({"locale": "en-us", "content": {"title": "Home page, spring"}});
    s.call("POST", &format!("/v1/items/{home}/versions"), Some(&body), 201);
    publish(&s, "production", &home, 1);
    let (rel, deployed) = deployed_release(&s, "Spring launch", "production", &[(&home, 2), (&about, 1)]);
    let run = rewind(s.port, &["release", "deploy", &rel, "--env", "staging", "--at", "+1h", "-q"]);
    assert_exit(&run, 0, "schedule");

    let shows = |args: &[&str], texts: &[&str]| {
        let run = rewind(s.port, args);
        assert_exit(&run, 0, &format!("{args:?}"));
        for text in texts {
            assert!(run.stdout.contains(text), "{args:?} shows {text}: {run:?}");
        }
    };
    let titles = ["TITLE", "Home page, spring", "About us"];
    shows(&["env", "state", "production"], &titles);
    shows(&["env", "content", "production"], &titles);
    shows(&["deployment", "items", &deployed], &titles);
    shows(&["release", "preview", &rel, "--env", "staging"], &titles);
    shows(&["release", "deploy", &rel, "--env", "staging", "--dry-run"], &titles);
    shows(&["env", "content", "production", "--item", &about], &["About us"]);
    let names = ["RELEASE NAME", "Spring launch"];
    shows(&["env", "history", "production"], &names);
    shows(&["schedule"], &names);
    shows(&["env", "list"], &names);
    let run = rewind(s.port, &["deployment", "show", &deployed]);
    assert_eq!(field(&run, "RELEASE NAME"), "Spring launch", "{run:?}");
    assert_eq!(field(&run, "RELEASE"), rel);
}
