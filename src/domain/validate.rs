//! Shapes of names and values that SPEC §1 fixes.

/// An environment name: `^[a-z][a-z0-9-]{0,62}$`.
pub fn environment_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A locale: `^[a-z]{2,3}(-[a-z0-9]{2,8})*$`, like `en-us`.
pub fn locale(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// A user, release or content type name: 1 to 200 characters, not blank, no control
/// characters. Answers the rule it breaks, if any, in words a client can show.
pub fn display_name(s: &str) -> Result<(), &'static str> {
    if s.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else if s.is_empty() || s.chars().count() > 200 {
        Err("must be 1 to 200 characters")
    } else if s.trim().is_empty() {
        Err("must not be blank")
    } else {
        Ok(())
    }
}

/// The longest token label.
pub const LABEL_MAX: usize = 200;
/// The longest release description or rollback reason.
pub const TEXT_MAX: usize = 2000;

/// Free text (a token's label, a release's description, a rollback's reason): at most `max`
/// characters, and no control characters but tab, line feed and carriage return (PostgreSQL
/// cannot store a NUL). Answers the rule it breaks, if any.
pub fn free_text(s: &str, max: usize) -> Result<(), String> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        Err("must not contain control characters other than tab and line breaks".into())
    } else if s.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

/// An id: a UUID, as ids are UUID v7 strings; returned in canonical lowercase.
pub fn id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s).ok().map(|u| u.to_string())
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
        assert_eq!(display_name("Launch"), Ok(()));
        assert_eq!(display_name("Launch\u{7}"), Err("must not contain control characters"));
        assert_eq!(display_name("a\u{85}b"), Err("must not contain control characters"));
        assert_eq!(display_name(""), Err("must be 1 to 200 characters"));
        assert_eq!(display_name(&"é".repeat(201)), Err("must be 1 to 200 characters"));
        assert_eq!(display_name(&"é".repeat(200)), Ok(()));
        assert_eq!(display_name(" \u{3000} "), Err("must not be blank"));
    }

    #[test]
    fn x2_locales_follow_the_pattern() {
        assert!(locale("en"));
        assert!(locale("en-us"));
        assert!(locale("zh-hant-tw"));
        assert!(!locale("EN"));
        assert!(!locale("e"));
        assert!(!locale("en-"));
        assert!(!locale("en-u"));
    }
}
