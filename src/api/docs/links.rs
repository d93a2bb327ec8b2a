//! The OpenAPI links between operations.

use serde_json::{json, Map, Value};

/// OpenAPI links from the ids a call answers to the calls that use them, so that a client (or a
/// stateful fuzzer) can walk create release → add items → deploy → rollback → preview → deploy.
pub fn links(operation: &str) -> Vec<(&'static str, Value)> {
    let to = |targets: &[&str], params: Value| -> Value {
        let mut m = Map::new();
        for t in targets {
            m.insert(t.to_string(), json!({"operationId": t, "parameters": params.clone()}));
        }
        Value::Object(m)
    };
    let release_ops = [
        "getRelease",
        "updateRelease",
        "listReleaseItems",
        "addReleaseItems",
        "deployRelease",
        "listReleaseDeployments",
        "previewRelease",
        "createRollbackRelease",
        "listRollbackReleases",
        "deleteRelease",
    ];
    let deployment_ops = ["getDeployment", "listDeploymentItems", "cancelDeployment"];
    let environment_ops = [
        "getEnvironment",
        "publish",
        "unpublish",
        "getPublishState",
        "listEvents",
        "listEnvironmentDeployments",
        "rollbackEnvironment",
        "previewEnvironmentRollback",
    ];
    match operation {
        "createRelease" => vec![("201", to(&release_ops, json!({"id": "$response.body#/data/id"})))],
        "createRollbackRelease" => {
            let l = to(&release_ops, json!({"id": "$response.body#/data/id"}));
            vec![("201", l.clone()), ("200", l)]
        }
        "addReleaseItems" => {
            let mut l = to(&["deployRelease", "previewRelease", "listReleaseItems"], json!({"id": "$request.path.id"}));
            l["removeReleaseItem"] = json!({"operationId": "removeReleaseItem", "parameters": {
                "id": "$request.path.id",
                "item_id": "$request.body#/items/0/item_id",
                "locale": "$request.body#/items/0/locale",
            }});
            vec![("200", l)]
        }
        "deployRelease" => {
            let mut l = to(&deployment_ops, json!({"id": "$response.body#/data/0/id"}));
            l["createRollbackRelease"] =
                json!({"operationId": "createRollbackRelease", "parameters": {"id": "$request.path.id"}});
            vec![("202", l)]
        }
        "rollbackEnvironment" => {
            vec![("202", to(&deployment_ops, json!({"id": "$response.body#/data/deployment/id"})))]
        }
        "createEnvironment" => vec![("201", to(&environment_ops, json!({"env": "$response.body#/data/name"})))],
        "createItem" => {
            vec![("201", to(&["getItem", "createVersion", "listVersions"], json!({"id": "$response.body#/data/id"})))]
        }
        "createUser" => vec![(
            "201",
            to(&["createToken", "listUserTokens", "deactivateUser"], json!({"id": "$response.body#/data/id"})),
        )],
        "createToken" => {
            let mut l = to(&["listUserTokens"], json!({"id": "$request.path.id"}));
            l["revokeToken"] = json!({"operationId": "revokeToken", "parameters": {
                "id": "$request.path.id",
                "token_id": "$response.body#/data/id",
            }});
            vec![("201", l)]
        }
        "getDeployment" => vec![("200", to(&["listDeploymentItems"], json!({"id": "$response.body#/data/id"})))],
        "listWebhookDeliveries" => vec![(
            "200",
            json!({"retryWebhookDelivery": {"operationId": "retryWebhookDelivery", "parameters": {
                "id": "$request.path.id",
                "delivery_id": "$response.body#/data/0/id",
            }}}),
        )],
        "createWebhook" => vec![(
            "201",
            to(&["getWebhook", "listWebhookDeliveries", "deleteWebhook"], json!({"id": "$response.body#/data/id"})),
        )],
        _ => vec![],
    }
}
