//! The client's HTTP side (K1, K2): requests with the bearer token, retries of 503 and
//! connection errors with backoff (the same `Idempotency-Key` each time), problem+json answers
//! turned into [`Failure`]s, and lists read page after page.

use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::args::ClientArgs;
use super::failure::{code, Failure};
use crate::api::wire::{Data, List};
use crate::error::ProblemCode;

/// The longest page the API gives (X4).
const PAGE: u64 = 500;
/// Each request but a stream must be answered within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The first wait before a retry; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Whether a request may be sent again after an answer that may have come after its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, deletes, and writes with an `Idempotency-Key`: retried on 503 and on any
    /// transport error.
    Safe,
    /// Other writes: retried only when the connection could not be made (nothing was sent).
    OnlyUnsent,
}

/// A rewind server, as the client speaks to it.
pub struct Api {
    http: Client,
    base: Url,
    token: Option<HeaderValue>,
    retries: u32,
    verbose: bool,
}

/// A query string's pairs.
pub type Query<'a> = Vec<(&'a str, String)>;

impl Api {
    /// The server of `--server`, spoken to with `--token`.
    pub fn new(args: &ClientArgs) -> Result<Api, Failure> {
        let base = Url::parse(&args.server)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| Failure::usage(format!("--server {} is not an http or https URL", args.server)))?;
        let token = match &args.token {
            Some(t) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {t}"))
                    .map_err(|_| Failure::usage("the token holds characters a header cannot carry"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let http = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("rewind-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::new(code::CONNECTION, format!("cannot build the HTTP client: {e}")))?;
        Ok(Api { http, base, token, retries: args.retries, verbose: args.verbose })
    }

    /// The URL of `segments` under the server (each segment percent-encoded).
    pub fn url(&self, segments: &[&str], query: &Query) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// `GET` of a single resource: its `data`.
    pub fn get<T: DeserializeOwned>(&self, segments: &[&str], query: Query) -> Result<T, Failure> {
        let url = self.url(segments, &query);
        let answer = self.send(Method::GET, url, None, None, Retry::Safe, REQUEST_TIMEOUT)?;
        Ok(read::<Data<T>>(answer)?.data)
    }

    /// `GET` of an answer read whole, not only its `data` (a sync page and its cursors).
    pub fn get_whole<T: DeserializeOwned>(&self, segments: &[&str], query: Query) -> Result<T, Failure> {
        let url = self.url(segments, &query);
        read(self.send(Method::GET, url, None, None, Retry::Safe, REQUEST_TIMEOUT)?)
    }

    /// Every page of a list (or the first `limit` rows), joined.
    pub fn list<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: Query,
        limit: Option<u64>,
    ) -> Result<Vec<T>, Failure> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let want = limit.map(|l| l - rows.len() as u64).unwrap_or(PAGE).min(PAGE);
            let mut q = query.clone();
            q.push(("limit", want.to_string()));
            if let Some(c) = cursor.take() {
                q.push(("cursor", c));
            }
            let url = self.url(segments, &q);
            let page: List<T> = read(self.send(Method::GET, url, None, None, Retry::Safe, REQUEST_TIMEOUT)?)?;
            rows.extend(page.data);
            let full = limit.is_some_and(|l| rows.len() as u64 >= l);
            match page.next_cursor {
                Some(next) if !full => cursor = Some(next),
                _ => return Ok(rows),
            }
        }
    }

