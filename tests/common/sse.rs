//! Server-Sent Events (S1, S2) read from a stream's body, event by event.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

use super::app::TestApp;

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
