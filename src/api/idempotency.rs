//! What deploy and rollback requests share: `Idempotency-Key` (X3) and `Prefer: wait=N` (L6).

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::domain::DeploymentStatus;
use crate::error::{AppError, AppResult};
use crate::runtime::{db, AppState};
use crate::service::deployments::{self, DeploymentView};
use crate::service::idempotency::{self, Begin};
use crate::service::Caller;

/// The longest `Prefer: wait=N` honoured, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;

/// Answers `handle`'s result, or with an `Idempotency-Key` the first answer to the same request
/// by the same user within 24 hours. Only 2xx answers are kept.
pub async fn idempotent<F, Fut, T>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    caller: &Caller,
    body: &serde_json::Value,
    handle: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<(StatusCode, T)>>,
    T: Serialize,
{
    let key = req.headers().get("idempotency-key").map(|k| k.to_str().map(str::to_string));
    let Some(key) = key else {
        let (status, body) = handle().await?;
        return Ok(HttpResponse::build(status).json(body));
    };
    let key = key
        .ok()
        .filter(|k| k.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .ok_or_else(|| AppError::invalid_field("Idempotency-Key", "must be visible ASCII and spaces"))?;
    let r = idempotency::Request::new(&caller.id, &key, req.method().as_str(), req.path(), body)?;
    let begun = {
        let r = r.clone();
        db(state, move |c| idempotency::begin(c, &r)).await?
    };
    if let Begin::Replay { status, body } = begun {
        let status = StatusCode::from_u16(status).map_err(AppError::internal)?;
        return Ok(HttpResponse::build(status).content_type("application/json").body(body));
    }
    let result = handle().await;
    let (status, stored) = match &result {
        Ok((status, body)) => (status.as_u16(), Some(serde_json::to_string(body).map_err(AppError::internal)?)),
        Err(e) => (actix_web::ResponseError::status_code(e).as_u16(), None),
    };
    let stored_for_db = stored.clone();
    db(state, move |c| idempotency::finish(c, &r, status, stored_for_db.as_deref())).await?;
    let (status, _) = result?;
    Ok(HttpResponse::build(status).content_type("application/json").body(stored.unwrap_or_default()))
}

/// The seconds of `Prefer: wait=N`, at most 60; none when the header does not ask to wait.
pub fn prefer_wait(req: &HttpRequest) -> Option<Duration> {
    let prefer = req.headers().get_all("prefer").filter_map(|h| h.to_str().ok());
    prefer
        .flat_map(|h| h.split([',', ';']))
        .filter_map(|p| p.trim().strip_prefix("wait="))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .map(|n| Duration::from_secs(n.min(MAX_WAIT_SECONDS)))
        .next()
}

/// L6: waits until the deployments have finished or `wait` has passed, and answers them as they
/// stand then. Scheduled deployments, and those awaiting approval (A2), are not waited for.
pub async fn wait_for(
    state: &web::Data<AppState>,
    mut views: Vec<DeploymentView>,
    wait: Option<Duration>,
) -> AppResult<Vec<DeploymentView>> {
    let Some(wait) = wait else { return Ok(views) };
    let deadline = Instant::now() + wait;
    loop {
        let pending: Vec<String> = views
            .iter()
            .filter(|v| matches!(v.row.status, DeploymentStatus::Queued | DeploymentStatus::InProgress))
            .map(|v| v.row.id.clone())
            .collect();
        if pending.is_empty() || Instant::now() >= deadline {
            return Ok(views);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        let ids: Vec<String> = views.iter().map(|v| v.row.id.clone()).collect();
        views = db(state, move |c| deployments::get_many(c, &ids)).await?;
    }
}
