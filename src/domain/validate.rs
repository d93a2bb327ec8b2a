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
