//! What the operator sees: the Prometheus recorder and the metrics rewind keeps, the request
//! log line, and the tracing subscriber, set up the same way by `main` and by the tests.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::db::queue_stats::QueueStats;
use crate::db::rows::DeploymentRow;
use crate::domain::{PlannedItem, SkipReason};

/// Counter of answered HTTP requests, by method, route template and status.
pub const HTTP_REQUESTS: &str = "rewind_http_requests_total";
/// Histogram of the time to answer an HTTP request, by method and route template.
pub(crate) const HTTP_DURATION: &str = "rewind_http_request_duration_seconds";
/// Counter of deployments that ended, by status and trigger.
pub const DEPLOYMENTS: &str = "rewind_deployments_total";
/// Counter of the keys of succeeded deployments, by outcome and skip reason.
pub const DEPLOYMENT_ITEMS: &str = "rewind_deployment_items_total";
/// Histogram of the time a worker spent running one deployment.
pub(crate) const DEPLOYMENT_DURATION: &str = "rewind_deployment_duration_seconds";
/// Gauge of deployments waiting for a worker: queued, and scheduled ones that are due.
pub const QUEUE_DEPTH: &str = "rewind_deployment_queue_depth";
/// Gauge of how long the oldest queued deployment has waited, in seconds.
pub const OLDEST_QUEUED_AGE: &str = "rewind_deployment_oldest_queued_age_seconds";
/// Gauge of how late the most overdue scheduled deployment is, in seconds (0 when none is due).
pub const SCHEDULER_LAG: &str = "rewind_scheduler_lag_seconds";
/// Gauge of environments held or in an open freeze window (H1, H4).
pub(crate) const HELD_ENVIRONMENTS: &str = "rewind_held_environments";
/// Gauge of standard releases' scheduled or queued deployments that a hold keeps back (H3).
pub(crate) const HELD_DEPLOYMENTS: &str = "rewind_held_deployments";

/// The route label of a request that matched no route: a fixed word, so that fuzzed or
/// mistyped paths cannot create series without end.
pub(crate) const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the HTTP duration buckets; long ones for `Prefer: wait` (up to 60 s).
const HTTP_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Upper bounds of the deployment duration buckets: 100,000 keys take a few seconds.
const DEPLOYMENT_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
/// Histogram samples wait in memory until rendered; upkeep folds them in when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder, installed on first use.
pub(crate) fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DEPLOYMENT_DURATION.into()), DEPLOYMENT_BUCKETS))
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let _ = metrics::set_global_recorder(recorder);
        describe();
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        });
        handle
    })
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route template and status");
    metrics::describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "time to answer an HTTP request");
    metrics::describe_counter!(DEPLOYMENTS, "deployments that ended, by status and trigger");
    metrics::describe_counter!(DEPLOYMENT_ITEMS, "keys of succeeded deployments, by outcome and skip reason");
    metrics::describe_histogram!(DEPLOYMENT_DURATION, metrics::Unit::Seconds, "time to run one deployment");
    metrics::describe_gauge!(QUEUE_DEPTH, "deployments queued or scheduled and due");
    metrics::describe_gauge!(OLDEST_QUEUED_AGE, metrics::Unit::Seconds, "wait of the oldest queued deployment");
    metrics::describe_gauge!(
        SCHEDULER_LAG,
        metrics::Unit::Seconds,
        "lateness of the most overdue scheduled deployment"
    );
    metrics::describe_gauge!(HELD_ENVIRONMENTS, "environments held or in an open freeze window");
    metrics::describe_gauge!(HELD_DEPLOYMENTS, "scheduled or queued deployments that holds keep back");
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    recorder().render()
}

/// The method label: the standard methods by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts and times one answered request and writes its log line (inside the request's span,
/// so the line carries the request id). `route` is the matched template, if any.
pub(crate) fn request_answered(method: &Method, route: Option<String>, status: StatusCode, elapsed: Duration) {
    let method = method_label(method);
    let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_string());
    let status = status.as_u16();
    tracing::info!(method, route = %route, status, elapsed_ms = elapsed.as_micros() as f64 / 1000.0, "request answered");
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route).record(elapsed.as_secs_f64());
}

/// How many keys of a plan had each outcome and skip reason, tallied in memory so that the
/// counters move once per kind rather than once per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ItemTally(BTreeMap<(&'static str, &'static str), u64>);

impl ItemTally {
    /// Adds a page of a plan, by outcome and skip reason (`none` when not skipped).
    pub fn add(&mut self, page: &[PlannedItem]) {
        for p in page {
            *self.0.entry((p.outcome.as_str(), p.skip_reason.map_or("none", SkipReason::as_str))).or_insert(0) += 1;
        }
    }
}

/// Counts a deployment that ended, by its stored status and trigger, and the keys it changed or
/// skipped when it ran (`items` is `None` for one that failed or was cancelled).
pub(crate) fn deployment_ended(row: &DeploymentRow, items: Option<&ItemTally>) {
    metrics::counter!(DEPLOYMENTS, "status" => row.status.as_str(), "trigger" => row.trigger.as_str()).increment(1);
    for (&(outcome, skip_reason), &n) in items.map(|t| &t.0).into_iter().flatten() {
        metrics::counter!(DEPLOYMENT_ITEMS, "outcome" => outcome, "skip_reason" => skip_reason).increment(n);
    }
}

/// Sets the queue gauges from the database's answer at scrape time.
pub(crate) fn queue_observed(stats: &QueueStats) {
    metrics::gauge!(QUEUE_DEPTH).set(stats.depth as f64);
    metrics::gauge!(OLDEST_QUEUED_AGE).set(stats.oldest_queued_age_seconds);
    metrics::gauge!(SCHEDULER_LAG).set(stats.scheduler_lag_seconds);
    metrics::gauge!(HELD_ENVIRONMENTS).set(stats.held_environments as f64);
    metrics::gauge!(HELD_DEPLOYMENTS).set(stats.held_deployments as f64);
}

/// The log filter of `RUST_LOG`, `info` when it is unset or unreadable.
pub(crate) fn env_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The service's tracing subscriber: `json` writes one JSON object per line (with the fields of
/// the current span and its parents, so request lines carry `request_id`), anything else text.
pub fn subscriber<W>(format: &str, filter: EnvFilter, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    if format == "json" {
        Box::new(builder.json().finish())
    } else {
        Box::new(builder.finish())
    }
}

/// Installs `subscriber(format, env_filter(), stderr)` for the process, and forwards the `log`
/// records of the libraries to it.
pub fn init_tracing(format: &str) {
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = subscriber(format, env_filter(), std::io::stderr).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, Key};

    #[test]
    fn item_tally_counts_each_outcome_and_skip_reason_once_per_kind_over_pages() {
        let key = |n: &str| Key::new(n, "en");
        let plan = [
            PlannedItem::restore(key("a"), Some(2), Some(1)),
            PlannedItem::restore(key("b"), Some(3), None),
            PlannedItem::restore(key("c"), None, Some(1)),
            PlannedItem::skip(key("d"), Action::Publish, Some(1), Some(1), SkipReason::Unchanged),
            PlannedItem::restore(key("e"), None, None),
        ];
        let want = BTreeMap::from([
            (("published", "none"), 2),
            (("unpublished", "none"), 1),
            (("skipped", "unchanged"), 1),
            (("skipped", "already_unpublished"), 1),
        ]);
        // Two pages add up to what the whole plan tallies.
        let mut tally = ItemTally::default();
        tally.add(&plan[..2]);
        tally.add(&plan[2..]);
        assert_eq!(tally.0, want);
    }
}
