//! W2, W3: a real webhook receiver on 127.0.0.1 that checks every signature with the
//! `standardwebhooks` crate, independently of rewind's own signing, and can answer 500 or hang.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

/// How the receiver answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Ok,
    Fail,
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub webhook_id: String,
    pub body: Value,
    /// Whether the signature verified with the path's secret.
    pub verified: bool,
    /// Whether the receiver answered 2xx.
    pub accepted: bool,
}

#[derive(Default)]
pub struct ReceiverState {
    /// The secret of each path's endpoint.
    pub secrets: HashMap<String, String>,
    /// How to answer: the first entry is used (and removed, unless it is the last).
    pub modes: Vec<Mode>,
    pub got: Vec<Received>,
}

/// The test's webhook receiver.
#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    pub state: Arc<Mutex<ReceiverState>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<Mutex<ReceiverState>>) -> HttpResponse {
    let mut headers = http::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) =
            (http::HeaderName::from_bytes(name.as_str().as_bytes()), http::HeaderValue::from_bytes(value.as_bytes()))
        {
            headers.append(n, v);
        }
    }
    let path = req.path().to_string();
    let mode = {
        let mut st = state.lock().unwrap();
        let mode = if st.modes.len() > 1 { st.modes.remove(0) } else { st.modes.first().copied().unwrap_or(Mode::Ok) };
        let verified = st
            .secrets
            .get(&path)
            .map(|s| standardwebhooks::Webhook::new(s).unwrap().verify(&body, &headers).is_ok())
            .unwrap_or(false)
            && req.headers().get("content-type").is_some_and(|v| v == "application/json");
        st.got.push(Received {
            path,
            webhook_id: req.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            verified,
            accepted: mode == Mode::Ok,
        });
        mode
    };
    match mode {
        Mode::Ok => HttpResponse::NoContent().finish(),
        Mode::Fail => HttpResponse::InternalServerError().finish(),
        Mode::Hang => {
            actix_web::rt::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::NoContent().finish()
        }
    }
}

impl Receiver {
    /// Starts a receiver on `listener`, answering as `modes` say.
    pub fn start_on(listener: TcpListener, modes: Vec<Mode>) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(ReceiverState { modes, ..Default::default() }));
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
            .workers(2)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        actix_web::rt::spawn(server);
        Receiver { port, state }
    }

    pub fn start(modes: Vec<Mode>) -> Receiver {
        Receiver::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), modes)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn expect_secret(&self, path: &str, secret: &str) {
        self.state.lock().unwrap().secrets.insert(path.into(), secret.into());
    }

    pub fn set_modes(&self, modes: Vec<Mode>) {
        self.state.lock().unwrap().modes = modes;
    }

    pub fn got(&self, path: &str) -> Vec<Received> {
        self.state.lock().unwrap().got.iter().filter(|r| r.path == path).cloned().collect()
    }
}
