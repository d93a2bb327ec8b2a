//! What a use case changed that the process must act on once its transaction has committed: the
//! deployment feed (S1, S2), the worker's wake-up, the token cache (T1). A use case that changes
//! any of these answers a [`Changed`]; the runtime (`crate::runtime::change`) applies its effects
//! after the commit, the same way for every face, so no handler has to remember them.

use crate::db::deployments::DeploymentView;
use crate::domain::ids::UserId;

/// One thing a committed use case changed, beyond its answer.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Deployments created or whose status changed: the feed sends them, and a queued one wakes
    /// the worker.
    Deployments(Vec<DeploymentView>),
    /// H1: deployments a lifted hold let go (due now, their status unchanged): the feed sends
    /// them, and the worker wakes to run them.
    Released(Vec<DeploymentView>),
    /// A token was revoked (its hash): the cache forgets it.
    TokenRevoked(String),
    /// A user was deactivated: the cache forgets every token of theirs.
    UserDeactivated(UserId),
}

/// A use case's answer together with what it changed.
#[must_use = "a change's effects must be applied by the runtime"]
#[derive(Debug)]
pub struct Changed<T> {
    value: T,
    effects: Vec<Effect>,
}

impl<T> Changed<T> {
    /// `value`, having caused `effects`.
    pub fn new(value: T, effects: Vec<Effect>) -> Changed<T> {
        Changed { value, effects }
    }

    /// `value`, with the deployments it names as its effect.
    pub fn deployments(value: T, deployments: Vec<DeploymentView>) -> Changed<T> {
        Changed::new(value, vec![Effect::Deployments(deployments)])
    }

    /// The answer and the effects, for the runtime that applies them.
    pub(crate) fn into_parts(self) -> (T, Vec<Effect>) {
        (self.value, self.effects)
    }

    /// The answer alone, for a caller with no process state to update: a one-shot command of the
    /// command line, or a test that drives the use cases without a server.
    pub fn into_value(self) -> T {
        self.value
    }
}
