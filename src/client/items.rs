//! `rewind item diff`: what one version of an item changes against another (D1).

use super::args::{Format, ItemCommand};
use super::failure::Failure;
use super::{output, Context};
use crate::api::wire::ItemDiff;

/// Runs one `item` command.
pub(super) fn run(ctx: &Context, command: ItemCommand) -> Result<(), Failure> {
    match command {
        ItemCommand::Diff { id, locale, from, to } => {
            let mut q = vec![("locale", locale), ("to", to.to_string())];
            q.extend(from.map(|f| ("from", f.to_string())));
            let diff: ItemDiff = ctx.api.get(&["v1", "items", &id, "diff"], q)?;
            print(ctx, &diff)
        }
    }
}

/// A diff for a person: one line per JSON Patch operation, then the references.
fn print(ctx: &Context, diff: &ItemDiff) -> Result<(), Failure> {
    if ctx.out.format == Format::Json {
        return output::json(diff);
    }
    if ctx.out.quiet {
        return output::lines([diff.item_id.clone()]);
    }
    let from = diff.from.map(|f| format!("version {f}")).unwrap_or_else(|| "{}".into());
    output::lines([format!("{} {}: {from} -> version {}", diff.item_id, diff.locale, diff.to)])?;
    let mut rows = vec![vec!["OP".to_string(), "PATH".into(), "VALUE".into()]];
    for op in diff.patch.as_array().into_iter().flatten() {
        let text = |k: &str| op.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        let value = op.get("value").map(|v| v.to_string()).or_else(|| text("from").map(|f| format!("from {f}")));
        rows.push(vec![text("op").unwrap_or_default(), text("path").unwrap_or_default(), value.unwrap_or_default()]);
    }
    output::aligned(&rows)?;
    let refs = &diff.references;
    output::lines(
        refs.added
            .iter()
            .map(|r| format!("reference added: {r}"))
            .chain(refs.removed.iter().map(|r| format!("reference removed: {r}"))),
    )
}
