//! The browser tests' harness (tests/console_browser.rs, tests/console_promote.rs,
//! tests/console_content_browser.rs): Debian's
//! `chromium` in headless mode, driven over WebDriver (`chromium-driver`, through fantoccini),
//! and the steps a person takes on a console page: find, fill, click, wait, take a screenshot.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::serve;

/// `chromedriver` on a free port, killed when dropped.
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    /// Starts it and waits until it listens.
    pub fn start() -> Driver {
        let port = serve::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session (as root it needs `--no-sandbox`).
pub async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]}),
    );
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// Where the screenshots go: `target/console-screenshots/`.
pub fn shots_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves the page as it is at 1280 and at 390 px wide, then goes back to 1280.
pub async fn shoot(c: &Client, name: &str) {
    for (w, h) in [(390, 1400), (1280, 1000)] {
        c.set_window_size(w, h).await.expect("window size");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(shots_dir().join(format!("{name}-{w}.png")), png).expect("save screenshot");
    }
}

/// The element `selector` finds, waiting up to 20 s for it.
pub async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"))
}

/// Types `text` into the field `selector`, replacing what it held.
pub async fn fill(c: &Client, selector: &str, text: &str) {
    let e = css(c, selector).await;
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

/// Clicks the element `selector`.
pub async fn click(c: &Client, selector: &str) {
    css(c, selector).await.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

/// Runs a script in the page and answers its value.
pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script")
}

/// The path of the page the browser is at.
pub async fn path(c: &Client) -> String {
    c.current_url().await.expect("url").path().to_string()
}

/// Waits until the deployment page's progress shows 100% and a final status.
pub async fn wait_for_100(c: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = js(c, "var p = document.querySelector('#progress'); return p ? [p.getAttribute('data-percent'), p.getAttribute('data-final')] : null;").await;
        if v[0] == "100" && v[1].is_string() {
            return v[1].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the progress bar did not reach 100%: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the browser has left the page at `from`, and answers the path it is at.
pub async fn left(c: &Client, from: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = path(c).await;
        if now != from {
            return now;
        }
        assert!(Instant::now() < deadline, "still at {from}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in with `token` and lands on the overview.
pub async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/console/sign-in")).await.unwrap();
    fill(c, "#token", token).await;
    click(c, "#sign-in").await;
    css(c, "#environments").await;
    assert_eq!(path(c).await, "/console/");
}

/// The API's answer to `GET path` as the admin.
pub fn api(server: &serve::Server, path: &str) -> Value {
    server.call("GET", path, None, 200)["data"].clone()
}
