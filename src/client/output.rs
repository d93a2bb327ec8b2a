//! How the client prints answers: an aligned table for a person, the API's `data` as JSON for a
//! program (`--output json`), or ids only (`--quiet`).

use std::io::Write;

use serde::Serialize;
use tabwriter::TabWriter;

use super::args::{ClientArgs, Format};
use super::failure::{code, Failure};
use crate::api::promotions::Difference;
use crate::api::wire::{
    ContentEntry, Deployment, Environment, Freeze, Hold, PlanItem, PublishEvent, PublishState, Release,
};
use crate::domain::DeploymentStatus;

/// A wire type shown as a table row.
pub trait Row {
    /// The column names.
    const HEADERS: &'static [&'static str];
    /// What `--quiet` prints.
    fn id(&self) -> String;
    /// One cell per header.
    fn cells(&self) -> Vec<String>;
}

/// Where and how answers go.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
}

impl Output {
    /// The printing the client options ask for.
    pub fn of(args: &ClientArgs) -> Output {
        Output { format: args.output, quiet: args.quiet }
    }

    /// A list: one JSON array, ids one a line, or a table with a header line.
    pub fn list<T: Row + Serialize>(&self, rows: &[T]) -> Result<(), Failure> {
        match (self.format, self.quiet) {
            (Format::Json, _) => json(&rows),
            (Format::Table, true) => lines(rows.iter().map(Row::id)),
            (Format::Table, false) => {
                let mut table = vec![T::HEADERS.iter().map(|h| h.to_string()).collect()];
                table.extend(rows.iter().map(Row::cells));
                aligned(&table)
            }
        }
    }

    /// A single resource: its JSON object, its id, or one `field  value` line per column.
    pub fn one<T: Row + Serialize>(&self, row: &T) -> Result<(), Failure> {
        match (self.format, self.quiet) {
            (Format::Json, _) => json(row),
            (Format::Table, true) => lines([row.id()]),
            (Format::Table, false) => {
                let table: Vec<Vec<String>> =
                    T::HEADERS.iter().zip(row.cells()).map(|(h, c)| vec![h.to_string(), c]).collect();
                aligned(&table)
            }
        }
    }
}

/// Prints `value` as one line of JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(|e| Failure::new(code::BAD_ANSWER, e.to_string()))?;
    lines([text])
}

/// Prints each of `lines` on stdout.
pub fn lines(lines: impl IntoIterator<Item = String>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}").map_err(broken)?;
    }
    Ok(())
}

/// Prints `rows` as columns aligned by elastic tabstops.
pub fn aligned(rows: &[Vec<String>]) -> Result<(), Failure> {
    let mut tw = TabWriter::new(std::io::stdout().lock()).padding(2);
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace(['\t', '\n'], " ")).collect();
        writeln!(tw, "{}", cells.join("\t")).map_err(broken)?;
    }
    tw.flush().map_err(broken)
}

/// A failure to write to stdout (a closed pipe, a full disk).
pub(super) fn broken(e: std::io::Error) -> Failure {
    Failure::new(code::BAD_ANSWER, format!("cannot write to stdout: {e}"))
}

/// `-` for what is absent.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_else(|| "-".into())
}

impl Row for Deployment {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "ENVIRONMENT",
        "RELEASE",
        "RELEASE NAME",
        "TRIGGER",
        "STATUS",
        "PROGRESS",
        "COUNTS",
        "SCHEDULED",
        "FINISHED",
        "ERROR",
    ];
    fn id(&self) -> String {
        self.id.clone()
    }
    fn cells(&self) -> Vec<String> {
        let c = &self.counts;
        vec![
            self.id.clone(),
            self.environment.clone(),
            opt(&self.release_id),
            opt(&self.release_name),
            self.trigger.to_string(),
            status(self),
            format!("{}/{}", self.progress.done, self.progress.total),
            format!("+{} -{} ={}", c.published, c.unpublished, c.skipped),
            opt(&self.scheduled_at),
            opt(&self.finished_at),
            opt(&self.error),
        ]
    }
}

/// A deployment's status, marked `(held)` when it waits for its environment's hold or freeze
/// (H3), and with the approvals given of those required while it awaits them (A2).
pub fn status(d: &Deployment) -> String {
    match &d.approvals {
        _ if d.held => format!("{} (held)", d.status),
        Some(a) if d.status == DeploymentStatus::AwaitingApproval => {
            format!("{} ({}/{})", d.status, a.given.len(), a.required)
        }
        _ => d.status.to_string(),
    }
}

/// What holds an environment back in one word or two: `held`, `frozen`, both, or `-` (H1, H4).
pub fn held(e: &Environment) -> String {
    match (&e.hold, &e.freeze) {
        (Some(_), Some(_)) => "held, frozen".into(),
        (Some(_), None) => "held".into(),
        (None, Some(_)) => "frozen".into(),
        (None, None) => "-".into(),
    }
}

