//! The application: `configure`, the one place routes are wired, used the same way by `main` and
//! by the tests.

use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{middleware, web, HttpMessage, HttpResponse};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{
    self, admin, approvals, content, deployments, environments, holds, promotions, published, releases, streams,
    tokens, webhooks,
};
use crate::db;
use crate::error::AppError;
use crate::runtime::{self, AppState};
use crate::telemetry;

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    runtime::db(&state, |c| crate::db::ping(c).map_err(|_| AppError::Unavailable)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}

/// How long a scrape waits for a database connection before it answers with the queue gauges
/// as they were: a scrape must answer while the database is down.
const SCRAPE_DB_WAIT: Duration = Duration::from_secs(1);

async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    let stats =
        runtime::db_waiting(&state, Some(SCRAPE_DB_WAIT), |conn| Ok(db::queue_stats::stats(conn, db::now())?)).await;
    // Without the database the gauges keep their last values; the failure is logged where it arose.
    if let Ok(stats) = stats {
        telemetry::queue_observed(&stats);
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(telemetry::render())
}

fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |c, o| c.allowed_origin(o))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allow_any_header()
        .expose_headers(["x-request-id"])
}

/// Wires every route, extractor setting and middleware of the service.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    telemetry::recorder();
    let settings = state.settings.clone();
    let v1 = web::scope("/v1")
        .route("/me", web::get().to(admin::me))
        .route("/users", web::post().to(admin::create_user))
        .route("/users", web::get().to(admin::list_users))
        .route("/users/{id}", web::delete().to(admin::deactivate_user))
        .route("/users/{id}/tokens", web::post().to(tokens::create_token))
        .route("/users/{id}/tokens", web::get().to(tokens::list_tokens))
        .route("/users/{id}/tokens/{token_id}", web::delete().to(tokens::revoke_token))
        .route("/users/{id}/grants/{env}", web::put().to(admin::put_grant))
        .route("/users/{id}/grants/{env}", web::delete().to(admin::delete_grant))
        .route("/environments", web::post().to(environments::create))
        .route("/environments", web::get().to(environments::list))
        .route("/environments/{env}", web::get().to(environments::get))
        .route("/environments/{env}", web::patch().to(holds::update))
        .route("/environments/{env}/hold", web::post().to(holds::place))
        .route("/environments/{env}/hold", web::delete().to(holds::lift))
        .route("/environments/{env}/holds", web::get().to(holds::history))
        .route("/environments/{env}/freezes", web::post().to(holds::create_freeze))
        .route("/environments/{env}/freezes", web::get().to(holds::freezes))
        .route("/environments/{env}/freezes/{id}", web::delete().to(holds::delete_freeze))
        .route("/environments/{env}/approval-rule", web::put().to(approvals::set_rule))
        .route("/environments/{env}/approval-rule", web::delete().to(approvals::delete_rule))
        .route("/environments/{env}/compare", web::get().to(promotions::compare))
        .route("/environments/{env}/promote", web::post().to(promotions::promote))
        .route("/environments/{env}/publish", web::post().to(environments::publish))
        .route("/environments/{env}/unpublish", web::post().to(environments::unpublish))
        .route("/environments/{env}/publish-state", web::get().to(environments::publish_state))
        .route("/environments/{env}/events", web::get().to(environments::events))
        .route("/environments/{env}/deployments", web::get().to(environments::deployments))
        .route("/environments/{env}/rollback", web::post().to(environments::rollback))
        .route("/environments/{env}/rollback/preview", web::get().to(environments::rollback_preview))
        .route("/environments/{env}/content", web::get().to(published::list))
        .route("/environments/{env}/content/{item_id}", web::get().to(published::one))
        .route("/environments/{env}/sync", web::get().to(published::sync))
        .route("/items", web::post().to(content::create_item))
        .route("/items", web::get().to(content::list_items))
        .route("/items/{id}", web::get().to(content::get_item))
        .route("/items/{id}/versions", web::post().to(content::create_version))
        .route("/items/{id}/versions", web::get().to(content::list_versions))
        .route("/items/{id}/diff", web::get().to(content::diff))
        .route("/releases", web::post().to(releases::create))
        .route("/releases", web::get().to(releases::list))
        .route("/releases/{id}", web::get().to(releases::get))
        .route("/releases/{id}", web::patch().to(releases::update))
        .route("/releases/{id}", web::delete().to(releases::delete))
        .route("/releases/{id}/items", web::get().to(releases::list_items))
        .service(
            web::resource("/releases/{id}/items")
                .app_data(api::json_config(settings.items_body_limit))
                .route(web::post().to(releases::add_items)),
        )
        .route("/releases/{id}/items/{item_id}", web::delete().to(releases::remove_item))
        .route("/releases/{id}/deploy", web::post().to(releases::deploy))
        .route("/releases/{id}/deployments", web::get().to(releases::deployments))
        .route("/releases/{id}/rollback", web::post().to(releases::create_rollback))
        .route("/releases/{id}/rollbacks", web::get().to(releases::list_rollbacks))
        .route("/releases/{id}/preview", web::get().to(releases::preview))
        .route("/deployments", web::get().to(deployments::list))
        .route("/deployments/stream", web::get().to(streams::deployments))
        .route("/deployments/{id}/stream", web::get().to(streams::deployment))
        .route("/deployments/{id}", web::get().to(deployments::get))
        .route("/deployments/{id}/items", web::get().to(deployments::items))
        .route("/deployments/{id}/cancel", web::post().to(deployments::cancel))
        .route("/deployments/{id}/approve", web::post().to(approvals::approve))
        .route("/deployments/{id}/reject", web::post().to(approvals::reject))
        .route("/webhooks", web::post().to(webhooks::create))
        .route("/webhooks", web::get().to(webhooks::list))
        .route("/webhooks/{id}", web::get().to(webhooks::get))
        .route("/webhooks/{id}", web::delete().to(webhooks::delete))
        .route("/webhooks/{id}/deliveries", web::get().to(webhooks::deliveries))
        .route("/webhooks/{id}/deliveries/{delivery_id}/retry", web::post().to(webhooks::retry))
        .default_service(web::to(api::no_route))
        .wrap(middleware::from_fn(api::authenticate));
    let root = web::scope("")
        .app_data(state)
        .app_data(api::json_config(settings.body_limit))
        .app_data(web::PayloadConfig::new(settings.body_limit))
        .app_data(api::path_config())
        .app_data(api::query_config())
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_text))
        .route(
            "/docs",
            web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header(("location", "/docs/")).finish() }),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").external_url_unchecked("/openapi.json", api::docs::document()))
        .service(v1)
        .configure(crate::console::configure)
        .default_service(web::to(api::no_route))
        // Inside the request span and the request metrics, so that preflights are counted and logged.
        .wrap(middleware::Condition::new(!settings.cors_origins.is_empty(), cors(&settings.cors_origins)))
        // X1: what actix or CORS answered on its own is a problem too; the docs' pages carry the
        // console's security headers.
        .wrap(middleware::from_fn(crate::error::answers::as_problems))
        .wrap_fn(|req, srv| {
            let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                if docs {
                    for (name, value) in crate::console::PAGE_HEADERS {
                        res.headers_mut().insert(HeaderName::from_static(name), HeaderValue::from_static(value));
                    }
                }
                Ok(res)
            }
        })
        .wrap_fn(|req, srv| {
            let started = Instant::now();
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let req = res.request();
                telemetry::request_answered(req.method(), req.match_pattern(), res.status(), started.elapsed());
                let id = res.request().extensions().get::<RequestId>().map(|id| id.to_string());
                if let Some(Ok(v)) = id.map(|id| HeaderValue::from_str(&id)) {
                    res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
                }
                Ok(res)
            }
        })
        .wrap(TracingLogger::<crate::request_span::RequestSpan>::new());
    cfg.service(root);
}