    /// `POST` with a JSON body (and an `Idempotency-Key`, which makes it safe to retry): its `data`.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: Option<&B>,
        key: Option<&str>,
    ) -> Result<T, Failure> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Failure::new(code::BAD_ANSWER, format!("cannot write the request: {e}")))?;
        let retry = if key.is_some() { Retry::Safe } else { Retry::OnlyUnsent };
        let url = self.url(segments, &Vec::new());
        Ok(read::<Data<T>>(self.send(Method::POST, url, body, key, retry, REQUEST_TIMEOUT)?)?.data)
    }

    /// `PATCH` with a JSON body: its `data`. Setting fields to values is idempotent, so it is
    /// retried as a read is.
    pub fn patch<B: Serialize, T: DeserializeOwned>(&self, segments: &[&str], body: &B) -> Result<T, Failure> {
        self.set(Method::PATCH, segments, body)
    }

    /// `PUT` with a JSON body: its `data`. Putting a resource in place is idempotent, so it is
    /// retried as a read is.
    pub fn put<B: Serialize, T: DeserializeOwned>(&self, segments: &[&str], body: &B) -> Result<T, Failure> {
        self.set(Method::PUT, segments, body)
    }

    /// An idempotent write (`PATCH`, `PUT`) of a JSON body: its `data`.
    fn set<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: &B,
    ) -> Result<T, Failure> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Failure::new(code::BAD_ANSWER, format!("cannot write the request: {e}")))?;
        let url = self.url(segments, &Vec::new());
        Ok(read::<Data<T>>(self.send(method, url, Some(body), None, Retry::Safe, REQUEST_TIMEOUT)?)?.data)
    }

    /// `DELETE` that answers what it did (200): its `data`. Sent again only when the connection
    /// could not be made, since a repeat would not answer the same (lifting a hold twice is 409).
    pub fn delete_answering<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, Failure> {
        let url = self.url(segments, &Vec::new());
        Ok(read::<Data<T>>(self.send(Method::DELETE, url, None, None, Retry::OnlyUnsent, REQUEST_TIMEOUT)?)?.data)
    }

    /// `DELETE`; answers nothing (204).
    pub fn delete(&self, segments: &[&str]) -> Result<(), Failure> {
        let url = self.url(segments, &Vec::new());
        self.send(Method::DELETE, url, None, None, Retry::Safe, REQUEST_TIMEOUT).map(drop)
    }

    /// Opens a Server-Sent Events stream that may stay open up to `timeout`.
    pub fn stream(&self, segments: &[&str], timeout: Duration) -> Result<Response, Failure> {
        let url = self.url(segments, &Vec::new());
        self.send(Method::GET, url, None, None, Retry::Safe, timeout)
    }

    /// Sends a request, retrying 503 (and 502, 504, `idempotency_key_in_use`) and transport
    /// errors as `retry` allows, with backoff; answers a 2xx response or the failure.
    fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        key: Option<&str>,
        retry: Retry,
        timeout: Duration,
    ) -> Result<Response, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req: RequestBuilder = self.http.request(method.clone(), url.clone()).timeout(timeout);
            if let Some(token) = &self.token {
                req = req.header(AUTHORIZATION, token.clone());
            }
            if let Some(key) = key {
                req = req.header("idempotency-key", key);
            }
            if let Some(body) = &body {
                req = req.header("content-type", "application/json").body(body.clone());
            }
            if self.verbose {
                let auth = if self.token.is_some() { ", authorization: Bearer <hidden>" } else { "" };
                let key = key.map(|k| format!(", idempotency-key: {k}")).unwrap_or_default();
                eprintln!("> {method} {url} (attempt {attempt}{auth}{key})");
            }
            let started = Instant::now();
            let failure = match req.send() {
                Ok(answer) => {
                    let status = answer.status();
                    if self.verbose {
                        eprintln!("< {} ({} ms)", status.as_u16(), started.elapsed().as_millis());
                    }
                    if status.is_success() {
                        return Ok(answer);
                    }
                    let failure = problem(status, answer);
                    let again = matches!(status.as_u16(), 502..=504)
                        || failure.code == ProblemCode::IdempotencyKeyInUse.as_str();
                    if !(again && retry == Retry::Safe) {
                        return Err(failure);
                    }
                    failure
                }
                Err(e) => {
                    if self.verbose {
                        eprintln!("< no answer: {}", transport(&e));
                    }
                    let failure = Failure::new(code::CONNECTION, format!("{method} {url}: {}", transport(&e)));
                    if !(e.is_connect() || retry == Retry::Safe) {
                        return Err(failure);
                    }
                    failure
                }
            };
            if attempt > self.retries {
                return Err(Failure { detail: format!("{} (after {} attempts)", failure.detail, attempt), ..failure });
            }
            let backoff = FIRST_BACKOFF.saturating_mul(1 << (attempt - 1).min(5)).min(MAX_BACKOFF);
            if self.verbose {
                eprintln!("  retrying in {} ms", backoff.as_millis());
            }
            std::thread::sleep(backoff);
        }
    }
}

/// A transport error in words, with its causes (cargo's tone); it never holds a header.
fn transport(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The failure a non-2xx answer stands for: its problem+json `code` and `detail` (X1).
fn problem(status: StatusCode, answer: Response) -> Failure {
    #[derive(serde::Deserialize)]
    struct Problem {
        code: String,
        detail: Option<String>,
        title: Option<String>,
    }
    let text = answer.text().unwrap_or_default();
    match serde_json::from_str::<Problem>(&text) {
        Ok(p) => Failure {
            code: p.code,
            detail: p.detail.or(p.title).unwrap_or_else(|| status.to_string()),
            status: Some(status.as_u16()),
        },
        Err(_) => Failure {
            code: format!("http_{}", status.as_u16()),
            detail: status.to_string(),
            status: Some(status.as_u16()),
        },
    }
}

/// Reads a 2xx answer's JSON body as the wire type `T`.
fn read<T: DeserializeOwned>(answer: Response) -> Result<T, Failure> {
    let url = answer.url().clone();
    let bytes = answer
        .bytes()
        .map_err(|e| Failure::new(code::CONNECTION, format!("reading the answer of {url}: {}", transport(&e))))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::new(code::BAD_ANSWER, format!("the answer of {url} is not what the API documents: {e}")))
}
