//! Promotion (M1, M2) as plain rules: whether a key differs between two environments, and what a
//! promotion asks of it.

use super::Action;

/// M1: whether a key's publish state differs between the source and the target (`None`:
/// unpublished, or never published).
pub fn differs(source: Option<i32>, target: Option<i32>) -> bool {
    source != target
}

/// M2: what a promotion's release asks of a key whose state is `source` in the source and
/// `target` in the target: publish the source's version where it differs, unpublish what the
/// source does not publish only with `unpublish_missing`, else nothing.
pub fn item(source: Option<i32>, target: Option<i32>, unpublish_missing: bool) -> Option<(Action, Option<i32>)> {
    match (source, target) {
        (s, t) if !differs(s, t) => None,
        (Some(v), _) => Some((Action::Publish, Some(v))),
        (None, Some(_)) if unpublish_missing => Some((Action::Unpublish, None)),
        (None, _) => None,
    }
}

/// M2: the name of a promotion's release when the request gives none.
pub fn default_name(source: &str, target: &str) -> String {
    format!("Promote {source} to {target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m1_a_key_differs_when_its_versions_do() {
        assert!(!differs(None, None));
        assert!(!differs(Some(2), Some(2)));
        assert!(differs(Some(2), Some(1)));
        assert!(differs(Some(2), None));
        assert!(differs(None, Some(1)));
    }

    #[test]
    fn m2_publishes_the_source_version_and_unpublishes_only_when_asked() {
        assert_eq!(item(Some(3), Some(1), false), Some((Action::Publish, Some(3))));
        assert_eq!(item(Some(3), None, false), Some((Action::Publish, Some(3))));
        assert_eq!(item(Some(3), Some(3), true), None);
        assert_eq!(item(None, Some(1), false), None);
        assert_eq!(item(None, Some(1), true), Some((Action::Unpublish, None)));
        assert_eq!(default_name("staging", "production"), "Promote staging to production");
    }
}
