//! Reference warnings (R1): which planned items would leave a published item pointing at an
//! unpublished one, judged over the whole plan.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Key, Outcome, PlannedItem};

/// At most this many warnings are kept per planned item.
pub(crate) const MAX_WARNINGS_PER_ITEM: usize = 20;

wire_enum!(
    /// What is wrong with a reference once the deployment is done.
    WarningCode { DanglingReference => "dangling_reference", StillReferenced => "still_referenced" }
);

/// One warning of a planned item: the other item (same locale) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Warning {
    pub code: WarningCode,
    pub item_id: String,
    pub locale: String,
}

/// A reference of a version that the plan publishes, with the referenced key's published
/// version now (`None`: not published in the environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutgoingReference {
    pub from: Key,
    pub referenced_item_id: String,
    pub referenced_current_version: Option<i32>,
}

/// A version published now (by `referrer_item_id`, in `to`'s locale) that references `to`, a key
/// the plan unpublishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IncomingReference {
    pub to: Key,
    pub referrer_item_id: String,
}

/// What the warnings of a plan (or of a page of one, with the keys it reaches) are computed
/// from, loaded for all of its keys at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReferenceFacts {
    /// The references of every version the plan publishes.
    pub outgoing: Vec<OutgoingReference>,
    /// The currently published versions that reference a key the plan unpublishes.
    pub incoming: Vec<IncomingReference>,
}

/// Whether a key is published once the plan is done: a planned key by its outcome (a skipped
/// one stays as it was), any other key as it is now.
fn published_after(planned: &HashMap<&Key, &PlannedItem>, key: &Key, current: Option<i32>) -> bool {
    match planned.get(key) {
        Some(p) => match p.outcome {
            Outcome::Published => true,
            Outcome::Unpublished => false,
            Outcome::Skipped => p.prior_version.is_some(),
        },
        None => current.is_some(),
    }
}

/// R1: sets the warnings of every planned item. A published item warns `dangling_reference`
/// for each item its new version references that will not be published afterwards; an
/// unpublished key warns `still_referenced` for each item whose version published afterwards
/// references it. Skipped items change nothing and warn of nothing. Each list is ordered by
/// item id and cut at [`MAX_WARNINGS_PER_ITEM`].
pub(crate) fn annotate(plan: &mut [PlannedItem], facts: &ReferenceFacts) {
    let mut found: HashMap<Key, Vec<Warning>> = HashMap::new();
    {
        let planned: HashMap<&Key, &PlannedItem> = plan.iter().map(|p| (&p.key, p)).collect();
        let mut referrers_after: HashMap<Key, HashSet<&str>> = HashMap::new();
        for r in &facts.outgoing {
            if planned.get(&r.from).map(|p| p.outcome) != Some(Outcome::Published) {
                continue;
            }
            let target = Key::new(r.referenced_item_id.as_str(), r.from.locale.as_str());
            if !published_after(&planned, &target, r.referenced_current_version) {
                found.entry(r.from.clone()).or_default().push(Warning {
                    code: WarningCode::DanglingReference,
                    item_id: target.item_id.clone(),
                    locale: target.locale.clone(),
                });
            }
            referrers_after.entry(target).or_default().insert(r.from.item_id.as_str());
        }
        for r in &facts.incoming {
            let referrer = Key::new(r.referrer_item_id.as_str(), r.to.locale.as_str());
            // A planned referrer's version afterwards is the planned one: its references are
            // among the outgoing ones if it is published, and it references nothing otherwise.
            if planned.get(&referrer).is_none_or(|p| p.outcome == Outcome::Skipped) {
                referrers_after.entry(r.to.clone()).or_default().insert(r.referrer_item_id.as_str());
            }
        }
        for p in plan.iter().filter(|p| p.outcome == Outcome::Unpublished) {
            for referrer in referrers_after.get(&p.key).into_iter().flatten() {
                found.entry(p.key.clone()).or_default().push(Warning {
                    code: WarningCode::StillReferenced,
                    item_id: (*referrer).to_string(),
                    locale: p.key.locale.clone(),
                });
            }
        }
    }
    for p in plan.iter_mut() {
        p.warnings = match found.remove(&p.key) {
            Some(mut ws) => {
                ws.sort_by(|a, b| (&a.item_id, a.code.as_str()).cmp(&(&b.item_id, b.code.as_str())));
                ws.dedup();
                ws.truncate(MAX_WARNINGS_PER_ITEM);
                ws
            }
            None => Vec::new(),
        };
    }
}

