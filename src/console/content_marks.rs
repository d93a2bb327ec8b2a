//! U5: how the content as of a point, or as if a release were deployed, differs from the content
//! now: a page of each side is merged in key order and each key marked added, changed or
//! removed. Plain functions of the two pages, tested on their own.

/// How a row differs from the content now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    Added,
    Changed,
    Removed,
}

impl Mark {
    /// The mark of a key shown (`view`) against the content now (`now`).
    pub fn of(view: Option<i32>, now: Option<i32>) -> Mark {
        match (view, now) {
            (Some(_), None) => Mark::Added,
            (None, Some(_)) => Mark::Removed,
            (v, n) if v != n => Mark::Changed,
            _ => Mark::Same,
        }
    }

    /// The word the page shows (and its CSS class); empty when the same.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Same => "",
            Mark::Added => "added",
            Mark::Changed => "changed",
            Mark::Removed => "removed",
        }
    }
}

/// The first `limit` keys of two pages in key order, each with its row on either side. When each
/// side holds its first keys after the same key, every key up to the last one kept is on the
/// pages that were read (a caller asks one past its page to learn whether keys remain).
pub fn merge<T>(
    view: Vec<T>,
    now: Vec<T>,
    key: impl Fn(&T) -> (i64, String),
    limit: usize,
) -> Vec<(Option<T>, Option<T>)> {
    let (mut view, mut now) = (view.into_iter().peekable(), now.into_iter().peekable());
    let mut out = Vec::new();
    while out.len() < limit {
        let order = match (view.peek(), now.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(v), Some(n)) => key(v).cmp(&key(n)),
        };
        out.push(match order {
            std::cmp::Ordering::Less => (view.next(), None),
            std::cmp::Ordering::Greater => (None, now.next()),
            std::cmp::Ordering::Equal => (view.next(), now.next()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u5_v2_rows_are_marked_against_now() {
        assert_eq!(Mark::of(Some(1), None), Mark::Added);
        assert_eq!(Mark::of(None, Some(2)), Mark::Removed);
        assert_eq!(Mark::of(Some(1), Some(2)), Mark::Changed);
        assert_eq!(Mark::of(Some(2), Some(2)), Mark::Same);
    }

    #[test]
    fn u5_v2_two_pages_merge_in_key_order_up_to_the_limit() {
        let k = |n: &(i64, &str)| (n.0, n.1.to_string());
        let view = vec![(1, "en"), (2, "en"), (4, "fr")];
        let now = vec![(2, "en"), (3, "en"), (4, "fr")];
        let merged = merge(view, now, k, 3);
        assert_eq!(merged, vec![(Some((1, "en")), None), (Some((2, "en")), Some((2, "en"))), (None, Some((3, "en")))]);
        assert_eq!(merge(vec![(1, "en")], vec![], k, 5), vec![(Some((1, "en")), None)]);
    }
}
