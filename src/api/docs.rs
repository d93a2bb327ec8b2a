//! The OpenAPI 3.1 document, generated from the handlers and wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, content, deployments, environments, releases, webhooks};

/// Declares the bearer token every `/v1` route takes.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API of rewind, as served at `/openapi.json` and rendered at `/docs`.
#[derive(OpenApi)]
#[openapi(
    info(title = "rewind", description = "Release and rollback backend of a headless CMS"),
    paths(
        admin::me, admin::create_user, admin::list_users, admin::create_token, admin::put_grant, admin::delete_grant,
        environments::create, environments::list, environments::get, environments::publish, environments::unpublish,
        environments::publish_state, environments::events, environments::deployments, environments::rollback,
        content::create_item, content::list_items, content::get_item, content::create_version, content::list_versions,
        releases::create, releases::list, releases::get, releases::update, releases::delete, releases::list_items,
        releases::add_items, releases::remove_item, releases::deploy, releases::deployments, releases::preview,
        releases::create_rollback, releases::list_rollbacks,
        deployments::get, deployments::items, deployments::cancel,
        webhooks::create, webhooks::list, webhooks::get, webhooks::delete, webhooks::deliveries, webhooks::retry,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;