impl Row for Environment {
    const HEADERS: &'static [&'static str] =
        &["NAME", "ACTIVE DEPLOYMENT", "ACTIVE RELEASE", "RELEASE NAME", "HOLD", "CREATED"];
    fn id(&self) -> String {
        self.name.clone()
    }
    fn cells(&self) -> Vec<String> {
        let active = self.active_deployment.as_ref();
        vec![
            self.name.clone(),
            active.map(|d| d.id.clone()).unwrap_or_else(|| "-".into()),
            active.map(|d| opt(&d.release_id)).unwrap_or_else(|| "-".into()),
            active.map(|d| opt(&d.release_name)).unwrap_or_else(|| "-".into()),
            held(self),
            self.created_at.to_string(),
        ]
    }
}

impl Row for Hold {
    const HEADERS: &'static [&'static str] =
        &["ID", "ENVIRONMENT", "CAUSE", "REASON", "HELD BY", "HELD AT", "DEPLOYMENT", "LIFTED BY", "LIFTED AT"];
    fn id(&self) -> String {
        self.id.clone()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.environment.clone(),
            self.cause.to_string(),
            self.reason.clone(),
            self.held_by.clone(),
            self.held_at.to_string(),
            opt(&self.deployment_id),
            opt(&self.lifted_by),
            opt(&self.lifted_at),
        ]
    }
}

impl Row for Freeze {
    const HEADERS: &'static [&'static str] =
        &["ID", "ENVIRONMENT", "STARTS", "ENDS", "REASON", "CREATED BY", "CREATED"];
    fn id(&self) -> String {
        self.id.clone()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.environment.clone(),
            self.starts_at.to_string(),
            self.ends_at.to_string(),
            self.reason.clone(),
            self.created_by.clone(),
            self.created_at.to_string(),
        ]
    }
}

impl Row for PublishState {
    const HEADERS: &'static [&'static str] = &["ITEM", "LOCALE", "TITLE", "VERSION", "LAST EVENT", "UPDATED"];
    fn id(&self) -> String {
        self.item_id.clone()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.item_id.clone(),
            self.locale.clone(),
            opt(&self.title),
            opt(&self.version),
            self.last_event_id.to_string(),
            self.updated_at.to_string(),
        ]
    }
}

impl Row for PublishEvent {
    const HEADERS: &'static [&'static str] = &["ID", "ITEM", "LOCALE", "FROM", "TO", "CAUSE", "DEPLOYMENT", "AT"];
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.item_id.clone(),
            self.locale.clone(),
            opt(&self.from_version),
            opt(&self.to_version),
            self.cause.clone(),
            opt(&self.deployment_id),
            self.at.to_string(),
        ]
    }
}

impl Row for Release {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "KIND", "ROLLBACK OF", "ITEMS", "LOCKED", "CREATED"];
    fn id(&self) -> String {
        self.id.clone()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.kind.clone(),
            opt(&self.rollback_of),
            self.item_count.to_string(),
            self.locked.to_string(),
            self.created_at.to_string(),
        ]
    }
}

impl Row for PlanItem {
    const HEADERS: &'static [&'static str] =
        &["ITEM", "LOCALE", "TITLE", "ACTION", "OUTCOME", "VERSION", "PRIOR", "SKIP REASON", "WARNINGS"];
    fn id(&self) -> String {
        self.item_id.clone()
    }
    fn cells(&self) -> Vec<String> {
        let warnings: Vec<String> =
            self.warnings.iter().map(|w| format!("{}:{}", w.code.as_str(), w.item_id)).collect();
        vec![
            self.item_id.clone(),
            self.locale.clone(),
            opt(&self.title),
            self.action.to_string(),
            self.outcome.to_string(),
            opt(&self.version),
            opt(&self.prior_version),
            opt(&self.skip_reason),
            if warnings.is_empty() { "-".into() } else { warnings.join(" ") },
        ]
    }
}

/// M1: `--quiet` prints `ITEM:LOCALE`, as `env promote --key` takes it.
impl Row for Difference {
    const HEADERS: &'static [&'static str] = &["ITEM", "LOCALE", "SOURCE VERSION", "TARGET VERSION"];
    fn id(&self) -> String {
        format!("{}:{}", self.item_id, self.locale)
    }
    fn cells(&self) -> Vec<String> {
        vec![self.item_id.clone(), self.locale.clone(), opt(&self.source_version), opt(&self.target_version)]
    }
}

impl Row for ContentEntry {
    const HEADERS: &'static [&'static str] = &["ITEM", "LOCALE", "TITLE", "VERSION", "PUBLISHED AT"];
    fn id(&self) -> String {
        self.item_id.clone()
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.item_id.clone(),
            self.locale.clone(),
            opt(&self.title),
            self.version.to_string(),
            opt(&self.published_at),
        ]
    }
}
