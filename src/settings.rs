//! The service's settings: limits and options of the HTTP API, the deployment engine, webhooks,
//! streams and the console. The defaults live here alone; the command line (`config`) takes them.

use std::time::Duration;

/// Largest JSON body (X2), in bytes.
pub(crate) const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest body when adding release items, in bytes.
pub(crate) const ITEMS_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Most items a release holds (L2).
pub(crate) const MAX_RELEASE_ITEMS: i64 = 100_000;
pub use crate::service::deployments::DEPLOY_PAGE;
/// S1: an open stream sends a comment line this often.
pub const STREAM_HEARTBEAT: Duration = Duration::from_secs(15);
/// Seconds an endpoint has to answer a delivery attempt (W3).
pub(crate) const WEBHOOK_TIMEOUT_SECONDS: f64 = 10.0;

/// Limits and options of the HTTP API.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest JSON body (X2), in bytes.
    pub body_limit: usize,
    /// Largest body when adding release items, in bytes.
    pub items_body_limit: usize,
    /// Most items a release holds (L2).
    pub max_release_items: i64,
    /// How many keys a deployment plans and writes at a time (`REWIND_DEPLOY_PAGE`).
    pub deploy_page: i64,
    /// Origins allowed by CORS; none disables it.
    pub cors_origins: Vec<String>,
    /// How webhook endpoints are checked and their messages delivered (W1, W3).
    pub webhooks: WebhookSettings,
    /// S1, S2: how often an open stream with nothing to say sends a comment line.
    pub stream_heartbeat: Duration,
    /// U1: the console's session cookie.
    pub console: ConsoleSettings,
}

/// U1: how long a console session lasts and whether its cookie is `Secure`.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// `Secure` on the session cookie (`REWIND_CONSOLE_SECURE_COOKIE=true`, behind HTTPS).
    pub secure_cookie: bool,
    /// How long a session lasts after sign-in (`REWIND_CONSOLE_SESSION_HOURS`, default 12).
    pub session_lifetime: chrono::TimeDelta,
    /// U1: the console's own origin as browsers see it, from `REWIND_PUBLIC_URL` (behind a proxy);
    /// `None`: the connection's own scheme and its `Host` header.
    pub public_origin: Option<url::Origin>,
}

/// U1: a console session lasts this many hours unless configured otherwise.
pub(crate) const CONSOLE_SESSION_HOURS: i64 = 12;

impl Default for ConsoleSettings {
    fn default() -> ConsoleSettings {
        ConsoleSettings {
            secure_cookie: false,
            session_lifetime: chrono::TimeDelta::hours(CONSOLE_SESSION_HOURS),
            public_origin: None,
        }
    }
}

/// Webhook settings: the private-address guard, the delivery timeout and the retry schedule.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow endpoints on loopback, private and link-local addresses (`REWIND_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// How long an endpoint has to answer an attempt (W3: 10 s).
    pub timeout: Duration,
    /// The waits before each retry; after the last one a delivery fails (W3: 5 s … 1 h).
    pub retry_schedule: Vec<Duration>,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            allow_private: false,
            timeout: Duration::from_secs_f64(WEBHOOK_TIMEOUT_SECONDS),
            retry_schedule: crate::domain::webhooks::default_schedule(),
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            body_limit: BODY_LIMIT,
            items_body_limit: ITEMS_BODY_LIMIT,
            max_release_items: MAX_RELEASE_ITEMS,
            deploy_page: DEPLOY_PAGE,
            cors_origins: vec![],
            webhooks: WebhookSettings::default(),
            stream_heartbeat: STREAM_HEARTBEAT,
            console: ConsoleSettings::default(),
        }
    }
}
