//! X1: every error is problem+json with a stable code, also those that actix or a middleware
//! makes on its own; the `/docs` pages carry the console's security headers (U1).

mod common;
mod serve;
mod signed_in;

use std::io::{Read, Write};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{spawn, spawn_with};
use rewind::settings::Settings;

fn problem_kind(headers: &actix_web::http::header::HeaderMap) -> &str {
    headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[actix_web::test]
async fn x1_an_unknown_docs_page_is_a_problem_and_the_docs_carry_the_console_s_headers() {
    let app = spawn().await;
    let (s, headers, v) = app.call(TestRequest::get().uri("/docs/x")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(problem_kind(&headers), "application/problem+json");
    assert_eq!(v["code"], "not_found", "{v}");
    for path in ["/docs", "/docs/", "/docs/x"] {
        let (_, headers, _) = app.call(TestRequest::get().uri(path)).await;
        assert_eq!(headers.get("content-security-policy").unwrap(), rewind::console::CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY", "{path}");
    }
}

#[actix_web::test]
async fn x1_a_foreign_origin_s_cors_preflight_is_a_problem() {
    let app = spawn_with(Settings { cors_origins: vec!["https://cms.example".into()], ..Settings::default() }).await;
    let preflight = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/v1/releases")
        .insert_header(("origin", "https://evil.example"))
        .insert_header(("access-control-request-method", "POST"));
    let (s, headers, v) = app.call(preflight).await;
    assert!(s.is_client_error(), "{s}");
    assert_eq!(problem_kind(&headers), "application/problem+json", "{v}");
    assert_eq!(v["code"], "invalid_request", "{v}");
    assert_eq!(v["status"], s.as_u16());
}

#[actix_web::test]
async fn x1_a_console_sign_in_body_over_its_limit_is_a_problem() {
    let app = spawn().await;
    let token = "t".repeat(17 * 1024);
    let a = signed_in::post(&app, "/console/sign-in", None, Some(signed_in::ORIGIN), &[("token", &token)]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem_kind(&a.headers), "application/problem+json", "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["code"], "payload_too_large", "{v}");
}

#[test]
fn x1_a_body_with_an_oversized_chunk_is_a_problem_without_actix_s_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve::Server::start(&dir.path().join("rewind.db").to_string_lossy(), 1, &[]);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "POST /v1/releases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        serve::TOKEN
    )
    .unwrap();
    // The body comes once the request is being read, as a slow client's would.
    std::thread::sleep(std::time::Duration::from_millis(300));
    stream.write_all(b"fffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n").unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    assert!(head.starts_with("HTTP/1.1 400"), "{raw:?}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{raw}");
    assert!(body.contains("\"code\":\"invalid_request\""), "{raw}");
    assert!(body.contains("\"detail\":\"the request body could not be read\""), "actix's own text: {raw}");
}
