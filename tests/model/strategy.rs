//! The cases: random sequences of operations over a small universe of users, environments,
//! items and releases.

use std::collections::HashSet;

use proptest::prelude::*;

use super::{ADMIN, ITEMS, RELEASES, USERS, VERSIONS};

/// What a release item asks for: `Some(version)` publishes it, `None` unpublishes.
pub(crate) type ReleaseItem = (usize, Option<i32>);

/// One step of a case, as generated. Users, environments, items and releases are indexes into
/// the case's universe. The operations on a rollback release name whose rollback release of which
/// release they mean through an [`On`]; `other` is a user acting instead of its owner.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Publish {
        env: usize,
        item: usize,
        version: i32,
        by: usize,
    },
    Unpublish {
        env: usize,
        item: usize,
        by: usize,
    },
    Deploy {
        release: usize,
        env: usize,
        by: usize,
    },
    Schedule {
        release: usize,
        env: usize,
        by: usize,
    },
    CreateRollback {
        on: On,
    },
    RollbackOfRollback {
        on: On,
    },
    DeleteRollback {
        on: On,
        other: Option<usize>,
    },
    /// B10: `select`, a mask of items, rolls back only those (the first item when it names none).
    DeployRollback {
        on: On,
        other: Option<usize>,
        select: Option<u8>,
    },
    EnvironmentRollback {
        env: usize,
        by: usize,
        select: Option<u8>,
    },
}

/// Whose rollback release of which release, and in which environment: with `from`, those of
/// the case's `from`-th deployment of a standard release so far (modulo their number), so that
/// rollback operations often meet a deployment to roll back; otherwise, or before any
/// deployment, the indexes given.
#[derive(Debug, Clone)]
pub(crate) struct On {
    pub(crate) from: Option<usize>,
    pub(crate) owner: usize,
    pub(crate) release: usize,
    pub(crate) env: usize,
}

/// A step with every index resolved against the model.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Publish { env: usize, item: usize, version: i32, by: usize },
    Unpublish { env: usize, item: usize, by: usize },
    Deploy { release: usize, env: usize, by: usize },
    Schedule { release: usize, env: usize, by: usize },
    CreateRollback { release: usize, by: usize },
    RollbackOfRollback { release: usize, owner: usize },
    DeleteRollback { release: usize, owner: usize, by: usize },
    DeployRollback { release: usize, owner: usize, env: usize, by: usize, select: Option<u8> },
    EnvironmentRollback { env: usize, by: usize, select: Option<u8> },
}

/// A generated case: the items of each standard release, then the steps.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) releases: Vec<Vec<ReleaseItem>>,
    pub(crate) ops: Vec<Op>,
}

pub(crate) fn release_items() -> impl Strategy<Value = Vec<ReleaseItem>> {
    let action = prop_oneof![3 => (1..=VERSIONS).prop_map(Some), 1 => Just(None)];
    prop::collection::vec((0..ITEMS, action), 1..=ITEMS).prop_map(|mut items| {
        let mut seen = HashSet::new();
        items.retain(|(item, _)| seen.insert(*item));
        items
    })
}

/// Indexes skewed towards one release, one editor and one environment, so that the deployments,
/// rollback releases and deletions of a case often meet on the same (owner, release, environment).
pub(crate) fn release() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0), 1 => Just(1)]
}

pub(crate) fn user() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(1), 1 => Just(ADMIN), 1 => Just(2)]
}

pub(crate) fn env() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0), 1 => Just(1)]
}

pub(crate) fn on() -> impl Strategy<Value = On> {
    (prop::option::weighted(0.6, 0..8usize), user(), release(), env()).prop_map(|(from, owner, release, env)| On {
        from,
        owner,
        release,
        env,
    })
}

/// B10: a third of the rollbacks select some items (a mask over them).
pub(crate) fn select() -> impl Strategy<Value = Option<u8>> {
    prop::option::weighted(0.35, 0..(1u8 << ITEMS))
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    let other = || prop::option::weighted(0.25, 0..USERS);
    prop_oneof![
        2 => (env(), 0..ITEMS, 1..=VERSIONS, user())
            .prop_map(|(env, item, version, by)| Op::Publish { env, item, version, by }),
        1 => (env(), 0..ITEMS, user()).prop_map(|(env, item, by)| Op::Unpublish { env, item, by }),
        4 => (release(), env(), user()).prop_map(|(release, env, by)| Op::Deploy { release, env, by }),
        1 => (release(), env(), user()).prop_map(|(release, env, by)| Op::Schedule { release, env, by }),
        3 => on().prop_map(|on| Op::CreateRollback { on }),
        1 => on().prop_map(|on| Op::RollbackOfRollback { on }),
        2 => (on(), other()).prop_map(|(on, other)| Op::DeleteRollback { on, other }),
        4 => (on(), other(), select()).prop_map(|(on, other, select)| Op::DeployRollback { on, other, select }),
        2 => (env(), user(), select()).prop_map(|(env, by, select)| Op::EnvironmentRollback { env, by, select }),
    ]
}

pub(crate) fn case() -> impl Strategy<Value = Case> {
    (prop::collection::vec(release_items(), RELEASES), prop::collection::vec(op(), 1..16))
        .prop_map(|(releases, ops)| Case { releases, ops })
}
