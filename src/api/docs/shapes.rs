//! The shapes of environment names and locales in the document, from the one place each is
//! written (`domain::validate`, `domain::locale`), on every input that takes one: the parameters
//! named `env`, `environment` and `locale`, and the request bodies' fields.

use serde_json::{json, Value};

use crate::domain::{locale, validate};

/// Request bodies' fields that take a locale.
const LOCALE_FIELDS: &[(&str, &str)] = &[
    ("AddItem", "locale"),
    ("CreateItem", "locale"),
    ("CreateVersion", "locale"),
    ("Publish", "locale"),
    ("Unpublish", "locale"),
    ("SelectedKey", "locale"),
];
/// Request bodies' fields that take an environment name, or a list of them.
const ENVIRONMENT_FIELDS: &[(&str, &str)] =
    &[("CreateEnvironment", "name"), ("Deploy", "environments"), ("CreateWebhook", "environments")];

/// Puts the shapes on every input that takes an environment name or a locale.
pub(super) fn input_shapes(doc: &mut Value) {
    for item in doc["paths"].as_object_mut().expect("paths").values_mut() {
        for op in item.as_object_mut().expect("path item").values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else { continue };
            for p in params {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                shape(&mut p["schema"], &name);
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    for (schema, field) in LOCALE_FIELDS {
        shape(&mut schemas[schema]["properties"][field], "locale");
    }
    for (schema, field) in ENVIRONMENT_FIELDS {
        shape(&mut schemas[schema]["properties"][field], "env");
    }
}

/// The shape of a value named `name` (or of each item of a list of them).
fn shape(schema: &mut Value, name: &str) {
    let target = if schema["type"] == "array" || schema["type"].as_array().is_some_and(|t| t.contains(&json!("array")))
    {
        &mut schema["items"]
    } else {
        schema
    };
    match name {
        "env" | "environment" | "environments" => target["pattern"] = json!(validate::ENVIRONMENT_NAME_PATTERN),
        "locale" => {
            target["pattern"] = json!(locale::PATTERN);
            target["maxLength"] = json!(locale::MAX_LENGTH);
        }
        // B10: `<item_id>:<locale>`, an id and a locale in the shapes above.
        "key" => {
            let bare = |p: &str| p.trim_start_matches('^').trim_end_matches('$').to_string();
            target["pattern"] = json!(format!("^{}:{}$", bare(validate::ID_PATTERN), bare(locale::PATTERN)));
            target["maxLength"] = json!(36 + 1 + locale::MAX_LENGTH);
        }
        _ => {}
    }
}
