//! Shapes of names and values that SPEC §1 fixes.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, Timelike};

/// The pattern of an environment name (SPEC §1), as the OpenAPI document states it.
pub(crate) const ENVIRONMENT_NAME_PATTERN: &str = "^[a-z][a-z0-9-]{0,62}$";

/// The rule a refused environment name breaks, in words a client can show.
pub(crate) const ENVIRONMENT_NAME_RULE: &str =
    "must be 1 to 63 lowercase letters, digits or '-', starting with a letter (^[a-z][a-z0-9-]{0,62}$)";

/// Whether `s` is an environment name ([`ENVIRONMENT_NAME_PATTERN`]).
pub(crate) fn environment_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Bidirectional controls: they can make a name read as another (`\u{202e}nimda`).
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing, so that `admin\u{200b}` would look like `admin`: the
/// default-ignorable code points and the format characters (Cf) of Unicode, tag characters and
/// fillers and blank glyphs among them. Joiners (U+200C, U+200D) and the variation selectors
/// U+FE00 to U+FE0F are not among them: scripts and emoji need them (user names refuse them too,
/// by RFC 8265's profile, `user_names`).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{0600}'..='\u{0605}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{0890}'
            | '\u{0891}'
            | '\u{08e2}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206a}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// The characters `invisible` and `bidi_control` name, as a JSON Schema character class's body.
/// Those past U+FFFF stand in it as themselves: `\u{…}` is not in every regex dialect that reads
/// the document (Python's, which schemathesis uses, has no such escape), a literal character is.
macro_rules! unseen_class {
    () => {
        concat!(
            "\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5",
            "\\u180b-\\u180f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u2800\\u3164\\ufeff\\uffa0",
            "\\ufff0-\\ufffb\u{110bd}\u{110cd}\u{13430}-\u{1343f}\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}",
            "\u{e0000}-\u{e0fff}"
        )
    };
}

/// A user, release or content type name: 1 to 200 characters as sent, no control characters, no
/// bidirectional controls, no invisible characters, at least one that is not white space.
/// Answers the name to store, NFC-normalised and trimmed, so that names that look the same
/// compare the same; or the rule it breaks, in words a client can show. The OpenAPI `pattern`
/// of these names (`NAME_PATTERN`) admits exactly the same.
pub fn display_name(s: &str) -> Result<String, &'static str> {
    use unicode_normalization::UnicodeNormalization;
    if s.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else if s.chars().any(bidi_control) {
        Err("must not contain bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)")
    } else if s.chars().any(invisible) {
        Err("must not contain invisible, format or tag characters (such as U+200B, U+2060, U+FEFF, U+3164, U+2800, U+E0061)")
    } else if s.is_empty() || s.chars().count() > 200 {
        Err("must be 1 to 200 characters")
    } else if s.trim().is_empty() {
        Err("must not be blank")
    } else {
        Ok(s.nfc().collect::<String>().trim().to_string())
    }
}

/// The JSON Schema `pattern` of `display_name`: no control, bidirectional or invisible character,
/// and one that is not white space either (the white space of `char::is_whitespace`).
pub(crate) const NAME_PATTERN: &str = concat!(
    "^[^\\u0000-\\u001f\\u007f-\\u009f",
    unseen_class!(),
    "]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000",
    unseen_class!(),
    "][^\\u0000-\\u001f\\u007f-\\u009f",
    unseen_class!(),
    "]*$",
);

/// The JSON Schema `pattern` of `free_text`: no control character but tab and line breaks, and no
/// bidirectional or invisible character.
pub(crate) const TEXT_PATTERN: &str =
    concat!("^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f", unseen_class!(), "]*$");

/// The longest token label.
pub(crate) const LABEL_MAX: usize = 200;
/// The longest release description or rollback reason.
pub(crate) const TEXT_MAX: usize = 2000;

/// Free text (a token's label, a release's description, a rollback's reason, a webhook's
/// description): at most `max` characters, no control characters but tab, line feed and carriage
/// return (PostgreSQL cannot store a NUL), and no bidirectional or invisible characters (as
/// `display_name`). Answers the rule it breaks, if any.
pub(crate) fn free_text(s: &str, max: usize) -> Result<(), String> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        Err("must not contain control characters other than tab and line breaks".into())
    } else if s.chars().any(|c| bidi_control(c) || invisible(c)) {
        Err("must not contain bidirectional controls or invisible, format or tag characters".into())
    } else if s.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

