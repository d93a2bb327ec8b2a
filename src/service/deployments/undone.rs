//! B7's reads of a rollback release's F and L, kept compact for the plan of a whole release or
//! of a window of it.

use std::collections::{HashMap, HashSet};

use super::deployable::ReleaseWork;
use crate::db::rows::EnvironmentRow;
use crate::db::{deployments as rows, DbConn};
use crate::error::AppResult;

/// B7's reads of a rollback release's F and L for the whole release, read once and kept
/// compact: sorted by each key's integer item key and a number for its locale, 24 bytes a key
/// in each (a key's item id and locale as text in a map cost ten times that).
pub(super) struct Undone {
    locales: HashMap<String, u32>,
    /// F's prior version of each key it wrote (the state before the first deployment).
    first_prior: Vec<((i64, u32), Option<i32>)>,
    /// L's event of each key it applied.
    latest_event: Vec<((i64, u32), i64)>,
    /// B11: the events that earlier deployments of this rollback release to the environment wrote.
    rolled_back: HashSet<i64>,
}

/// Which deployment a read of written items is of.
#[derive(Debug, Clone, Copy)]
enum Written {
    /// B7's F, the owner's first deployment of the release.
    First,
    /// B7's L, the owner's latest.
    Latest,
    /// B11: an earlier deployment of this rollback release.
    Earlier,
}

/// How many of a deployment's items [`Undone::of`] reads a statement.
const UNDONE_CHUNK: i64 = 50_000;

impl Undone {
    /// B7's F and L of `w`'s rollback release in `env`, read for the whole release; `None` for a
    /// standard release.
    pub(super) fn of_work(conn: &mut DbConn, w: &ReleaseWork, env: &EnvironmentRow) -> AppResult<Option<Undone>> {
        match w.first_and_latest(env)? {
            Some((first, latest)) => {
                let earlier = rows::succeeded_of_release(conn, &w.release.id, &env.id)?;
                Ok(Some(Undone::of(conn, first, latest, &earlier, w.release.item_count as usize)?))
            }
            None => Ok(None),
        }
    }

    fn with_capacity(keys: usize) -> Undone {
        Undone {
            locales: HashMap::new(),
            first_prior: Vec::with_capacity(keys),
            latest_event: Vec::with_capacity(keys),
            rolled_back: HashSet::new(),
        }
    }

    /// F's and L's items for the whole release, and the events of the `earlier` deployments of
    /// the rollback release (B11), read a range of their primary key at a time; `keys` is about
    /// how many each has (the release's count of items).
    fn of(conn: &mut DbConn, first: &str, latest: &str, earlier: &[String], keys: usize) -> AppResult<Undone> {
        let mut undone = Undone::with_capacity(keys);
        let read = [(first, Written::First), (latest, Written::Latest)].into_iter();
        for (deployment, by) in read.chain(earlier.iter().map(|d| (d.as_str(), Written::Earlier))) {
            let mut after = -1;
            loop {
                let chunk = rows::written_items(conn, deployment, after, UNDONE_CHUNK)?;
                let Some(last) = chunk.last() else { break };
                after = last.0;
                let full = chunk.len() as i64 == UNDONE_CHUNK;
                undone.add(by, chunk);
                if !full {
                    break;
                }
            }
        }
        Ok(undone.sorted())
    }

    /// F's and L's items, and the earlier deployments' of the rollback release, of these items
    /// only (a window of a preview).
    pub(super) fn of_items(
        conn: &mut DbConn,
        w: &ReleaseWork,
        env: &EnvironmentRow,
        (first, latest): (&str, &str),
        item_keys: &[i64],
    ) -> AppResult<Undone> {
        let mut undone = Undone::with_capacity(item_keys.len());
        undone.add(Written::First, rows::written_items_of(conn, first, item_keys)?);
        undone.add(Written::Latest, rows::written_items_of(conn, latest, item_keys)?);
        for earlier in rows::succeeded_of_release(conn, &w.release.id, &env.id)? {
            undone.add(Written::Earlier, rows::written_items_of(conn, &earlier, item_keys)?);
        }
        Ok(undone.sorted())
    }

    /// Keeps what B7 and B11 need of the items a deployment `by` wrote: F's prior versions, L's
    /// events, an earlier rollback's events.
    fn add(&mut self, by: Written, items: Vec<rows::WrittenItem>) {
        for (_, item_key, locale, prior, event) in items {
            match (by, event) {
                (Written::First, _) => {
                    let key = (item_key, self.locale(locale));
                    self.first_prior.push((key, prior))
                }
                (Written::Latest, Some(event)) => {
                    let key = (item_key, self.locale(locale));
                    self.latest_event.push((key, event))
                }
                (Written::Earlier, Some(event)) => {
                    self.rolled_back.insert(event);
                }
                (_, None) => {}
            }
        }
    }

    /// B11: whether an earlier deployment of the rollback release wrote the event `event_id`.
    pub(super) fn rolled_back(&self, event_id: Option<i64>) -> bool {
        event_id.is_some_and(|e| self.rolled_back.contains(&e))
    }

    /// Sorted by key, for [`Undone::of_key`].
    fn sorted(mut self) -> Undone {
        self.first_prior.sort_unstable_by_key(|(k, _)| *k);
        self.latest_event.sort_unstable_by_key(|(k, _)| *k);
        self
    }

    /// The number of `locale`, given it one if it has none.
    fn locale(&mut self, locale: String) -> u32 {
        let next = self.locales.len() as u32;
        *self.locales.entry(locale).or_insert(next)
    }

    /// F's prior version and L's event of `(item_key, locale)`, where they wrote it.
    pub(super) fn of_key(&self, item_key: i64, locale: &str) -> (Option<i32>, Option<i64>) {
        let Some(&l) = self.locales.get(locale) else { return (None, None) };
        let key = (item_key, l);
        let prior = self.first_prior.binary_search_by_key(&key, |(k, _)| *k).ok().and_then(|i| self.first_prior[i].1);
        let event = self.latest_event.binary_search_by_key(&key, |(k, _)| *k).ok().map(|i| self.latest_event[i].1);
        (prior, event)
    }
}
