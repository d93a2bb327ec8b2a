//! A locale (SPEC §1): lowercase, like `en-us`, at most 35 characters. The one place its pattern
//! and its length limit are written; the service, the console and the client all parse with it.

/// The longest locale, in characters (SPEC §1; BCP 47 recommends 35).
pub(crate) const MAX_LENGTH: usize = 35;

/// The pattern of a locale, as the OpenAPI document states it (with `maxLength` 35).
pub(crate) const PATTERN: &str = "^[a-z]{2,3}(-[a-z0-9]{2,8})*$";

/// The rule a refused locale breaks, in words a client can show.
pub(crate) const RULE: &str =
    "must be a lowercase locale like en-us (^[a-z]{2,3}(-[a-z0-9]{2,8})*$), at most 35 characters";

/// Answers `s` when it is a locale, else the rule it breaks.
pub fn parse(s: &str) -> Result<&str, &'static str> {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    let shaped = (2..=3).contains(&lang.len())
        && lang.bytes().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if shaped && s.len() <= MAX_LENGTH {
        Ok(s)
    } else {
        Err(RULE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_locales_follow_the_pattern_and_are_at_most_35_characters() {
        for ok in ["en", "en-us", "zh-hant-tw", "abc-12345678-12345678-12345678-12"] {
            assert_eq!(parse(ok), Ok(ok), "{ok}");
        }
        let long = format!("en-{}", "abcdefgh-".repeat(300));
        let longest = "abc-12345678-12345678-12345678-1234";
        assert_eq!(longest.len(), 35);
        assert_eq!(parse(longest), Ok(longest));
        for bad in ["EN", "e", "en-", "en-u", &long[..long.len() - 1], "abc-12345678-12345678-12345678-12345"] {
            assert_eq!(parse(bad), Err(RULE), "{bad}");
        }
        assert!(regex::Regex::new(PATTERN).unwrap().is_match("en-us"));
    }
}
