//! `google.protobuf.Timestamp` in its ProtoJSON form (RFC 3339, UTC, `Z`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since 1970-01-01T00:00:00Z (`0001-01-01` ..= `9999-12-31T23:59:59`).
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// A point in time with nanosecond precision, written as RFC 3339 in UTC.
///
/// Output always ends in `Z` and carries at least millisecond precision
/// (`2025-10-28T10:30:00.000Z`), more digits only when the value has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp {
    seconds: i64,
    nanos: i32,
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Not RFC 3339.
    #[error("`{0}` is not an RFC 3339 timestamp")]
    Syntax(String),
    /// Outside 0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59.999999999Z.
    #[error("timestamp out of range (0001-01-01 to 9999-12-31)")]
    OutOfRange,
}

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp {
        seconds: 0,
        nanos: 0,
    };

    /// A timestamp from seconds and nanoseconds since the Unix epoch.
    pub fn new(seconds: i64, nanos: i32) -> Result<Self, TimestampError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) || !(0..1_000_000_000).contains(&nanos) {
            return Err(TimestampError::OutOfRange);
        }
        Ok(Timestamp { seconds, nanos })
    }

    /// Whole seconds since the Unix epoch.
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// Nanoseconds past [`Timestamp::seconds`], `0..1_000_000_000`.
    pub const fn nanos(self) -> i32 {
        self.nanos
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.seconds * 1000 + (self.nanos / 1_000_000) as i64
    }

    /// A timestamp from milliseconds since the Unix epoch.
    pub fn from_unix_millis(ms: i64) -> Result<Self, TimestampError> {
        let nanos = i32::try_from(ms.rem_euclid(1000) * 1_000_000)
            .map_err(|_| TimestampError::OutOfRange)?;
        Self::new(ms.div_euclid(1000), nanos)
    }

    /// The current time, truncated to milliseconds (the precision the spec recommends).
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        Self::from_unix_millis(ms).unwrap_or_default()
    }

    /// Parses an RFC 3339 timestamp; any offset is converted to UTC.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let dt =
            OffsetDateTime::parse(s, &Rfc3339).map_err(|_| TimestampError::Syntax(s.to_owned()))?;
        let nanos = dt.unix_timestamp_nanos();
        let seconds = i64::try_from(nanos.div_euclid(1_000_000_000))
            .map_err(|_| TimestampError::OutOfRange)?;
        let sub = i32::try_from(nanos.rem_euclid(1_000_000_000))
            .map_err(|_| TimestampError::OutOfRange)?;
        Self::new(seconds, sub)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos);
        let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| fmt::Error)?;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )?;
        let n = self.nanos;
        if n % 1_000_000 == 0 {
            write!(f, ".{:03}Z", n / 1_000_000)
        } else if n % 1_000 == 0 {
            write!(f, ".{:06}Z", n / 1_000)
        } else {
            write!(f, ".{n:09}Z")
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        let t = Timestamp::parse("2025-10-28T10:30:00Z").unwrap();
        assert_eq!(t.to_string(), "2025-10-28T10:30:00.000Z");
        let t = Timestamp::parse("2025-10-28T12:30:00.123456+02:00").unwrap();
        assert_eq!(t.to_string(), "2025-10-28T10:30:00.123456Z");
        let t = Timestamp::parse("1969-12-31T23:59:59.000000001Z").unwrap();
        assert_eq!(t.to_string(), "1969-12-31T23:59:59.000000001Z");
        assert_eq!(t.seconds(), -1);
    }

    #[test]
    fn bounds() {
        assert!(Timestamp::parse("0001-01-01T00:00:00Z").is_ok());
        assert!(Timestamp::parse("9999-12-31T23:59:59.999999999Z").is_ok());
        assert_eq!(
            Timestamp::new(MAX_SECONDS + 1, 0),
            Err(TimestampError::OutOfRange)
        );
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("").is_err());
    }
}
