//! The rules of `docs/api-guide.md` (its rule ids) as plain functions over plain data: no actix, no diesel.

pub mod addresses;
pub mod answer_size;
pub mod conflict;
pub mod content_cursor;
pub mod diff;
pub mod environment_rollback;
pub mod holds;
pub mod ids;
pub mod locale;
pub mod plan;
pub mod release_items;
pub mod rollback;
pub mod titles;
pub mod user_names;
pub mod validate;
pub mod webhooks;

use serde::{Deserialize, Serialize};

/// Declares a closed set of wire words, with `as_str` and `parse` in one place.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The word stored in the database and sent on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value a stored word names, if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What a user may do: admins everything, editors content and releases, viewers read.
    Role { Admin => "admin", Editor => "editor", Viewer => "viewer" }
);
wire_enum!(
    /// An entry has a content type; an asset has none.
    ItemKind { Entry => "entry", Asset => "asset" }
);
wire_enum!(
    /// What a release item asks for.
    Action { Publish => "publish", Unpublish => "unpublish" }
);
wire_enum!(
    /// What a deployment did, or would do, to one key.
    Outcome { Published => "published", Unpublished => "unpublished", Skipped => "skipped" }
);
wire_enum!(
    /// Why a key was left as it was.
    SkipReason {
        AlreadyUnpublished => "already_unpublished",
        NotDeployed => "not_deployed",
        ChangedAfterDeployment => "changed_after_deployment",
        Unchanged => "unchanged",
        NotSelected => "not_selected",
        AlreadyRolledBack => "already_rolled_back",
    }
);
wire_enum!(
    /// H1, H2: why an environment is held: by a person, or by a rollback that succeeded.
    HoldCause { Manual => "manual", Rollback => "rollback" }
);
wire_enum!(
    /// A release to deploy, or a user's rollback release of one.
    ReleaseKind { Standard => "standard", Rollback => "rollback" }
);
wire_enum!(
    /// The life of a deployment (SPEC §1).
    DeploymentStatus {
        Scheduled => "scheduled",
        Queued => "queued",
        InProgress => "in_progress",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);
impl DeploymentStatus {
    /// Whether a deployment with this status has ended (succeeded, failed or cancelled): it
    /// changes no more, and a stream of it ends.
    pub fn is_final(self) -> bool {
        matches!(self, DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
    }

    /// L7: whether a deployment with this status may still be cancelled (scheduled or queued).
    pub(crate) fn is_cancellable(self) -> bool {
        matches!(self, DeploymentStatus::Scheduled | DeploymentStatus::Queued)
    }

    /// Where the status stands in a deployment's life: scheduled, queued, running, ended.
    pub(crate) fn rank(self) -> u8 {
        match self {
            DeploymentStatus::Scheduled => 0,
            DeploymentStatus::Queued => 1,
            DeploymentStatus::InProgress => 2,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled => 3,
        }
    }
}
wire_enum!(
    /// W4: where a webhook delivery stands: waiting for an attempt (or a retry), accepted by its
    /// endpoint with a 2xx, or given up (its schedule spent, or its endpoint deleted).
    DeliveryStatus { Pending => "pending", Delivered => "delivered", Failed => "failed" }
);
impl DeliveryStatus {
    /// W4: whether the delivery may be queued again (`POST …/retry`): only a failed one.
    pub(crate) fn is_retryable(self) -> bool {
        self == DeliveryStatus::Failed
    }
}
wire_enum!(
    /// C1: what a rollback deployment does with keys changed after the deployment it undoes.
    ConflictPolicy { Skip => "skip", Fail => "fail" }
);

impl Default for ConflictPolicy {
    /// C1: a rollback skips what changed after the deployment it undoes unless asked to fail.
    fn default() -> ConflictPolicy {
        ConflictPolicy::Skip
    }
}
wire_enum!(
    /// What started a deployment.
    Trigger { Manual => "manual", Scheduled => "scheduled", Rollback => "rollback" }
);

// After `wire_enum!`, which it uses.
pub mod references;

use references::Warning;

/// A publish state key within one environment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub item_id: String,
    pub locale: String,
}

impl Key {
    pub fn new(item_id: impl Into<String>, locale: impl Into<String>) -> Key {
        Key { item_id: item_id.into(), locale: locale.into() }
    }
}

/// One key of a deployment's plan: what will be (or was) done and what stood before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub key: Key,
    pub action: Action,
    /// The version to publish; `None` for an unpublish.
    pub version: Option<i32>,
    /// The version published when the plan was made; `None` if unpublished.
    pub prior_version: Option<i32>,
    pub outcome: Outcome,
    pub skip_reason: Option<SkipReason>,
    /// R1: what the plan leaves dangling or still referenced; set by `references::annotate`.
    pub warnings: Vec<Warning>,
    /// U6: the title of the version it publishes, else the item's; set where a plan is shown.
    pub title: Option<String>,
}

impl PlannedItem {
    /// Sets `key` to `target` (publish it, or unpublish where `None`), with L5's rule that
    /// unpublishing what is not published is skipped.
    pub fn restore(key: Key, target: Option<i32>, prior_version: Option<i32>) -> PlannedItem {
        match target {
            Some(v) => PlannedItem {
                key,
                action: Action::Publish,
                version: Some(v),
                prior_version,
                outcome: Outcome::Published,
                skip_reason: None,
                warnings: Vec::new(),
                title: None,
            },
            None if prior_version.is_none() => {
                PlannedItem::skip(key, Action::Unpublish, None, prior_version, SkipReason::AlreadyUnpublished)
            }
            None => PlannedItem {
                key,
                action: Action::Unpublish,
                version: None,
                prior_version,
                outcome: Outcome::Unpublished,
                skip_reason: None,
                warnings: Vec::new(),
                title: None,
            },
        }
    }

    /// A key left as it is, for `reason`.
    pub fn skip(
        key: Key,
        action: Action,
        version: Option<i32>,
        prior_version: Option<i32>,
        reason: SkipReason,
    ) -> PlannedItem {
        PlannedItem {
            key,
            action,
            version,
            prior_version,
            outcome: Outcome::Skipped,
            skip_reason: Some(reason),
            warnings: Vec::new(),
            title: None,
        }
    }
}

/// How many keys a plan publishes, unpublishes and skips: a deployment's `counts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub published: i32,
    pub unpublished: i32,
    pub skipped: i32,
}

impl Counts {
    /// Tallies the outcomes of a plan.
    pub fn of(plan: &[PlannedItem]) -> Counts {
        let mut c = Counts::default();
        c.add(plan);
        c
    }

    /// Adds the outcomes of a page of a plan.
    pub fn add(&mut self, page: &[PlannedItem]) {
        for p in page {
            match p.outcome {
                Outcome::Published => self.published += 1,
                Outcome::Unpublished => self.unpublished += 1,
                Outcome::Skipped => self.skipped += 1,
            }
        }
    }
}
