//! U6: people see names, not ids. A version's title comes from its content once, when it is
//! written; the title search takes its text as text, never as a pattern.

use serde_json::Value;

/// The longest title kept, in characters (Unicode scalar values, as SQL's `substr` counts).
pub const MAX_TITLE_CHARS: usize = 200;

/// The longest `q` of `GET /v1/items?q=`, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The shortest `q`: both backends' substring indexes work on trigrams, and a shorter text has
/// none, so it could only be answered by reading every item.
pub const MIN_QUERY_CHARS: usize = 3;

/// The title of a version's content: its `title`, else `name`, else `label`, the first that is a
/// non-empty JSON string, cut to [`MAX_TITLE_CHARS`]; `None` when there is none. The migration
/// that added titles computes the same in SQL for the versions written before it.
pub fn title_of(content: &Value) -> Option<String> {
    ["title", "name", "label"]
        .iter()
        .find_map(|field| content.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(|s| s.chars().take(MAX_TITLE_CHARS).collect())
}

/// Whether a new version in `locale` gives the item its title: an item's title is that of the
/// latest version in its first locale (alphabetically, byte by byte: locales are lowercase
/// ASCII), and a new version is the latest of its locale, so it does when no locale the item
/// has (`locales`, the new one among them or not) comes before its own.
pub fn retitles_item<'a>(locale: &str, locales: impl IntoIterator<Item = &'a str>) -> bool {
    locales.into_iter().all(|l| l.as_bytes() >= locale.as_bytes())
}

/// A title search's text, checked: 3 to 200 characters as sent (spaces are text), none a control
/// character (the document's pattern for `q`); the rule it breaks otherwise.
pub fn search_text(q: &str) -> Result<&str, String> {
    let n = q.chars().count();
    if n < MIN_QUERY_CHARS {
        return Err(format!("must be at least {MIN_QUERY_CHARS} characters"));
    }
    if n > MAX_QUERY_CHARS {
        return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    if q.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(q)
}

/// `text` as a `LIKE` pattern that matches it anywhere, with `\`, `%` and `_` taken literally
/// (escaped with `\`, the `ESCAPE` the query names).
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `text` as an FTS5 phrase (a trigram index matches it as a substring): in double quotes, with
/// each double quote doubled, so that no character of it is query syntax.
pub fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn u6_a_title_is_the_first_non_empty_string_of_title_name_label_cut_to_200() {
        assert_eq!(title_of(&json!({"title": "Home", "name": "n"})).as_deref(), Some("Home"));
        assert_eq!(title_of(&json!({"title": 5, "name": "Name"})).as_deref(), Some("Name"));
        assert_eq!(title_of(&json!({"title": "", "label": "L"})).as_deref(), Some("L"));
        assert_eq!(title_of(&json!({"label": ["x"]})), None);
        assert_eq!(title_of(&json!({})), None);
        let long = "é".repeat(300);
        assert_eq!(title_of(&json!({"title": long})).map(|t| t.chars().count()), Some(200));
    }

    #[test]
    fn u6_an_items_title_is_its_first_locales() {
        assert!(retitles_item("en", ["fr", "en", "en-us"]));
        assert!(!retitles_item("fr", ["fr", "en"]));
        assert!(!retitles_item("en-us", ["en"]));
        assert!(retitles_item("de", []));
    }

    #[test]
    fn u6_search_text_is_text_not_a_pattern() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(fts_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert!(search_text("ab").is_err());
        assert!(search_text(&"x".repeat(201)).is_err());
        assert_eq!(search_text("  abc "), Ok("  abc "), "spaces are text too");
    }
}