/// L4: how far ahead a deployment may be scheduled, in months (10 years).
const SCHEDULE_MAX_MONTHS: u32 = 120;

/// L4: a deployment may be scheduled at `at` (UTC) when it is `now`: after now, and at most
/// 10 years ahead. Answers the rule it breaks, if any.
pub fn schedule(at: NaiveDateTime, now: NaiveDateTime) -> Result<(), &'static str> {
    let latest = now.checked_add_months(Months::new(SCHEDULE_MAX_MONTHS)).unwrap_or(NaiveDateTime::MAX);
    if at <= now {
        Err("scheduled_at is in the past")
    } else if at > latest || !storable_time(at) {
        Err("scheduled_at is more than 10 years ahead")
    } else {
        Ok(())
    }
}

/// Whether a time can be stored: its UTC year has four digits, as RFC 3339 writes it. SQLite keeps
/// times as text, which sorts as time only then (`+10000-…` sorts before `2026-…`).
pub(crate) fn storable_time(t: NaiveDateTime) -> bool {
    (0..=9999).contains(&t.year())
}

/// The last storable time, 9999-12-31T23:59:59.999999: a time asked about beyond it is the same as it.
pub(crate) fn latest_storable_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .unwrap_or(NaiveDateTime::MAX)
}

/// X2: a time whose seconds field is not 60. A leap second is refused rather than normalised:
/// PostgreSQL and SQLite would each store it differently. Answers the rule it breaks, if any.
pub(crate) fn no_leap_second(t: &impl Timelike) -> Result<(), &'static str> {
    if t.nanosecond() >= 1_000_000_000 {
        Err("must not be a leap second (a seconds field of 60)")
    } else {
        Ok(())
    }
}

