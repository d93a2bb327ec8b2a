//! The span every request runs in: tracing-actix-web's root span with its usual fields, except
//! that `http.target` has the values of secret-looking query parameters redacted, so that a token
//! sent as `?access_token=` never reaches the log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::HttpMessage;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// What a redacted query value is replaced with.
pub const REDACTED: &str = "redacted";

/// Query parameter names whose values are never logged, compared without case.
const SECRET_NAMES: [&str; 14] = [
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "signature",
    "sig",
    "authorization",
];

/// Whether a query parameter's value must not be logged: a known secret name, or any name that
/// speaks of a token, secret or password (`x_auth_token`, `db_password`).
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.contains(&name.as_str()) || ["token", "secret", "password"].iter().any(|w| name.contains(w))
}

/// A request target (path and query) as it may be logged: each secret parameter's value replaced
/// by `redacted`; names are judged percent-decoded, so `access%5Ftoken` is caught too.
pub fn loggable_target(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split_once('=').map_or(pair, |(n, _)| n);
            let name = url::form_urlencoded::parse(raw_name.as_bytes()).next().map(|(n, _)| n.into_owned());
            match name {
                Some(n) if secret_name(&n) => format!("{raw_name}={REDACTED}"),
                _ => pair.to_string(),
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// The root span builder of rewind's `TracingLogger`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = request.uri().path_and_query().map_or("", |p| p.as_str());
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let user_agent = request.headers().get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or("");
        let connection = request.connection_info();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.flavor = ?request.version(),
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %loggable_target(target),
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {route}", request.method()),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_secret_query_parameters_are_redacted_in_the_logged_target() {
        assert_eq!(loggable_target("/v1/me"), "/v1/me");
        assert_eq!(loggable_target("/v1/items?limit=5&cursor=abc"), "/v1/items?limit=5&cursor=abc");
        assert_eq!(
            loggable_target("/v1/me?access_token=abc&limit=5&API_KEY=x&db_password=p&access%5Ftoken=q&key"),
            "/v1/me?access_token=redacted&limit=5&API_KEY=redacted&db_password=redacted&access%5Ftoken=redacted&key=redacted"
        );
    }
}
