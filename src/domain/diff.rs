//! D1: what changed between two versions of an item: an RFC 6902 JSON Patch over the content
//! and the references added and removed.

use serde_json::Value;

/// The difference between two versions' contents and references.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDiff {
    /// Turns the first content into the second (RFC 6902), computed by the `json-patch` crate.
    pub patch: json_patch::Patch,
    /// References of the second version that the first does not have, sorted.
    pub added: Vec<String>,
    /// References of the first version that the second does not have, sorted.
    pub removed: Vec<String>,
}

/// The diff from `from` (the empty object with no references when `None`: a first publish) to
/// `to`. Each version is `(content, references)`.
pub fn between(from: Option<(&Value, &[String])>, to: (&Value, &[String])) -> VersionDiff {
    let empty = Value::Object(Default::default());
    let (from_content, from_refs) = from.unwrap_or((&empty, &[]));
    let (to_content, to_refs) = to;
    let only_in = |a: &[String], b: &[String]| {
        let mut out: Vec<String> = a.iter().filter(|r| !b.contains(r)).cloned().collect();
        out.sort();
        out.dedup();
        out
    };
    VersionDiff {
        patch: json_patch::diff(from_content, to_content),
        added: only_in(to_refs, from_refs),
        removed: only_in(from_refs, to_refs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied(from: &Value, d: &VersionDiff) -> Value {
        let mut doc = from.clone();
        json_patch::patch(&mut doc, &d.patch).expect("the patch applies");
        doc
    }

    #[test]
    fn d1_patch_turns_from_into_to_and_lists_reference_changes() {
        let from = json!({"title": "a", "tags": ["x", "y"], "body": {"en": "hé"}});
        let to = json!({"title": "b", "tags": ["y"], "body": {"en": "hé", "fr": "ça"}});
        let refs_from = vec!["r1".to_string(), "r2".to_string()];
        let refs_to = vec!["r3".to_string(), "r2".to_string()];
        let d = between(Some((&from, &refs_from)), (&to, &refs_to));
        assert_eq!(applied(&from, &d), to);
        assert_eq!(d.added, vec!["r3"]);
        assert_eq!(d.removed, vec!["r1"]);
    }

    #[test]
    fn d1_without_from_patches_the_empty_object() {
        let to = json!({"title": "first"});
        let d = between(None, (&to, &["r".to_string()]));
        assert_eq!(applied(&json!({}), &d), to);
        assert_eq!(d.added, vec!["r"]);
        assert!(d.removed.is_empty());
    }

    #[test]
    fn d1_equal_versions_have_an_empty_patch() {
        let v = json!({"a": [1, 2, {"b": null}]});
        assert!(between(Some((&v, &[])), (&v, &[])).patch.0.is_empty());
    }
}
