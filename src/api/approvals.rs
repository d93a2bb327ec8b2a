//! Approval rules and the approvals and rejections of deployments (A1, A2).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::{ApprovalRule, Data, Deployment, Environment};
use super::{from_json, optional_json, Auth};
use crate::domain::ids::DeploymentId;
use crate::error::AppResult;
use crate::http::path_id;
use crate::runtime::{change, db, AppState};
use crate::service::approvals;

/// `POST /v1/deployments/{id}/approve` (A2): the body is optional.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// Why it may run: 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub comment: Option<String>,
}

/// `POST /v1/deployments/{id}/reject` (A2).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// Why it must not run: 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub comment: String,
}

/// Admin, A1: sets the environment's approval rule; deployments created before keep theirs.
#[utoipa::path(put, path = "/v1/environments/{env}/approval-rule", operation_id = "setApprovalRule", tag = "approvals", params(("env" = String, Path, description = "environment name")), request_body = ApprovalRule, responses((status = 200, body = Data<Environment>)))]
pub async fn set_rule(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<ApprovalRule>>,
) -> AppResult<HttpResponse> {
    let rule = body.into_inner().0;
    let env =
        db(&state, move |c| approvals::set_rule(c, &caller, &env, rule.required, rule.allow_self_approval)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Environment::from(env) }))
}

/// Admin, A1: removes the environment's approval rule (also when it has none).
#[utoipa::path(delete, path = "/v1/environments/{env}/approval-rule", operation_id = "deleteApprovalRule", tag = "approvals", params(("env" = String, Path, description = "environment name")), responses((status = 204)))]
pub async fn delete_rule(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
) -> AppResult<HttpResponse> {
    db(&state, move |c| approvals::delete_rule(c, &caller, &env)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A2: approves a deployment awaiting approval; the approval that completes it lets it run.
#[utoipa::path(post, path = "/v1/deployments/{id}/approve", operation_id = "approveDeployment", tag = "approvals", params(("id" = uuid::Uuid, Path, description = "deployment id")), request_body(content = Option<Approve>, description = "optional: no body is the same as `{}`"), responses((status = 200, body = Data<Deployment>)))]
pub async fn approve(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id: DeploymentId = path_id(&id)?;
    let b: Approve = from_json(optional_json(&body)?)?;
    let d = change(&state, move |c| approvals::approve(c, &caller, &id, b.comment)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Deployment::from(d) }))
}

/// A2: rejects a deployment awaiting approval: it ends `cancelled` and never runs.
#[utoipa::path(post, path = "/v1/deployments/{id}/reject", operation_id = "rejectDeployment", tag = "approvals", params(("id" = uuid::Uuid, Path, description = "deployment id")), request_body = Reject, responses((status = 200, body = Data<Deployment>)))]
pub async fn reject(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<super::Object<Reject>>,
) -> AppResult<HttpResponse> {
    let id: DeploymentId = path_id(&id)?;
    let comment = body.into_inner().0.comment;
    let d = change(&state, move |c| approvals::reject(c, &caller, &id, comment)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Deployment::from(d) }))
}
