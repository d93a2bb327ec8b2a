//! U6: a release's items are added by searching titles, not by pasting ids. The release page's
//! search runs the use case of `GET /v1/items?q=` and lists each matching item once per locale,
//! with a form that adds that key (L2) at its latest version unless another is typed.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::http::Cursor;
use crate::service::items;

/// Results a page.
const PAGE: i64 = 20;

/// One key of a matching item, with the version the add form starts with.
pub struct Found {
    pub item_id: String,
    pub title: Option<String>,
    pub kind: String,
    pub content_type: Option<String>,
    pub locale: String,
    /// The latest version in this locale.
    pub version: i32,
}

/// A search's text and a page of what it found.
pub struct Search {
    pub q: String,
    pub found: Vec<Found>,
    /// The link to the next page of results.
    pub next: Option<String>,
}

/// The items whose title contains `q` (3 to 200 characters, 400 otherwise), newest first, a
/// page from `cursor`; `base` is the release page's link, ending in `?` or `&`.
pub fn search(conn: &mut DbConn, q: &str, cursor: &Option<String>, base: &str) -> AppResult<Search> {
    let p = super::views::page(cursor, PAGE, Cursor::Id)?;
    let page = items::list(conn, Some(q), &p)?;
    let found = page
        .data
        .into_iter()
        .flat_map(|i| {
            let row = i.row;
            i.locales.into_iter().map(move |(locale, version)| Found {
                item_id: row.id.clone(),
                title: row.title.clone(),
                kind: row.kind.to_string(),
                content_type: row.content_type.clone(),
                locale,
                version,
            })
        })
        .collect();
    let here = format!("{base}q={}&", super::views::url_component(q));
    Ok(Search {
        next: page.next_cursor.map(|c| format!("{here}found={}#search", super::views::url_component(&c))),
        q: q.to_string(),
        found,
    })
}
