//! Comparing two environments and promoting one onto another (M1, M2).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::wire::{Data, List, Release, SelectedKey};
use super::Auth;
use crate::db::promotions::DifferenceRow;
use crate::error::AppResult;
use crate::http::{page_params, Cursor};
use crate::runtime::{db, AppState};
use crate::service::promotions::{self, Promotion};

/// `GET /v1/environments/{env}/compare` (M1).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    /// The environment to compare with (its name).
    pub source: String,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before: `<item_id>:<locale>`.
    #[param(
        pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[a-z]{2,3}(-[a-z0-9]{2,8})*$",
        max_length = 72
    )]
    pub cursor: Option<String>,
}

/// M1: a key whose publish state differs between the source and this environment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Difference {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
    /// The version the source publishes, or null.
    pub source_version: Option<i32>,
    /// The version this environment publishes, or null.
    pub target_version: Option<i32>,
}

impl From<DifferenceRow> for Difference {
    fn from(d: DifferenceRow) -> Difference {
        Difference {
            item_id: d.item_id,
            locale: d.locale,
            source_version: d.source_version,
            target_version: d.target_version,
        }
    }
}

/// `POST /v1/environments/{env}/promote` (M2).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promote {
    /// The environment to promote from (its name); not this one.
    pub source: String,
    /// The release's name; `Promote <source> to <env>` when left out.
    pub name: Option<String>,
    /// Also unpublish what this environment publishes and the source does not.
    #[serde(default)]
    pub unpublish_missing: bool,
    /// Only these keys (1 to 10,000, each once), each one the promotion changes.
    #[schema(min_items = 1, max_items = 10000)]
    pub keys: Option<Vec<SelectedKey>>,
}

/// M1: the keys whose publish state differs between `source` and this environment, in item then
/// locale order.
#[utoipa::path(get, path = "/v1/environments/{env}/compare", operation_id = "compareEnvironments", tag = "promotion", params(("env" = String, Path, description = "environment name"), CompareQuery), responses((status = 200, body = List<Difference>)))]
pub async fn compare(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<CompareQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::Key);
    let list = db(&state, move |c| promotions::compare(c, &env, &q.source, page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Difference::from)))
}

/// M2: creates a standard release that makes this environment publish what `source` does.
#[utoipa::path(post, path = "/v1/environments/{env}/promote", operation_id = "promoteEnvironment", tag = "promotion", params(("env" = String, Path, description = "environment name")), request_body = Promote, responses((status = 201, body = Data<Release>)))]
pub async fn promote(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<Promote>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let max = state.settings.max_release_items;
    let promotion = SelectedKey::keys(b.keys).map(|keys| Promotion {
        source: b.source,
        name: b.name,
        unpublish_missing: b.unpublish_missing,
        keys,
    });
    let r = db(&state, move |c| promotions::promote(c, &caller, &env, promotion, max)).await?;
    Ok(HttpResponse::Created().json(Data { data: Release::from(r) }))
}