/// How many planned items carry at least one warning.
pub fn warned_items(plan: &[PlannedItem]) -> usize {
    plan.iter().filter(|p| !p.warnings.is_empty()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, SkipReason};

    fn publish(item: &str, prior: Option<i32>) -> PlannedItem {
        PlannedItem::restore(Key::new(item, "en"), Some(2), prior)
    }

    fn unpublish(item: &str) -> PlannedItem {
        PlannedItem::restore(Key::new(item, "en"), None, Some(1))
    }

    fn out(from: &str, to: &str, current: Option<i32>) -> OutgoingReference {
        OutgoingReference {
            from: Key::new(from, "en"),
            referenced_item_id: to.into(),
            referenced_current_version: current,
        }
    }

    fn inc(to: &str, referrer: &str) -> IncomingReference {
        IncomingReference { to: Key::new(to, "en"), referrer_item_id: referrer.into() }
    }

    fn codes(p: &PlannedItem) -> Vec<(WarningCode, &str)> {
        p.warnings.iter().map(|w| (w.code, w.item_id.as_str())).collect()
    }

    #[test]
    fn r1_dangling_unless_published_after_the_plan() {
        let mut plan = vec![publish("a", None), publish("b", None), unpublish("c")];
        let facts = ReferenceFacts {
            outgoing: vec![
                out("a", "b", None),    // b is published by the same plan
                out("a", "c", Some(1)), // c is unpublished by the same plan
                out("a", "x", None),    // x is not published and not in the plan
                out("a", "y", Some(3)), // y stays published
                out("b", "b", None),    // a self-reference is published by itself
            ],
            incoming: vec![],
        };
        annotate(&mut plan, &facts);
        assert_eq!(codes(&plan[0]), vec![(WarningCode::DanglingReference, "c"), (WarningCode::DanglingReference, "x")]);
        assert!(plan[1].warnings.is_empty());
        // a's new version references c, which the plan unpublishes.
        assert_eq!(codes(&plan[2]), vec![(WarningCode::StillReferenced, "a")]);
        assert_eq!(warned_items(&plan), 2);
    }

    #[test]
    fn r1_still_referenced_only_by_what_stays_published() {
        let mut plan = vec![
            unpublish("t"),
            unpublish("gone"),
            PlannedItem::skip(Key::new("kept", "en"), Action::Publish, Some(2), Some(1), SkipReason::Unchanged),
            publish("moved", Some(1)),
        ];
        let facts = ReferenceFacts {
            outgoing: vec![],
            incoming: vec![
                inc("t", "z"),     // not in the plan: stays published
                inc("t", "gone"),  // unpublished by the same plan
                inc("t", "kept"),  // skipped: keeps its current version
                inc("t", "moved"), // its new version references nothing
            ],
        };
        annotate(&mut plan, &facts);
        assert_eq!(codes(&plan[0]), vec![(WarningCode::StillReferenced, "kept"), (WarningCode::StillReferenced, "z")]);
        assert!(plan[2].warnings.is_empty(), "a skipped item changes nothing");
    }

    #[test]
    fn r1_skipped_items_do_not_warn() {
        let mut plan =
            vec![PlannedItem::skip(Key::new("a", "en"), Action::Unpublish, None, None, SkipReason::AlreadyUnpublished)];
        annotate(&mut plan, &ReferenceFacts { outgoing: vec![], incoming: vec![inc("a", "z")] });
        assert!(plan[0].warnings.is_empty());
    }

    #[test]
    fn r1_at_most_twenty_warnings_in_item_order() {
        let mut plan = vec![publish("a", None)];
        let outgoing = (0..30).rev().map(|n| out("a", &format!("x{n:02}"), None)).collect();
        annotate(&mut plan, &ReferenceFacts { outgoing, incoming: vec![] });
        assert_eq!(plan[0].warnings.len(), MAX_WARNINGS_PER_ITEM);
        assert_eq!(plan[0].warnings[0].item_id, "x00");
        assert_eq!(plan[0].warnings[19].item_id, "x19");
    }
}
