//! S1, S2: the deployment feed. One watcher per process notices every change of a deployment
//! and fans it out on a broadcast channel to every open stream, so a thousand streams cost
//! about what one does; each change is serialized once, whoever listens.
//!
//! A change reaches the feed two ways. Changes made in this process (a deploy, a cancel, the
//! worker's claim, a deployment's progress and its end) are published by the code that made
//! them, right after their commit. Changes made by another process sharing the database are
//! found by the watcher's poll (every 100 ms while anyone listens, every second otherwise): the
//! deployments that are awaiting approval, queued or running, that were just so, or that were
//! created or ended in the last `RECENT`. The feed remembers what it last sent of each deployment and sends only
//! what differs, so a change found both ways is sent once.
//!
//! Progress between a deployment's start and its end is known only to the process that runs it
//! (the deployment is one transaction, invisible to others until it commits); the worker
//! reports it after each chunk it applies, and the watcher sends it at most every 100 ms per
//! deployment. A stream on another process sees the start and the end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, Notify};

use crate::deployment_document::Deployment;
use crate::domain::DeploymentStatus;
use crate::error::json_text;
use crate::service::deployments::DeploymentView;

/// How often the watcher looks at the database while a stream is open.
pub(crate) const POLL: Duration = Duration::from_millis(100);
/// How often it looks while none is, to keep what it remembers current.
pub(super) const IDLE_POLL: Duration = Duration::from_secs(1);
/// How far back the watcher looks for deployments created or ended by another process: longer
/// than any commit takes to become visible, and than the clocks of two processes disagree.
pub(super) const RECENT: Duration = Duration::from_secs(30);
/// How long a deployment that is not running is remembered after its last change (so that
/// finding it again sends nothing).
const FORGET_AFTER: Duration = Duration::from_secs(120);
/// How many changes a slow stream may fall behind before it reads its deployment afresh.
const CHANNEL: usize = 4096;

/// One change of a deployment, as every stream sends it.
#[derive(Debug)]
pub(crate) struct Change {
    pub id: String,
    pub environment: String,
    pub status: DeploymentStatus,
    /// Whether the deployment is new to the feed or its status changed (S2 sends only these;
    /// a change of progress alone is for S1).
    pub status_changed: bool,
    /// The deployment object, as `GET /v1/deployments/{id}` answers it, serialized once.
    pub json: Arc<str>,
}

/// Whether the poll reads a deployment again every round: it is waiting for approval (A3: an
/// approval in another process may schedule it) or for a worker, or being run.
fn is_watched(s: DeploymentStatus) -> bool {
    matches!(s, DeploymentStatus::AwaitingApproval | DeploymentStatus::Queued | DeploymentStatus::InProgress)
}

/// What the feed last sent of one deployment.
struct Sent {
    view: DeploymentView,
    status: DeploymentStatus,
    done: i32,
    total: i32,
    at: Instant,
}

#[derive(Default)]
struct Memory {
    sent: HashMap<String, Sent>,
    /// Progress reported by this process's worker, not sent yet: `(done, total)`.
    progress: HashMap<String, (i32, i32)>,
}

/// The feed of one process: the broadcast channel and what it last sent.
pub(crate) struct DeploymentFeed {
    tx: broadcast::Sender<Arc<Change>>,
    memory: Mutex<Memory>,
    pub(super) wake: Notify,
}

impl Default for DeploymentFeed {
    fn default() -> DeploymentFeed {
        DeploymentFeed { tx: broadcast::channel(CHANNEL).0, memory: Mutex::default(), wake: Notify::new() }
    }
}

fn status_of(v: &DeploymentView) -> DeploymentStatus {
    v.row.status
}

impl DeploymentFeed {
    /// Every change from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// How many streams listen.
    pub(crate) fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Sends the deployment as it now stands, unless it is what was sent last. Call it after
    /// the commit that changed it.
    pub fn publish(&self, view: &DeploymentView) {
        self.send(view.clone(), None, None);
    }

    /// Publishes each of these deployments.
    pub(crate) fn publish_all(&self, views: &[DeploymentView]) {
        for v in views {
            self.publish(v);
        }
    }

    /// Notes the progress of a deployment this process runs; the watcher sends it within `POLL`.
    pub fn progress(&self, id: &str, done: i32, total: i32) {
        self.memory.lock().expect("feed memory").progress.insert(id.to_string(), (done, total));
    }

    /// Sends `view` (with `progress` as its progress, if given) unless the stream has it or
    /// something later already: nothing after a final status, no progress going back, and
    /// nothing from a read that began (`read_at`) before the deployment's last change was sent.
    pub(super) fn send(&self, mut view: DeploymentView, progress: Option<(i32, i32)>, read_at: Option<Instant>) {
        let status = status_of(&view);
        if let Some((done, total)) = progress {
            view.row.progress_done = done;
            view.row.progress_total = total;
        }
        let (done, total) = (view.row.progress_done, view.row.progress_total);
        let mut memory = self.memory.lock().expect("feed memory");
        let last = memory.sent.get(&view.row.id);
        if let Some(last) = last {
            let behind = read_at.is_some_and(|r| r < last.at);
            let no_further = last.status == status && (done, total) <= (last.done, last.total);
            // A status earlier in a deployment's life than the one sent is stale, unless a read
            // that began after that send found it (a deployment queued again after its run was
            // cut short).
            let back = status.rank() < last.status.rank() && read_at.is_none();
            if last.status.is_final() || behind || no_further || back {
                return;
            }
        }
        let status_changed = last.is_none_or(|l| l.status != status);
        if status.is_final() {
            memory.progress.remove(&view.row.id);
        }
        let json: Arc<str> = json_text(&Deployment::from(view.clone()), "deployment").into();
        let change = Arc::new(Change {
            id: view.row.id.clone(),
            environment: view.environment.clone(),
            status,
            status_changed,
            json,
        });
        memory.sent.insert(view.row.id.clone(), Sent { view, status, done, total, at: Instant::now() });
        // Sent under the lock, so that every stream gets one deployment's changes in order.
        let _ = self.tx.send(change);
    }

    /// Sends the progress noted since the last round, at most once a round per deployment.
    pub(super) fn send_progress(&self) {
        let pending: Vec<(String, (i32, i32))> =
            std::mem::take(&mut self.memory.lock().expect("feed memory").progress).into_iter().collect();
        for (id, progress) in pending {
            let view = self.memory.lock().expect("feed memory").sent.get(&id).map(|s| s.view.clone());
            if let Some(view) = view {
                self.send(view, Some(progress), None);
            }
        }
    }

    /// The deployments that were awaiting approval, queued or running when last seen: the poll
    /// reads them again, so that it sees them leave that state however long it took.
    pub(super) fn active(&self) -> Vec<String> {
        let memory = self.memory.lock().expect("feed memory");
        memory.sent.iter().filter(|(_, s)| is_watched(s.status)).map(|(id, _)| id.clone()).collect()
    }

    /// Forgets what was sent of deployments that are not running and did not change lately: a
    /// scheduled deployment may wait for years, and its next change is found as a new one.
    pub(super) fn forget_old(&self) {
        let mut memory = self.memory.lock().expect("feed memory");
        memory.sent.retain(|_, s| is_watched(s.status) || s.at.elapsed() < FORGET_AFTER);
    }

    /// Wakes the watcher for a round now (a stream opened).
    pub(crate) fn poke(&self) {
        self.wake.notify_one();
    }
}
