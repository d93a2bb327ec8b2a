//! X2: the times the API takes, RFC 3339 with any offset and never a leap second.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer};

use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// An RFC 3339 time, refused (as a deserialization error, so 400 `invalid_request`) when its
/// seconds field is 60.
pub fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    let t = Option::<DateTime<FixedOffset>>::deserialize(d)?;
    if let Some(t) = &t {
        validate::no_leap_second(t).map_err(serde::de::Error::custom)?;
    }
    Ok(t)
}

/// Parses an RFC 3339 time of the query field `field` (400 `invalid_request` naming it).
pub fn parse(field: &str, s: &str) -> AppResult<DateTime<FixedOffset>> {
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| AppError::invalid_field(field, "must be an RFC 3339 time"))?;
    validate::no_leap_second(&t).map_err(|rule| AppError::invalid_field(field, rule))?;
    Ok(t)
}
