//! X3: `Idempotency-Key` on deploy and rollback requests. The first answer (2xx only) is kept
//! for 24 hours per user and key and given again to a repeat of the same request.

use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys as ik;
use crate::db::{now, write_transaction, DbConn};
use crate::error::{AppError, AppResult};

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

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

/// A stored key: method, path, body hash, the kept answer (once there is one) and when.
type KeyRow = (String, String, String, Option<i32>, Option<String>, chrono::NaiveDateTime);

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
    write_transaction(conn, |conn| {
        let row: Option<KeyRow> = ik::table
            .find((&r.user_id, &r.key))
            .select((ik::method, ik::path, ik::body_hash, ik::response_status, ik::response_body, ik::created_at))
            .first(conn)
            .optional()?;
        if let Some((method, path, hash, status, body, created)) = row {
            let abandoned = status.is_none() && created < now() - Duration::seconds(ABANDONED_AFTER_SECONDS);
            if created > now() - Duration::hours(24) && !abandoned {
                if method != r.method || path != r.path || hash != r.body_hash {
                    return Err(AppError::Unprocessable(
                        "idempotency_key_reused",
                        "this Idempotency-Key was used for another request".into(),
                    ));
                }
                return match (status, body) {
                    (Some(s), Some(b)) => Ok(Begin::Replay { status: s as u16, body: b }),
                    _ => Err(AppError::Conflict(
                        "idempotency_key_in_use",
                        "the first request with this key is still being answered".into(),
                    )),
                };
            }
            diesel::delete(ik::table.find((&r.user_id, &r.key))).execute(conn)?;
        }
        let inserted = diesel::insert_into(ik::table)
            .values((
                ik::user_id.eq(&r.user_id),
                ik::key.eq(&r.key),
                ik::method.eq(&r.method),
                ik::path.eq(&r.path),
                ik::body_hash.eq(&r.body_hash),
                ik::created_at.eq(now()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => Ok(Begin::Proceed),
            // The same key, sent twice at once: the other one is being answered.
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                Err(AppError::Conflict(
                    "idempotency_key_in_use",
                    "the first request with this key is still being answered".into(),
                ))
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// Keeps a 2xx answer for repeats; after an error frees the key for another try.
pub fn finish(conn: &mut DbConn, r: &Request, status: u16, body: Option<&str>) -> AppResult<()> {
    let key = ik::table.find((&r.user_id, &r.key));
    match body {
        Some(b) if (200..300).contains(&status) => {
            diesel::update(key).set((ik::response_status.eq(status as i32), ik::response_body.eq(b))).execute(conn)?;
        }
        _ => {
            diesel::delete(key).execute(conn)?;
        }
    }
    Ok(())
}