/// The ids `id` admits, as the OpenAPI document states them.
pub(crate) const ID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// An id: a UUID in its canonical form only (lowercase, hyphenated, as rewind writes ids), so that
/// one id has one spelling and `format: uuid` means what it says; braces, `urn:uuid:`, uppercase
/// or no hyphens are refused.
pub fn id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s).ok().map(|u| u.to_string()).filter(|canonical| canonical == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_environment_names_follow_the_pattern() {
        assert!(environment_name("production"));
        assert!(environment_name("a"));
        assert!(environment_name("stage-2"));
        assert!(!environment_name("Prod"));
        assert!(!environment_name("2prod"));
        assert!(!environment_name(""));
        assert!(!environment_name(&"a".repeat(64)));
    }

    #[test]
    fn x2_free_text_refuses_control_characters_but_tabs_and_line_breaks() {
        assert_eq!(free_text("a\tb\r\nc", 10), Ok(()));
        assert_eq!(
            free_text("a\u{0}b", 10),
            Err("must not contain control characters other than tab and line breaks".into())
        );
        assert_eq!(
            free_text("a\u{9a}", 10),
            Err("must not contain control characters other than tab and line breaks".into())
        );
        assert_eq!(free_text("ééé", 2), Err("must be at most 2 characters".into()));
    }

    #[test]
    fn x2_display_names_say_which_rule_they_break() {
        assert_eq!(display_name("Launch").as_deref(), Ok("Launch"));
        assert_eq!(display_name("Launch\u{7}"), Err("must not contain control characters"));
        assert_eq!(display_name("a\u{85}b"), Err("must not contain control characters"));
        assert_eq!(display_name(""), Err("must be 1 to 200 characters"));
        assert_eq!(display_name(&"é".repeat(201)), Err("must be 1 to 200 characters"));
        assert!(display_name(&"é".repeat(200)).is_ok());
        assert_eq!(display_name(" \u{3000} "), Err("must not be blank"));
    }

    #[test]
    fn x2_names_are_normalised_and_refuse_invisible_and_bidirectional_characters() {
        for invisible in ["\u{200b}", "\u{3164}", "\u{2800}", "\u{feff}", "admin\u{200b}", "ad\u{2060}min"] {
            assert!(display_name(invisible).unwrap_err().starts_with("must not contain invisible"), "{invisible:?}");
        }
        for bidi in ["\u{202e}admin", "admin\u{2066}", "\u{200f}x"] {
            assert!(display_name(bidi).unwrap_err().starts_with("must not contain bidirectional"), "{bidi:?}");
        }
        assert_eq!(display_name("admin ").as_deref(), Ok("admin"));
        assert_eq!(display_name("e\u{301}").as_deref(), Ok("\u{e9}"), "decomposed é is stored composed");
        assert_eq!(display_name("\u{e9}").as_deref(), Ok("\u{e9}"));
        assert_eq!(display_name("👩\u{200d}💻 ops").as_deref(), Ok("👩\u{200d}💻 ops"), "joiners stay");
    }

    #[test]
    fn x2_the_name_pattern_admits_exactly_the_names_the_server_accepts() {
        let pattern = regex::Regex::new(NAME_PATTERN).unwrap();
        let bmp = (0u32..=0xffff).filter_map(char::from_u32);
        let astral =
            ['\u{e0041}', '\u{e0001}', '\u{e0100}', '\u{1f600}', '\u{1bca0}', '\u{1d173}', '\u{13430}', '\u{110bd}'];
        for c in bmp.chain(astral) {
            for name in [c.to_string(), format!("a{c}"), format!("{c}b{c}"), format!(" {c} ")] {
                assert_eq!(
                    pattern.is_match(&name),
                    display_name(&name).is_ok(),
                    "U+{:04X} in {name:?}: {:?}",
                    c as u32,
                    display_name(&name)
                );
            }
        }
    }

    #[test]
    fn x2_the_text_pattern_admits_exactly_the_text_the_server_accepts() {
        let pattern = regex::Regex::new(TEXT_PATTERN).unwrap();
        let bmp = (0u32..=0xffff).filter_map(char::from_u32);
        for c in bmp.chain(['\u{e0041}', '\u{e01ef}', '\u{1f600}', '\u{1d17a}']) {
            let text = format!("a{c}b");
            assert_eq!(pattern.is_match(&text), free_text(&text, 10).is_ok(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn l4_a_schedule_is_after_now_and_at_most_ten_years_ahead() {
        let now = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let ten_years = NaiveDate::from_ymd_opt(2036, 3, 1).unwrap().and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(schedule(now + chrono::Duration::minutes(1), now), Ok(()));
        assert_eq!(schedule(ten_years, now), Ok(()));
        assert_eq!(schedule(now, now), Err("scheduled_at is in the past"));
        let later = ten_years + chrono::Duration::seconds(1);
        assert_eq!(schedule(later, now), Err("scheduled_at is more than 10 years ahead"));
        let year_10000 = NaiveDate::from_ymd_opt(10000, 1, 1).unwrap().and_hms_opt(4, 0, 0).unwrap();
        assert_eq!(schedule(year_10000, now), Err("scheduled_at is more than 10 years ahead"));
        assert!(!storable_time(year_10000));
        assert!(storable_time(latest_storable_time()));
    }

    #[test]
    fn x2_a_leap_second_is_refused() {
        let leap = chrono::DateTime::parse_from_rfc3339("2026-12-10T00:00:60Z").unwrap();
        assert!(no_leap_second(&leap).is_err());
        let plain = chrono::DateTime::parse_from_rfc3339("2026-12-10T00:00:59.999999Z").unwrap();
        assert_eq!(no_leap_second(&plain), Ok(()));
    }

    #[test]
    fn x2_ids_are_canonical_uuids_only() {
        let canonical = "0190f5c1-6c3a-7c2e-9b1a-3f4e5d6c7b8a";
        let pattern = regex::Regex::new(ID_PATTERN).unwrap();
        assert_eq!(id(canonical).as_deref(), Some(canonical));
        assert!(pattern.is_match(canonical));
        for other in [
            "0190F5C1-6C3A-7C2E-9B1A-3F4E5D6C7B8A",
            "{0190f5c1-6c3a-7c2e-9b1a-3f4e5d6c7b8a}",
            "urn:uuid:0190f5c1-6c3a-7c2e-9b1a-3f4e5d6c7b8a",
            "0190f5c16c3a7c2e9b1a3f4e5d6c7b8a",
            "not-an-id",
        ] {
            assert_eq!(id(other), None, "{other}");
            assert!(!pattern.is_match(other), "{other}");
        }
    }
}
