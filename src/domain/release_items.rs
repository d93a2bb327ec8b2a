//! L2: the items a release request adds, and the references that `include_references` follows
//! from them, walked over loaded data.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Action, Key};

/// How deep `include_references` follows references (L2).
pub(crate) const REFERENCE_DEPTH: usize = 5;

/// An item to add to a release: a key, what to do with it and (to publish) which version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReleaseItem {
    pub item_id: String,
    pub locale: String,
    pub action: Action,
    pub version: Option<i32>,
}

/// One version of one item in one locale: `(item, locale, version)`.
pub(crate) type VersionKey = (String, String, i32);

/// The latest version of each `(item, locale)` known.
pub(crate) type Latest = BTreeMap<(String, String), i32>;

/// What one level of the walk needs loaded: the references of its versions, and the latest
/// versions of the items those reference.
#[derive(Debug, Clone, Default)]
pub(crate) struct Level {
    pub refs: HashMap<VersionKey, Vec<String>>,
    pub latest: Latest,
}

/// What the walk found: the referenced items to add, in the order found, and the referenced
/// keys that have no version in their locale, so cannot be added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Referenced {
    pub items: Vec<NewReleaseItem>,
    pub not_added: Vec<Key>,
}

/// L2: follows the references of `explicit`'s versions (for `unpublish`, the latest version),
/// breadth first to depth 5, adding each referenced key once, at its latest version in the same
/// locale with the action of the item that references it. Keys in `explicit` are never added
/// again. `latest` holds the latest versions of `explicit`'s items; `load` reads a level.
pub(crate) fn follow_references<E>(
    explicit: &[NewReleaseItem],
    mut latest: Latest,
    mut load: impl FnMut(&HashSet<VersionKey>) -> Result<Level, E>,
) -> Result<Referenced, E> {
    let mut seen: HashSet<Key> = explicit.iter().map(|it| Key::new(it.item_id.clone(), it.locale.clone())).collect();
    let mut frontier: Vec<(NewReleaseItem, i32)> = explicit
        .iter()
        .filter_map(|it| {
            let v = it.version.or_else(|| latest.get(&(it.item_id.clone(), it.locale.clone())).copied())?;
            Some((it.clone(), v))
        })
        .collect();
    let mut found = Referenced::default();
    for _ in 0..REFERENCE_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let wanted: HashSet<VersionKey> =
            frontier.iter().map(|(it, v)| (it.item_id.clone(), it.locale.clone(), *v)).collect();
        let level = load(&wanted)?;
        latest.extend(level.latest);
        let mut next = Vec::new();
        for (it, v) in &frontier {
            for r in level.refs.get(&(it.item_id.clone(), it.locale.clone(), *v)).into_iter().flatten() {
                let key = Key::new(r.clone(), it.locale.clone());
                if !seen.insert(key.clone()) {
                    continue;
                }
                match latest.get(&(r.clone(), it.locale.clone())) {
                    Some(&lv) => {
                        let item = NewReleaseItem {
                            item_id: r.clone(),
                            locale: it.locale.clone(),
                            action: it.action,
                            version: (it.action == Action::Publish).then_some(lv),
                        };
                        next.push((item.clone(), lv));
                        found.items.push(item);
                    }
                    None => found.not_added.push(key),
                }
            }
        }
        frontier = next;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    /// A content graph: each `(item, locale, version)` with what it references; every item's
    /// latest version is the highest one listed.
    struct Graph(Vec<(&'static str, &'static str, i32, Vec<&'static str>)>);

    impl Graph {
        fn latest(&self) -> Latest {
            let mut out = Latest::new();
            for (i, l, v, _) in &self.0 {
                let e = out.entry((i.to_string(), l.to_string())).or_insert(*v);
                *e = (*e).max(*v);
            }
            out
        }

        fn walk(&self, explicit: &[NewReleaseItem]) -> (Referenced, usize) {
            let mut levels = 0;
            let found = follow_references(explicit, self.latest(), |wanted| {
                levels += 1;
                let refs = self
                    .0
                    .iter()
                    .filter(|(i, l, v, _)| wanted.contains(&(i.to_string(), l.to_string(), *v)))
                    .map(|(i, l, v, r)| ((i.to_string(), l.to_string(), *v), r.iter().map(|s| s.to_string()).collect()))
                    .collect();
                Ok::<_, Infallible>(Level { refs, latest: self.latest() })
            })
            .unwrap();
            (found, levels)
        }
    }

    fn publish(item: &str, version: i32) -> NewReleaseItem {
        NewReleaseItem { item_id: item.into(), locale: "en".into(), action: Action::Publish, version: Some(version) }
    }

    fn ids(r: &Referenced) -> Vec<(&str, Option<i32>)> {
        r.items.iter().map(|i| (i.item_id.as_str(), i.version)).collect()
    }

    #[test]
    fn l2_references_of_the_added_version_are_added_at_their_latest_version_with_the_same_action() {
        let g = Graph(vec![
            ("a", "en", 1, vec!["b"]),
            ("a", "en", 2, vec!["c"]),
            ("b", "en", 1, vec![]),
            ("c", "en", 3, vec![]),
        ]);
        let (found, _) = g.walk(&[publish("a", 1)]);
        assert_eq!(ids(&found), vec![("b", Some(1))]);
        let (found, _) = g.walk(&[publish("a", 2)]);
        assert_eq!(ids(&found), vec![("c", Some(3))]);
        assert!(found.items.iter().all(|i| i.action == Action::Publish && i.locale == "en"));
    }

    #[test]
    fn l2_unpublish_follows_the_latest_version_and_adds_references_without_a_version() {
        let g = Graph(vec![
            ("a", "en", 1, vec!["b"]),
            ("a", "en", 2, vec!["c"]),
            ("b", "en", 1, vec![]),
            ("c", "en", 1, vec![]),
        ]);
        let item =
            NewReleaseItem { item_id: "a".into(), locale: "en".into(), action: Action::Unpublish, version: None };
        let (found, _) = g.walk(&[item]);
        assert_eq!(ids(&found), vec![("c", None)]);
        assert_eq!(found.items[0].action, Action::Unpublish);
    }

    #[test]
    fn l2_references_are_followed_transitively_to_depth_five_and_no_further() {
        let chain = ["a", "b", "c", "d", "e", "f", "g"];
        let g = Graph(
            chain
                .iter()
                .zip(chain.iter().skip(1).map(Some).chain([None]))
                .map(|(i, n)| (*i, "en", 1, n.into_iter().copied().collect()))
                .collect(),
        );
        let (found, levels) = g.walk(&[publish("a", 1)]);
        assert_eq!(found.items.iter().map(|i| i.item_id.as_str()).collect::<Vec<_>>(), vec!["b", "c", "d", "e", "f"]);
        assert_eq!(levels, REFERENCE_DEPTH);
    }

    #[test]
    fn l2_a_key_the_request_names_or_one_already_found_is_not_added_again() {
        let g = Graph(vec![("a", "en", 1, vec!["b", "c"]), ("b", "en", 1, vec!["a", "c"]), ("c", "en", 1, vec!["b"])]);
        let (found, _) = g.walk(&[publish("a", 1), publish("b", 1)]);
        assert_eq!(ids(&found), vec![("c", Some(1))]);
    }

    #[test]
    fn l2_a_referenced_item_with_no_version_in_the_locale_is_not_added_and_is_listed() {
        let g = Graph(vec![("a", "en", 1, vec!["b", "c"]), ("b", "de", 1, vec![]), ("c", "en", 1, vec![])]);
        let (found, _) = g.walk(&[publish("a", 1)]);
        assert_eq!(ids(&found), vec![("c", Some(1))]);
        assert_eq!(found.not_added, vec![Key::new("b", "en")]);
    }
}
