//! X3: `Idempotency-Key` on deploy and rollback requests. The first answer (2xx only) is kept
//! for 24 hours per user and key and given again to a repeat of the same request.

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::db::idempotency as q;
use crate::db::{now, write_transaction, DbConn};
use crate::error::{AppError, AppResult, ProblemCode};

/// The longest key accepted.
pub(crate) const MAX_KEY_LEN: usize = 255;

/// A key with no answer after this long belongs to a request whose answer was lost (the client
/// went away, or the process died): it is free again. Longer than any `Prefer: wait`.
const ABANDONED_AFTER_SECONDS: i64 = 120;

/// A request that carries a key: who sent it and what it asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub user_id: String,
    pub key: String,
    pub method: String,
    pub path: String,
    pub body_hash: String,
}

impl Request {
    /// The key of a request; the body is hashed as parsed JSON so that formatting does not matter.
    pub fn new(user_id: &str, key: &str, method: &str, path: &str, body: &serde_json::Value) -> AppResult<Request> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(AppError::invalid_field("Idempotency-Key", "must be 1 to 255 characters"));
        }
        Ok(Request {
            user_id: user_id.into(),
            key: key.into(),
            method: method.into(),
            path: path.into(),
            body_hash: hex::encode(Sha256::digest(body.to_string().as_bytes())),
        })
    }
}

/// What to do with a keyed request.
#[derive(Debug, Clone)]
pub enum Begin {
    /// First time (or the earlier try failed or expired): do it, then `finish`.
    Proceed,
    /// Seen before: answer this again.
    Replay { status: u16, body: String },
}

/// Claims the key, or says what the first request answered.
pub fn begin(conn: &mut DbConn, r: &Request) -> AppResult<Begin> {
    let in_use = || {
        AppError::Rule(
            ProblemCode::IdempotencyKeyInUse,
            "the first request with this key is still being answered".into(),
        )
    };
    write_transaction(conn, |conn| {
        if let Some(k) = q::get(conn, &r.user_id, &r.key)? {
            let abandoned =
                k.response_status.is_none() && k.created_at < now() - Duration::seconds(ABANDONED_AFTER_SECONDS);
            if k.created_at > now() - Duration::hours(24) && !abandoned {
                if k.method != r.method || k.path != r.path || k.body_hash != r.body_hash {
                    return Err(AppError::Rule(
                        ProblemCode::IdempotencyKeyReused,
                        "this Idempotency-Key was used for another request".into(),
                    ));
                }
                return match (k.response_status, k.response_body) {
                    (Some(s), Some(b)) => Ok(Begin::Replay { status: s as u16, body: b }),
                    _ => Err(in_use()),
                };
            }
            q::delete(conn, &r.user_id, &r.key)?;
        }
        // `false`: the same key, sent twice at once; the other one is being answered.
        if !q::claim(conn, &r.user_id, &r.key, &r.method, &r.path, &r.body_hash, now())? {
            return Err(in_use());
        }
        Ok(Begin::Proceed)
    })
}

/// Keeps a 2xx answer for repeats; after an error frees the key for another try.
pub fn finish(conn: &mut DbConn, r: &Request, status: u16, body: Option<&str>) -> AppResult<()> {
    match body {
        Some(b) if (200..300).contains(&status) => q::keep_answer(conn, &r.user_id, &r.key, status as i32, b)?,
        _ => q::delete(conn, &r.user_id, &r.key)?,
    }
    Ok(())
}
