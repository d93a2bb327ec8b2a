//! U2 (admin): webhook endpoints and their deliveries (W1, W4). Every use case checks the admin
//! role itself; the pages are offered to admins only.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::views::{self, filters, next_link, CursorQuery};
use super::{html, page, see_other, Chrome, Form, Page, Session};
use crate::api::wire::Delivery;
use crate::domain::ids::EndpointId;
use crate::domain::webhooks::WebhookEvent;
use crate::http::Cursor;
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::webhooks;

const PAGE: i64 = 50;

/// An endpoint in the list.
pub struct WebhookLine {
    pub id: String,
    pub url: String,
    pub events: String,
    pub environments: String,
    pub description: Option<String>,
}

impl From<webhooks::EndpointView> for WebhookLine {
    fn from(e: webhooks::EndpointView) -> WebhookLine {
        WebhookLine {
            events: e.events.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
            environments: e.environments.clone().map(|v| v.join(", ")).unwrap_or_else(|| "all".into()),
            url: webhooks::shown_url(&e.row.url),
            id: e.row.id,
            description: e.row.description,
        }
    }
}

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    webhooks: Vec<WebhookLine>,
    next: Option<String>,
    events: Vec<&'static str>,
    /// W1: the secret of an endpoint just registered, shown on this answer only.
    new_secret: Option<String>,
}

async fn webhooks_page(
    state: &web::Data<AppState>,
    s: &Session,
    cursor: Option<String>,
    new_secret: Option<String>,
) -> Page {
    let p = views::page(&cursor, PAGE, Cursor::Id);
    let caller = s.caller().clone();
    let list = db(state, move |c| webhooks::list(c, &caller, p)).await?;
    let status = if new_secret.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok(html(
        status,
        &WebhooksPage {
            c: Chrome::from(s),
            next: next_link("/console/webhooks?", &list.next_cursor),
            webhooks: list.data.into_iter().map(WebhookLine::from).collect(),
            events: WebhookEvent::ALL.iter().map(|e| e.as_str()).collect(),
            new_secret,
        },
    ))
}

/// Admin: the webhook endpoints.
pub async fn webhooks(state: web::Data<AppState>, s: Session, q: web::Query<CursorQuery>) -> Page {
    webhooks_page(&state, &s, q.into_inner().cursor, None).await
}

/// The form that registers an endpoint.
#[derive(Deserialize)]
pub struct WebhookForm {
    url: String,
    #[serde(default)]
    events: Vec<WebhookEvent>,
    environments: Option<String>,
    description: Option<String>,
}

/// W1: registers an endpoint and shows its secret once.
pub async fn create_webhook(state: web::Data<AppState>, f: Form<WebhookForm>) -> Page {
    let caller = f.session.caller().clone();
    let form = f.form;
    let envs: Vec<String> =
        form.environments.unwrap_or_default().split([',', ' ']).filter(|s| !s.is_empty()).map(String::from).collect();
    let new = webhooks::NewEndpoint {
        url: form.url.trim().into(),
        events: form.events,
        environments: (!envs.is_empty()).then_some(envs),
        description: form.description.filter(|d| !d.trim().is_empty()),
    };
    let allow = state.settings.webhooks.allow_private;
    let (_, secret) = db(&state, move |c| webhooks::create(c, &caller, new, allow)).await?;
    webhooks_page(&state, &f.session, None, Some(secret)).await
}

#[derive(Template)]
#[template(path = "console/webhook.html")]
struct WebhookPage {
    c: Chrome,
    w: WebhookLine,
    deliveries: Vec<Delivery>,
    next: Option<String>,
}

/// Admin: an endpoint and its deliveries (W4).
pub async fn webhook(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    q: web::Query<CursorQuery>,
) -> Page {
    let id: EndpointId = crate::http::path_id(&id)?;
    let p = views::page(&q.cursor, PAGE, Cursor::EventId);
    let caller = s.caller().clone();
    let (w, list) = db(&state, {
        let id = id.clone();
        move |c| Ok((webhooks::get(c, &caller, Ok(id.clone()))?, webhooks::deliveries(c, &caller, Ok(id), p)?))
    })
    .await?;
    page(&WebhookPage {
        c: Chrome::from(&s),
        w: WebhookLine::from(w),
        deliveries: list.data.into_iter().map(Delivery::from).collect(),
        next: next_link(&format!("/console/webhooks/{id}?"), &list.next_cursor),
    })
}

/// What the delete and retry buttons post: only their CSRF token.
#[derive(Deserialize)]
pub struct ButtonForm {}

/// W1: deletes an endpoint (its pending deliveries stop).
pub async fn delete_webhook(state: web::Data<AppState>, f: Form<ButtonForm>, id: web::Path<String>) -> Page {
    let id: EndpointId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    db(&state, move |c| webhooks::delete(c, &caller, Ok(id))).await?;
    Ok(see_other("/console/webhooks"))
}

/// W4: queues a failed delivery again.
pub async fn retry_delivery(
    state: web::Data<AppState>,
    f: Form<ButtonForm>,
    path: web::Path<(String, String)>,
) -> Page {
    let (id, delivery) = path.into_inner();
    let id: EndpointId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    db(&state, {
        let id = id.clone();
        move |c| webhooks::retry(c, &caller, Ok(id), webhooks::delivery_id(&delivery))
    })
    .await?;
    Ok(see_other(&format!("/console/webhooks/{id}")))
}
