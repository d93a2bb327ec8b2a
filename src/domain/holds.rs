//! Holds and freeze windows (H1–H4) and partial rollback's selection (B10) as plain rules.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};

use super::validate;
use super::Key;

/// H1: the longest reason a hold or a freeze window takes, in characters.
pub(crate) const REASON_MAX: usize = 500;

/// H4: the longest a freeze window may last.
pub(crate) const WINDOW_MAX_DAYS: i64 = 366;

/// B10: the most keys a partial rollback selects.
pub(crate) const KEYS_MAX: usize = 10_000;

/// H1, H4: a hold's or a window's reason: 1 to 500 characters of free text.
pub fn reason(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    validate::free_text(s, REASON_MAX)
}

/// H4: why a window is refused, if it is: it must end after it starts and after `now`, and last
/// at most 366 days (it may have started already: then it is open at once).
pub fn window(starts_at: NaiveDateTime, ends_at: NaiveDateTime, now: NaiveDateTime) -> Result<(), &'static str> {
    if ends_at <= starts_at {
        Err("ends_at must be after starts_at")
    } else if ends_at <= now {
        Err("ends_at must be in the future")
    } else if ends_at - starts_at > Duration::days(WINDOW_MAX_DAYS) {
        Err("a window lasts at most 366 days")
    } else if !validate::storable_time(starts_at) || !validate::storable_time(ends_at) {
        Err("starts_at and ends_at must be years 0000 to 9999")
    } else {
        Ok(())
    }
}

/// H2: whether a rollback that succeeded holds its environment: the request's own choice, else
/// the environment's setting.
pub(crate) fn holds_after_rollback(asked: Option<bool>, hold_after_rollback: bool) -> bool {
    asked.unwrap_or(hold_after_rollback)
}

/// H2: the reason of a hold a rollback places, when its request gave none.
pub(crate) fn rollback_reason(release_name: Option<&str>, target_deployment_id: Option<&str>) -> String {
    match (release_name, target_deployment_id) {
        (Some(name), _) => format!("Rollback of {name}"),
        (None, Some(target)) => format!("Rollback to {target}"),
        (None, None) => "Rollback".into(),
    }
}

/// B10: a selection of keys: 1 to 10,000, each once. Answers the rule it breaks, if any.
pub fn selection(keys: &[Key]) -> Result<(), String> {
    if keys.is_empty() {
        return Err("select at least one key".into());
    }
    if keys.len() > KEYS_MAX {
        return Err(format!("select at most {KEYS_MAX} keys"));
    }
    let mut seen = HashSet::with_capacity(keys.len());
    for k in keys {
        if !seen.insert(k) {
            return Err(format!("the key {}:{} is selected twice", k.item_id, k.locale));
        }
    }
    Ok(())
}

/// B10: a key as a query string names it, `<item_id>:<locale>` (a locale has no colon).
pub(crate) fn parse_key(s: &str) -> Option<Key> {
    let (item, locale) = s.split_once(':')?;
    (!item.is_empty() && !locale.is_empty()).then(|| Key::new(item, locale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(s: i64) -> NaiveDateTime {
        DateTime::from_timestamp(s, 0).unwrap().naive_utc()
    }

    #[test]
    fn h1_reason_is_one_to_500_characters() {
        assert!(reason("").is_err());
        assert!(reason("bad release").is_ok());
        assert!(reason(&"x".repeat(500)).is_ok());
        assert!(reason(&"x".repeat(501)).is_err());
    }

    #[test]
    fn h4_window_ends_after_start_and_now_and_lasts_at_most_366_days() {
        let day = 86_400;
        assert!(window(t(10 * day), t(10 * day), t(0)).is_err());
        assert!(window(t(10 * day), t(5 * day), t(0)).is_err());
        assert!(window(t(0), t(day), t(2 * day)).is_err());
        assert!(window(t(0), t(3 * day), t(2 * day)).is_ok(), "a window that started is open at once");
        assert!(window(t(0), t(366 * day), t(day)).is_ok());
        assert!(window(t(0), t(367 * day), t(day)).is_err());
    }

    #[test]
    fn h2_the_request_decides_before_the_setting() {
        assert!(!holds_after_rollback(None, false));
        assert!(holds_after_rollback(None, true));
        assert!(holds_after_rollback(Some(true), false));
        assert!(!holds_after_rollback(Some(false), true));
        assert_eq!(rollback_reason(Some("Summer"), Some("d")), "Rollback of Summer");
        assert_eq!(rollback_reason(None, Some("d")), "Rollback to d");
    }

    #[test]
    fn b10_selection_is_one_to_10000_distinct_keys() {
        assert!(selection(&[]).is_err());
        assert!(selection(&[Key::new("a", "en"), Key::new("a", "de")]).is_ok());
        assert!(selection(&[Key::new("a", "en"), Key::new("a", "en")]).is_err());
        let many: Vec<Key> = (0..=KEYS_MAX).map(|i| Key::new(i.to_string(), "en")).collect();
        assert!(selection(&many).is_err());
        assert!(selection(&many[..KEYS_MAX]).is_ok());
        assert_eq!(parse_key("i:en-US"), Some(Key::new("i", "en-US")));
        assert_eq!(parse_key("i"), None);
        assert_eq!(parse_key(":en"), None);
    }
}
