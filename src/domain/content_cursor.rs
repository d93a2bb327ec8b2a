//! V1 and V3: the cursors of an environment's content pages and of its sync rounds. Opaque to a
//! client and tamper-evident: the base64url of a small JSON document, a dot, and the base64url of
//! the first 16 bytes of its HMAC-SHA256 under the server's cursor secret (one for every process
//! sharing the database). A cursor names its environment and the filters of its round, so that one
//! of another environment, or asked with other filters, is refused rather than misread.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The longest cursor accepted, in bytes: the longest one rewind writes is well under it.
pub const MAX_CURSOR_BYTES: usize = 1024;

/// The bytes of the HMAC kept in a cursor.
const MAC_BYTES: usize = 16;

/// Where a read goes on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// V1: the next page of content after the key `(item_key, locale)`, as of event `point` (none:
    /// the current state, as the release's plan reads it).
    Content { point: Option<i64>, item_key: i64, locale: String },
    /// V3, a full round as of event `point`: the next page after the key, or from the start.
    Full { point: i64, after: Option<(i64, String)> },
    /// V3, a delta round: what changed up to event `point`, after event `after` (the round's
    /// start, then the last event of the page before).
    Delta { point: i64, after: i64 },
    /// V3: a round ended at `point` (a `sync_cursor`): the next request starts a delta round.
    Synced { point: i64 },
}

/// A cursor's content: the environment, where to go on from, and its round's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentCursor {
    pub environment_id: String,
    pub stage: Stage,
    pub filters: Filters,
}

/// The filters a sync round carries in its cursors (V3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub content_type: Option<String>,
    pub locale: Option<String>,
}

/// The JSON a cursor holds: short names, every field checked on the way back.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    /// `c` content page, `f` full round, `d` delta round, `s` synced; `p` the point, `a` the
    /// event after which, `i` and `l` the key after which, `ct` and `lc` the filters.
    k: String,
    e: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    i: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    l: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ct: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lc: Option<String>,
}

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    mac
}

impl ContentCursor {
    /// The cursor as a client holds it, signed with `secret`.
    pub fn encode(&self, secret: &[u8]) -> String {
        let mut f = Fields {
            k: String::new(),
            e: self.environment_id.clone(),
            p: None,
            a: None,
            i: None,
            l: None,
            ct: self.filters.content_type.clone(),
            lc: self.filters.locale.clone(),
        };
        match &self.stage {
            Stage::Content { point, item_key, locale } => {
                (f.k, f.p, f.i, f.l) = ("c".into(), *point, Some(*item_key), Some(locale.clone()))
            }
            Stage::Full { point, after } => {
                (f.k, f.p) = ("f".into(), Some(*point));
                if let Some((i, l)) = after {
                    (f.i, f.l) = (Some(*i), Some(l.clone()));
                }
            }
            Stage::Delta { point, after } => (f.k, f.p, f.a) = ("d".into(), Some(*point), Some(*after)),
            Stage::Synced { point } => (f.k, f.p) = ("s".into(), Some(*point)),
        }
        let payload = B64.encode(serde_json::to_vec(&f).expect("cursor fields serialize"));
        let tag = mac(secret, &payload).finalize().into_bytes();
        format!("{payload}.{}", B64.encode(&tag[..MAC_BYTES]))
    }

    /// A cursor a client sent, if it is one this server signed with `secret`, whole and
    /// unchanged; `None` for anything else (malformed, cut short, re-encoded, forged).
    pub fn decode(text: &str, secret: &[u8]) -> Option<ContentCursor> {
        if text.len() > MAX_CURSOR_BYTES {
            return None;
        }
        let (payload, tag) = text.split_once('.')?;
        let tag = B64.decode(tag).ok()?;
        mac(secret, payload).verify_truncated_left(&tag).ok().filter(|_| tag.len() == MAC_BYTES)?;
        let f: Fields = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        let after = match (f.i, f.l) {
            (Some(i), Some(l)) => Some((i, l)),
            (None, None) => None,
            _ => return None,
        };
        let stage = match (f.k.as_str(), f.p, f.a, after) {
            ("c", point, None, Some((item_key, locale))) => Stage::Content { point, item_key, locale },
            ("f", Some(point), None, after) => Stage::Full { point, after },
            ("d", Some(point), Some(after), None) => Stage::Delta { point, after },
            ("s", Some(point), None, None) => Stage::Synced { point },
            _ => return None,
        };
        Some(ContentCursor { environment_id: f.e, stage, filters: Filters { content_type: f.ct, locale: f.lc } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(stage: Stage) -> ContentCursor {
        ContentCursor {
            environment_id: "e1".into(),
            stage,
            filters: Filters { content_type: Some("page".into()), locale: None },
        }
    }

    #[test]
    fn v3_a_cursor_reads_back_as_written_and_only_with_its_secret() {
        for stage in [
            Stage::Content { point: Some(9), item_key: 3, locale: "en".into() },
            Stage::Content { point: None, item_key: 3, locale: "en".into() },
            Stage::Full { point: 7, after: None },
            Stage::Full { point: 7, after: Some((2, "fr".into())) },
            Stage::Delta { point: 9, after: 4 },
            Stage::Synced { point: 12 },
        ] {
            let c = cursor(stage);
            let text = c.encode(b"secret");
            assert_eq!(ContentCursor::decode(&text, b"secret"), Some(c));
            assert_eq!(ContentCursor::decode(&text, b"other"), None);
        }
    }

    #[test]
    fn v3_a_tampered_cut_or_re_encoded_cursor_is_refused() {
        let text = cursor(Stage::Synced { point: 12 }).encode(b"k");
        assert_eq!(ContentCursor::decode(&text[..text.len() - 1], b"k"), None);
        assert_eq!(ContentCursor::decode(&text[1..], b"k"), None);
        assert_eq!(ContentCursor::decode(&format!("{text}="), b"k"), None);
        assert_eq!(ContentCursor::decode(&text.replace('.', ".."), b"k"), None);
        let (payload, tag) = text.split_once('.').unwrap();
        let forged = B64.encode(String::from_utf8(B64.decode(payload).unwrap()).unwrap().replace("12", "13"));
        assert_eq!(ContentCursor::decode(&format!("{forged}.{tag}"), b"k"), None);
        assert_eq!(ContentCursor::decode("", b"k"), None);
        assert_eq!(ContentCursor::decode(&"a".repeat(5000), b"k"), None);
    }
}
