//! The steps many rules' scenarios share: users, environments, items, releases, deployments and
//! rollbacks, each asserted to have worked, and a deployment followed until it ends.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use rewind::domain::DeploymentStatus;
use serde_json::{json, Value};

use super::app::{TestApp, ADMIN, SETTLE_WITHIN};

impl<S> TestApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    /// Creates a user with a role and answers `(id, token)`.
    pub async fn user(&self, name: &str, role: &str) -> (String, String) {
        let (s, u) = self.post("/v1/users", ADMIN, json!({"name": name, "role": role})).await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let id = u["data"]["id"].as_str().unwrap().to_string();
        let (s, t) = self.post(&format!("/v1/users/{id}/tokens"), ADMIN, json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        (id, t["data"]["token"].as_str().unwrap().to_string())
    }

    /// An editor with a grant on each of `envs`.
    pub async fn editor(&self, name: &str, envs: &[&str]) -> (String, String) {
        let (id, token) = self.user(name, "editor").await;
        for e in envs {
            let (s, _) = self.req("PUT", &format!("/v1/users/{id}/grants/{e}"), ADMIN, None).await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        }
        (id, token)
    }

    pub async fn env(&self, name: &str) {
        let (s, v) = self.post("/v1/environments", ADMIN, json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    /// An entry with `versions` versions in `en`; answers its id.
    pub async fn item(&self, versions: i32) -> String {
        let (s, v) = self
            .post(
                "/v1/items",
                ADMIN,
                json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"v": 1}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_string();
        for n in 2..=versions {
            let (s, _) = self
                .post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "en", "content": {"v": n}}))
                .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        id
    }

    pub async fn publish(&self, env: &str, token: &str, item: &str, version: i32) -> (StatusCode, Value) {
        self.post(
            &format!("/v1/environments/{env}/publish"),
            token,
            json!({"item_id": item, "locale": "en", "version": version}),
        )
        .await
    }

    pub async fn unpublish(&self, env: &str, token: &str, item: &str) -> (StatusCode, Value) {
        self.post(&format!("/v1/environments/{env}/unpublish"), token, json!({"item_id": item, "locale": "en"})).await
    }

    /// The published version of `(item, en)` in `env` (None when unpublished or never written).
    pub async fn state(&self, env: &str, item: &str) -> Option<i64> {
        let (s, v) = self.get(&format!("/v1/environments/{env}/publish-state?item_id={item}"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].as_array().unwrap().iter().find(|x| x["locale"] == "en").and_then(|x| x["version"].as_i64())
    }

    /// The number of events of `env`, all items.
    pub async fn event_count(&self, env: &str) -> usize {
        let (_, v) = self.get(&format!("/v1/environments/{env}/events?limit=500"), ADMIN).await;
        v["data"].as_array().unwrap().len()
    }

    /// A standard release with `(item, action, version)` items in `en`; answers its id.
    pub async fn release(&self, token: &str, name: &str, items: &[(&str, &str, Option<i32>)]) -> String {
        let (s, v) = self.post("/v1/releases", token, json!({"name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_string();
        if !items.is_empty() {
            let items: Vec<Value> = items
                .iter()
                .map(|(i, a, v)| json!({"item_id": i, "locale": "en", "action": a, "version": v}))
                .collect();
            let (s, v) = self.post(&format!("/v1/releases/{id}/items"), token, json!({"items": items})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        id
    }

    /// Deploys and waits for the deployments to finish, however long a loaded machine takes
    /// (`Prefer: wait` answers after at most 30 s, and then each one still going is followed);
    /// answers the status and the body, with each deployment as it ended.
    pub async fn deploy(&self, release: &str, token: &str, envs: &[&str]) -> (StatusCode, Value) {
        let r = TestRequest::post()
            .uri(&format!("/v1/releases/{release}/deploy"))
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("prefer", "wait=30"))
            .set_json(json!({"environments": envs}));
        let (s, _, mut v) = self.call(r).await;
        if s == StatusCode::ACCEPTED {
            for d in v["data"].as_array_mut().into_iter().flatten() {
                if matches!(d["status"].as_str(), Some("queued" | "in_progress")) {
                    *d = self.finished(d["id"].as_str().unwrap()).await;
                }
            }
        }
        (s, v)
    }

    /// Deploys to one environment an hour from now; answers the status and body.
    pub async fn schedule_in_an_hour(&self, release: &str, token: &str, env: &str) -> (StatusCode, Value) {
        let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        self.post(&format!("/v1/releases/{release}/deploy"), token, json!({"environments": [env], "scheduled_at": at}))
            .await
    }

    /// B1: `POST /v1/releases/{release}/rollback` as `token` (the caller's rollback release).
    pub async fn rollback_release(&self, release: &str, token: &str) -> (StatusCode, Value) {
        self.post(&format!("/v1/releases/{release}/rollback"), token, json!({})).await
    }

    /// E1: `POST /v1/environments/{env}/rollback` as `token` with `body`.
    pub async fn rollback_environment(&self, env: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/v1/environments/{env}/rollback"), token, body).await
    }

    /// Deploys to one environment and asserts that the deployment succeeded; answers it.
    pub async fn deploy_ok(&self, release: &str, token: &str, env: &str) -> Value {
        let (s, v) = self.deploy(release, token, &[env]).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let d = v["data"][0].clone();
        assert_eq!(d["status"], "succeeded", "{d}");
        d
    }

    /// The start of many rules' scenarios: an item with one version, and `token`'s release "R"
    /// that publishes it, deployed to `env` (which must exist) and succeeded. Answers the item
    /// and the release.
    pub async fn deployed_release(&self, token: &str, env: &str) -> (String, String) {
        let item = self.item(1).await;
        let release = self.release(token, "R", &[(&item, "publish", Some(1))]).await;
        self.deploy_ok(&release, token, env).await;
        (item, release)
    }

    /// B1 as a step of a scenario: `token`'s rollback release of `release`, asserted created or
    /// found; answers its id.
    pub async fn rollback_release_id(&self, release: &str, token: &str) -> String {
        let (s, v) = self.rollback_release(release, token).await;
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s} {v}");
        v["data"]["id"].as_str().unwrap().to_string()
    }

    /// The environment object, as the API answers it.
    pub async fn environment(&self, env: &str) -> Value {
        let (s, v) = self.get(&format!("/v1/environments/{env}"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].clone()
    }

    /// A deployment as it stands, as the API answers it.
    pub async fn deployment(&self, id: &str) -> Value {
        let (s, v) = self.get(&format!("/v1/deployments/{id}"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].clone()
    }

    /// Polls a deployment until it has finished (or 30 s).
    pub async fn finished(&self, id: &str) -> Value {
        let deadline = std::time::Instant::now() + SETTLE_WITHIN;
        while std::time::Instant::now() < deadline {
            let (_, v) = self.get(&format!("/v1/deployments/{id}"), ADMIN).await;
            let status = v["data"]["status"].as_str().unwrap_or("").to_string();
            if DeploymentStatus::parse(&status).is_some_and(DeploymentStatus::is_final) {
                return v["data"].clone();
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("deployment {id} did not finish within {SETTLE_WITHIN:?}");
    }

    /// The per-key items of a deployment.
    pub async fn deployment_items(&self, id: &str) -> Vec<Value> {
        let (s, v) = self.get(&format!("/v1/deployments/{id}/items?limit=500"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].as_array().unwrap().clone()
    }
}
