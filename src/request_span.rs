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

/// Words that make a query parameter's value secret when its name contains one of them,
/// compared without case (`access_token`, `API-KEY`, `passphrase`, `auth`, `x-signature`).
const SECRET_WORDS: [&str; 7] = ["token", "key", "secret", "pass", "auth", "signature", "session"];

/// Whether a query parameter's value must not be logged: its name contains a secret word, or it
/// is `sig` (a signature's usual short name).
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "sig" || SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// A request target (path and query) as it may be logged: each secret parameter's value replaced
/// by `redacted`. Parameters are separated by `&` or `;`, and names are judged percent-decoded,
/// so `access%5Ftoken` and `a=1;token=…` are caught too.
pub fn loggable_target(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_string();
    };
    let mut logged = format!("{path}?");
    let mut at = 0;
    for pair in query.split(['&', ';']) {
        if at > 0 {
            // The separator that ended the pair before, as it was sent.
            logged.push_str(&query[at - 1..at]);
        }
        at += pair.len() + 1;
        let raw_name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let name = url::form_urlencoded::parse(raw_name.as_bytes()).next().map(|(n, _)| n.into_owned());
        match name {
            Some(n) if secret_name(&n) => {
                logged.push_str(raw_name);
                logged.push('=');
                logged.push_str(REDACTED);
            }
            _ => logged.push_str(pair),
        }
    }
    logged
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

    #[test]
    fn x2_redaction_judges_decoded_names_by_their_words_and_takes_semicolons_as_separators() {
        assert_eq!(
            loggable_target("/v1/me?api%2Dkey=k1&passphrase=p1&auth=a1&a=1;access_token=t1;limit=5&Session-Id=s1&sig=x"),
            "/v1/me?api%2Dkey=redacted&passphrase=redacted&auth=redacted&a=1;access_token=redacted;limit=5&Session-Id=redacted&sig=redacted"
        );
        assert_eq!(loggable_target("/v1/items?limit=5;cursor=3"), "/v1/items?limit=5;cursor=3");
    }
}
