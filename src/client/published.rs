//! `rewind env content` and `rewind env sync`: what the website reads (V1–V3), as a person reads
//! it (a table of every page) and as a script keeps up with it (sync rounds, one JSON line per
//! entry, the cursor stored only once a round is printed in full).

use std::io::Write;
use std::path::Path;

use super::cursor_file;
use super::failure::{code, Failure};
use super::http::Query;
use super::Context;
use crate::api::wire::{ContentEntry, SyncAnswer};
use crate::error::ProblemCode;

/// Where V1's content is read as of (V2): at most one of them (clap refuses two).
pub(super) struct Point {
    pub at: Option<String>,
    pub deployment: Option<String>,
    pub release: Option<String>,
}

impl Point {
    fn query(self) -> Query<'static> {
        [("at", self.at), ("deployment", self.deployment), ("release", self.release)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }
}

/// V1: the content of `env` (of `item` only: one entry, 404 `not_published` when it is not).
pub(super) fn content(
    ctx: &Context,
    env: &str,
    item: Option<String>,
    locale: Option<String>,
    point: Point,
) -> Result<(), Failure> {
    let mut q = point.query();
    q.extend(locale.map(|l| ("locale", l)));
    match item {
        Some(item) => ctx.out.one(&ctx.api.get::<ContentEntry>(&["v1", "environments", env, "content", &item], q)?),
        None => {
            ctx.out.list(&ctx.api.list::<ContentEntry>(&["v1", "environments", env, "content"], q, ctx.args.limit)?)
        }
    }
}

/// V3: one whole round from the cursor in `cursor_file` (a full round without one), each entry
/// printed as one line of JSON as its page arrives; the round's `sync_cursor` replaces the file
/// only after the last line is out, so a run cut short repeats its round and never skips it.
pub(super) fn sync(
    ctx: &Context,
    env: &str,
    cursor_file: &Path,
    content_type: Option<String>,
    page_size: u16,
) -> Result<(), Failure> {
    if ctx.args.limit.is_some() {
        return Err(Failure::usage("env sync reads whole rounds: --limit does not apply (--page-size does)"));
    }
    let mut cursor = cursor_file::read(cursor_file)?;
    let mut from_file = cursor.is_some();
    let mut out = std::io::stdout().lock();
    loop {
        let mut q: Query = vec![("limit", page_size.to_string())];
        q.extend(content_type.clone().map(|t| ("content_type", t)));
        q.extend(cursor.take().map(|c| ("cursor", c)));
        let page: SyncAnswer = ctx.api.get_whole(&["v1", "environments", env, "sync"], q).map_err(|f| {
            if from_file {
                of_file(f, cursor_file)
            } else {
                f
            }
        })?;
        from_file = false;
        for entry in &page.data {
            let line = serde_json::to_string(entry).map_err(|e| Failure::new(code::BAD_ANSWER, e.to_string()))?;
            writeln!(out, "{line}").map_err(super::output::broken)?;
        }
        match (page.next_cursor, page.sync_cursor) {
            (Some(next), _) => cursor = Some(next),
            (None, Some(next_round)) => {
                out.flush().map_err(super::output::broken)?;
                return cursor_file::replace(cursor_file, &next_round);
            }
            (None, None) => return Err(Failure::new(code::BAD_ANSWER, "the round's last page carries no sync_cursor")),
        }
    }
}

/// A refusal of the stored cursor names the file it came from, and the way out.
fn of_file(f: Failure, cursor_file: &Path) -> Failure {
    if f.code != ProblemCode::InvalidCursor.as_str() {
        return f;
    }
    let detail =
        format!("{} (the cursor in {}; delete the file to start a full sync)", f.detail, cursor_file.display());
    Failure { detail, ..f }
}
