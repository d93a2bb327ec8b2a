//! S1, S2: deployments followed live as Server-Sent Events, from the process's deployment feed,
//! for the API and the console alike. A stream holds a receiver of the feed's one broadcast
//! channel and nothing else, so open streams cost memory, not work; it ends on its deployment's
//! final status, on shutdown, when its credential stops authenticating, or when the client goes
//! away (actix drops the body).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

use crate::deployment_document::Deployment;
use crate::domain::ids::DeploymentId;
use crate::domain::DeploymentStatus;
use crate::error::{json_text, AppError, AppResult};
use crate::runtime::feed::Change;
use crate::runtime::{db, AppState};
use crate::service::{console_sessions, deployments, environments, tokens};
use crate::shutdown::Shutdown;

/// One SSE event `deployment` carrying the deployment object.
fn event(json: &str) -> Bytes {
    Bytes::from(format!("event: deployment\ndata: {json}\n\n"))
}

/// The heartbeat: an SSE comment line, which clients ignore.
const HEARTBEAT: &str = ": heartbeat\n\n";

fn sse(body: impl Stream<Item = Result<Bytes, actix_web::Error>> + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

/// What a stream waits for next.
enum Next {
    Change(Result<Arc<Change>, RecvError>),
    Heartbeat,
    Stop,
}

/// The next change, or the heartbeat when `beat` comes first (it is due `heartbeat` after the
/// stream last sent anything, however many changes of other deployments it skipped meanwhile).
async fn next(rx: &mut Receiver<Arc<Change>>, beat: &mut Instant, heartbeat: Duration, shutdown: &Shutdown) -> Next {
    let due = *beat + heartbeat;
    let next = tokio::select! {
        c = rx.recv() => Next::Change(c),
        _ = tokio::time::sleep_until(due) => Next::Heartbeat,
        _ = shutdown.begun() => Next::Stop,
    };
    if matches!(next, Next::Heartbeat) {
        *beat = Instant::now();
    }
    next
}

/// What a stream was opened with, checked again at each heartbeat (T1: a revoked token, a
/// deactivated user or an ended console session ends the streams it opened).
#[derive(Debug, Clone)]
pub enum Credential {
    /// The hash of the request's bearer token.
    Token(String),
    /// The id of the console session (U1).
    ConsoleSession(String),
}

/// Whether the credential a stream was opened with still authenticates.
async fn still_allowed(state: &web::Data<AppState>, credential: &Credential) -> bool {
    let credential = credential.clone();
    let checked = db(state, move |c| match &credential {
        Credential::Token(hash) => tokens::authenticate_hash(c, hash).map(|_| ()),
        Credential::ConsoleSession(id) => console_sessions::by_id(c, id).map(|_| ()),
    })
    .await;
    !matches!(checked, Err(AppError::Unauthorized))
}

/// S1's stream of one deployment.
struct Following {
    state: web::Data<AppState>,
    rx: Receiver<Arc<Change>>,
    id: String,
    credential: Credential,
    /// What was sent last, its status, and whether it was final (then the stream ends).
    last: String,
    status: DeploymentStatus,
    ended: bool,
    /// When the stream last sent anything.
    beat: Instant,
}

impl Following {
    /// The next bytes to send, or `None` to end.
    async fn advance(&mut self) -> Option<Bytes> {
        let heartbeat = self.state.settings.stream_heartbeat;
        let shutdown = self.state.shutdown.clone();
        loop {
            if self.ended {
                return None;
            }
            let change = match next(&mut self.rx, &mut self.beat, heartbeat, &shutdown).await {
                Next::Stop | Next::Change(Err(RecvError::Closed)) => return None,
                Next::Heartbeat if !still_allowed(&self.state, &self.credential).await => return None,
                Next::Heartbeat => return Some(Bytes::from_static(HEARTBEAT.as_bytes())),
                // A change from before the one the stream opened with is left out.
                Next::Change(Ok(c)) if c.id == self.id && c.status.rank() >= self.status.rank() => {
                    (c.json.to_string(), c.status)
                }
                Next::Change(Ok(_)) => continue,
                // Fell behind: what it missed is read afresh.
                Next::Change(Err(RecvError::Lagged(_))) => {
                    let id = DeploymentId::stored(self.id.clone());
                    let Ok(view) = db(&self.state, move |c| deployments::get(c, &id)).await else { return None };
                    let status = view.row.status;
                    (json_text(&Deployment::from(view), "deployment"), status)
                }
            };
            let (json, status) = change;
            if json != self.last {
                self.ended = status.is_final();
                self.status = status;
                self.beat = Instant::now();
                let out = event(&json);
                self.last = json;
                return Some(out);
            }
        }
    }
}

/// S1's stream of the deployment `id`, for the API and the console's session alike; it ends
/// when `credential` no longer authenticates.
pub async fn follow(state: web::Data<AppState>, id: DeploymentId, credential: Credential) -> AppResult<HttpResponse> {
    // Subscribed before the read, so that no change after the read is missed.
    let rx = state.feed().subscribe();
    state.feed().poke();
    let view = {
        let id = id.clone();
        db(&state, move |c| deployments::get(c, &id)).await?
    };
    let ended = view.is_finished();
    let status = view.row.status;
    let first = json_text(&Deployment::from(view), "deployment");
    let opening = event(&first);
    let following = Following {
        state: state.clone(),
        rx,
        id: id.into_string(),
        credential,
        last: first,
        status,
        ended,
        beat: Instant::now(),
    };
    let rest = stream::unfold(following, |mut f| async move { f.advance().await.map(|b| (Ok(b), f)) });
    Ok(sse(stream::once(async move { Ok(opening) }).chain(rest)))
}

/// S2's stream of many deployments.
struct Watching {
    state: web::Data<AppState>,
    rx: Receiver<Arc<Change>>,
    environments: Vec<String>,
    credential: Credential,
    /// When the stream last sent anything.
    beat: Instant,
}

impl Watching {
    async fn advance(&mut self) -> Option<Bytes> {
        let heartbeat = self.state.settings.stream_heartbeat;
        let shutdown = self.state.shutdown.clone();
        loop {
            match next(&mut self.rx, &mut self.beat, heartbeat, &shutdown).await {
                Next::Stop | Next::Change(Err(RecvError::Closed)) => return None,
                Next::Heartbeat if !still_allowed(&self.state, &self.credential).await => return None,
                Next::Heartbeat => return Some(Bytes::from_static(HEARTBEAT.as_bytes())),
                Next::Change(Ok(c)) => {
                    let wanted = self.environments.is_empty() || self.environments.contains(&c.environment);
                    if c.status_changed && wanted {
                        self.beat = Instant::now();
                        return Some(event(&c.json));
                    }
                }
                // Fell behind: the stream ends rather than leave gaps, and the client connects
                // again (and reads what it missed from `GET /v1/deployments`).
                Next::Change(Err(RecvError::Lagged(missed))) => {
                    tracing::warn!(missed, "a deployment stream fell behind and is ended");
                    return None;
                }
            }
        }
    }
}

/// S2's stream of the deployments of `environments` (all when empty); it ends when `credential`
/// no longer authenticates, or when the server stops.
pub async fn watch(
    state: web::Data<AppState>,
    environments: Vec<String>,
    credential: Credential,
) -> AppResult<HttpResponse> {
    let rx = state.feed().subscribe();
    {
        let names = environments.clone();
        db(&state, move |c| names.iter().try_for_each(|n| environments::by_name(c, n).map(|_| ()))).await?;
    }
    state.feed().poke();
    let watching = Watching { state: state.clone(), rx, environments, credential, beat: Instant::now() };
    let opening = Bytes::from_static(b": following deployments\n\n");
    let rest = stream::unfold(watching, |mut w| async move { w.advance().await.map(|b| (Ok(b), w)) });
    Ok(sse(stream::once(async move { Ok(opening) }).chain(rest)))
}
