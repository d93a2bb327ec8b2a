//! The per-process cache of authenticated tokens, and how T1's revocations and deactivations
//! reach it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::service::Caller;

/// The callers of tokens seen lately, by token hash, so that most reads authenticate without
/// the database. A revocation or deactivation on this process drops the entries it concerns at
/// once; one made by another process (or by hand in the database) takes effect here within
/// `KNOWN_FOR`, when the entry expires. Writes never take their caller from here (see
/// `runtime::authenticate`). Only tokens that were found are kept, at most `KNOWN_TOKENS` of them.
pub(crate) struct KnownTokens {
    cache: quick_cache::sync::Cache<String, Known>,
    /// Bumped by every invalidation, so that a lookup that read the database before it and
    /// stores its answer after it does not put back what was just dropped.
    epoch: AtomicU64,
}

/// One cached token: its caller, its expiry and when it was read from the database.
#[derive(Clone)]
struct Known {
    caller: Caller,
    expires_at: Option<NaiveDateTime>,
    read_at: Instant,
}

/// How long a token's caller is remembered.
pub(crate) const KNOWN_FOR: Duration = Duration::from_secs(30);
/// How many tokens are remembered at most.
pub(crate) const KNOWN_TOKENS: usize = 10_000;

impl Default for KnownTokens {
    fn default() -> KnownTokens {
        KnownTokens { cache: quick_cache::sync::Cache::new(KNOWN_TOKENS), epoch: AtomicU64::new(0) }
    }
}

impl KnownTokens {
    /// The caller of a token hash, if it was found within `KNOWN_FOR` and has not expired since.
    pub fn get(&self, token_hash: &str, now: NaiveDateTime) -> Option<Caller> {
        self.cache
            .get(token_hash)
            .filter(|k| k.read_at.elapsed() < KNOWN_FOR && k.expires_at.is_none_or(|e| e > now))
            .map(|k| k.caller)
    }

    /// The current epoch: read it before looking a token up, and hand it to `remember`.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Remembers what a token hash was found to be at `epoch`, unless an invalidation came since:
    /// the entry is stored first and taken back if the epoch moved, so that whichever of the two
    /// runs last, the dropped token does not stay.
    pub(crate) fn remember(&self, token_hash: String, caller: Caller, expires_at: Option<NaiveDateTime>, epoch: u64) {
        self.cache.insert(token_hash.clone(), Known { caller, expires_at, read_at: Instant::now() });
        if self.epoch() != epoch {
            self.cache.remove(&token_hash);
        }
    }

    /// Drops a revoked token.
    pub(crate) fn forget(&self, token_hash: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.remove(token_hash);
    }

    /// Drops every token of a deactivated user (a scan: deactivations are rare).
    pub(crate) fn forget_user(&self, user_id: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.retain(|_, k| k.caller.id.as_str() != user_id);
    }
}
