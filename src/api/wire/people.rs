//! Users, the caller and tokens (T1) on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::db::rows::{TokenRow, UserRow};
use crate::service::tokens::IssuedToken;

/// A user; `deactivated_at` is set once an admin has deactivated them (T1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: String,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> User {
        User { id: u.id, name: u.name, role: u.role.to_string(), deactivated_at: u.deactivated_at.map(utc) }
    }
}

/// The caller, with the environments they may publish to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub role: String,
    pub grants: Vec<String>,
}

/// A token, shown once at creation; `expires_at` is null for a token that never expires.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<IssuedToken> for Token {
    fn from(t: IssuedToken) -> Token {
        Token { id: t.id, token: t.token, expires_at: t.expires_at.map(utc) }
    }
}

/// A token as listed (T1): never the token or its hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Recorded at most once a minute, so up to a minute (and the cache's 30 s) behind.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenInfo {
    fn from(t: TokenRow) -> TokenInfo {
        TokenInfo {
            id: t.id,
            label: t.label,
            created_at: utc(t.created_at),
            last_used_at: t.last_used_at.map(utc),
            expires_at: t.expires_at.map(utc),
        }
    }
}
