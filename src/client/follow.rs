//! `--wait` and `deployment watch`: follows deployments on their S1 streams until each ends (also
//! through `awaiting_approval`, A2), with a progress bar per deployment on a terminal and one
//! plain line per change otherwise.

use std::io::{BufRead, BufReader, IsTerminal};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::failure::{code, Failure};
use super::http::Api;
use crate::api::wire::Deployment;
use crate::domain::DeploymentStatus;

/// How long one stream request may stay open before it is opened again (also without a
/// deadline, so that a connection that silently died is noticed).
const STREAM_SPAN: Duration = Duration::from_secs(300);
/// The pause before a stream that ended early is opened again.
const REOPEN_PAUSE: Duration = Duration::from_millis(300);

/// Follows every one of `deployments` until it ends or `timeout` runs out; answers them as
/// they ended (or stand). Fails with exit 7 when time ran out, with exit 1 when one failed or
/// was cancelled; the deployments are answered in both cases, for printing first.
pub fn follow(
    api: &Api,
    deployments: Vec<Deployment>,
    timeout: Option<Duration>,
    quiet: bool,
) -> (Vec<Deployment>, Option<Failure>) {
    let deadline = timeout.map(|t| Instant::now() + t);
    let bars = (!quiet && std::io::stderr().is_terminal()).then(MultiProgress::new);
    let ended: Vec<(Deployment, Option<Failure>)> = std::thread::scope(|s| {
        let handles: Vec<_> = deployments
            .into_iter()
            .map(|d| {
                let bar = bars.as_ref().map(|m| m.add(bar_for(&d)));
                s.spawn(move || follow_one(api, d, deadline, bar, quiet))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a follower thread")).collect()
    });
    let mut failure = None;
    let mut out = Vec::new();
    for (d, f) in ended {
        if let Some(f) = f {
            failure.get_or_insert(f);
        }
        out.push(d);
    }
    let still: Vec<&Deployment> = out.iter().filter(|d| !d.status.is_final()).collect();
    if failure.is_none() && !still.is_empty() {
        let ids: Vec<&str> = still.iter().map(|d| d.id.as_str()).collect();
        let waited = humantime::format_duration(timeout.unwrap_or_default());
        let doing = if still.iter().all(|d| d.status == DeploymentStatus::AwaitingApproval) {
            "awaiting approval"
        } else {
            "running"
        };
        failure = Some(Failure::new(
            code::WAIT_TIMED_OUT,
            format!(
                "still {doing} after {waited}: {}; the work goes on (`rewind deployment watch {}` follows it)",
                ids.join(", "),
                ids[0]
            ),
        ));
    }
    if failure.is_none() {
        if let Some(d) = out.iter().find(|d| d.status != DeploymentStatus::Succeeded) {
            let (c, what) = match (&d.status, &d.rejection) {
                (DeploymentStatus::Cancelled, Some(r)) => (
                    code::DEPLOYMENT_CANCELLED,
                    format!("was rejected by {}: {}", r.user_id, r.comment.as_deref().unwrap_or("no comment given")),
                ),
                (DeploymentStatus::Cancelled, None) => (code::DEPLOYMENT_CANCELLED, "was cancelled".to_string()),
                _ => (code::DEPLOYMENT_FAILED, format!("failed: {}", d.error.as_deref().unwrap_or("no error given"))),
            };
            failure = Some(Failure::new(c, format!("deployment {} in {} {what}", d.id, d.environment)));
        }
    }
    (out, failure)
}

fn bar_for(d: &Deployment) -> ProgressBar {
    let bar = ProgressBar::new(d.progress.total.max(0) as u64);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("{} {}", d.environment, short(&d.id)));
    bar.set_message(super::output::status(d));
    bar
}

fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(12)..).unwrap_or(id)
}

/// Shows one change of a deployment: the bar moves, or one line on stderr.
fn show(d: &Deployment, bar: &Option<ProgressBar>, quiet: bool) {
    match bar {
        Some(bar) => {
            bar.set_length(d.progress.total.max(0) as u64);
            bar.set_position(d.progress.done.max(0) as u64);
            bar.set_message(super::output::status(d));
        }
        None if !quiet => eprintln!(
            "deployment {} in {}: {} {}/{}",
            d.id,
            d.environment,
            super::output::status(d),
            d.progress.done,
            d.progress.total
        ),
        None => {}
    }
}

/// Follows one deployment's stream, opened again after it breaks, until a final status or the
/// deadline; answers it as it stands then, and the failure of a stream that could not be opened
/// again (after the client's retries: exit 6).
fn follow_one(
    api: &Api,
    mut last: Deployment,
    deadline: Option<Instant>,
    bar: Option<ProgressBar>,
    quiet: bool,
) -> (Deployment, Option<Failure>) {
    let mut shown: Option<(String, i32, i32)> = None;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            if let Some(bar) = &bar {
                bar.abandon_with_message(format!("{} (still going)", super::output::status(&last)));
            }
            return (last, None);
        }
        let span = left.map_or(STREAM_SPAN, |l| l.min(STREAM_SPAN));
        let stream = match api.stream(&["v1", "deployments", &last.id, "stream"], span) {
            Ok(s) => s,
            Err(f) => return (last, Some(f)),
        };
        for d in events(stream) {
            // The status as printed: an approval given while it awaits more shows too.
            let now = (super::output::status(&d), d.progress.done, d.progress.total);
            if shown.as_ref() != Some(&now) {
                show(&d, &bar, quiet);
                shown = Some(now);
            }
            last = d;
            if last.status.is_final() {
                if let Some(bar) = &bar {
                    bar.finish_with_message(last.status.to_string());
                }
                return (last, None);
            }
        }
        std::thread::sleep(REOPEN_PAUSE);
    }
}

/// The `deployment` events of an S1 stream, until it ends or breaks (a timeout included).
/// Only what the server sends is read: `event:` and `data:` lines, comments, blank lines.
fn events(stream: impl std::io::Read) -> impl Iterator<Item = Deployment> {
    let mut lines = BufReader::new(stream).lines();
    let mut event = String::new();
    let mut data = String::new();
    std::iter::from_fn(move || loop {
        let line = lines.next()?.ok()?;
        if line.is_empty() {
            let (e, d) = (std::mem::take(&mut event), std::mem::take(&mut data));
            if e == "deployment" {
                if let Ok(deployment) = serde_json::from_str::<Deployment>(&d) {
                    return Some(deployment);
                }
            }
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim_start().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    })
}
