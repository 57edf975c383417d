//! Durations as people write them in config files and DR documents, and as Cedar reads them.
//!
//! Accepted: compact forms (`90s`, `15m`, `4h`, `1d`, `26h`, `1h30m`) and spelled-out ones (`15 min`,
//! `30 minutes`, `1 hour`, `4 hours`, `1 hr`, `2 days`, `< 4 hours`), and a bare `0`. A leading
//! comparison (`<`, `≤`, `<=`, `~`) is dropped: `< 4 hours` is a target of 4 hours.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// The longest duration drready accepts anywhere (a target, a cadence, a measured RTO, a lag, a
/// retention): 100 years. Anything longer is a typo or hostile, and would overflow Cedar's
/// millisecond durations or chrono's date arithmetic further on; it is rejected where it enters.
pub const MAX_SECONDS: u64 = 100 * 366 * 86_400;
/// The same bound in days, for day counts (retentions, review frequencies).
pub const MAX_DAYS: u64 = 100 * 366;

/// `seconds` if it is within [`MAX_SECONDS`], else why not.
pub fn check_seconds(seconds: u64) -> Result<u64, String> {
    if seconds <= MAX_SECONDS {
        Ok(seconds)
    } else {
        Err(format!(
            "duration of {seconds} s is out of range (at most {MAX_SECONDS} s, 100 years)"
        ))
    }
}

/// `days` if it is within [`MAX_DAYS`], else why not.
pub fn check_days(days: u64) -> Result<u64, String> {
    if days <= MAX_DAYS {
        Ok(days)
    } else {
        Err(format!(
            "{days} days is out of range (at most {MAX_DAYS} days, 100 years)"
        ))
    }
}

/// The time `seconds` before `at`, clamped to the earliest time chrono holds instead of
/// panicking on overflow.
pub fn before(at: chrono::DateTime<chrono::Utc>, seconds: u64) -> chrono::DateTime<chrono::Utc> {
    i64::try_from(seconds)
        .ok()
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|d| at.checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// serde helpers that range-check durations and day counts while a file is read, so the error
/// carries the file's line and column (`#[serde(deserialize_with = "...")]`).
pub mod bounded {
    use super::*;

    /// Optional seconds, at most [`MAX_SECONDS`].
    pub fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<u64>::deserialize(d)?
            .map(check_seconds)
            .transpose()
            .map_err(serde::de::Error::custom)
    }

    /// Optional day count, at most [`MAX_DAYS`].
    pub fn opt_days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Option::<u32>::deserialize(d)?
            .map(|n| check_days(n.into()).map(|_| n))
            .transpose()
            .map_err(serde::de::Error::custom)
    }

    /// A day count, at most [`MAX_DAYS`].
    pub fn days<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let n = u32::deserialize(d)?;
        check_days(n.into())
            .map(|_| n)
            .map_err(serde::de::Error::custom)
    }

    /// Optional measured seconds as a float (a replica's lag): finite, not negative, in range.
    pub fn opt_lag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let v = Option::<f64>::deserialize(d)?;
        match v {
            Some(x) if !x.is_finite() || x < 0.0 => Err(serde::de::Error::custom(format!(
                "a lag of {x} s is not a duration (it must be 0 or more)"
            ))),
            Some(x) if x > MAX_SECONDS as f64 => Err(serde::de::Error::custom(format!(
                "a lag of {x} s is out of range (at most {MAX_SECONDS} s, 100 years)"
            ))),
            other => Ok(other),
        }
    }
}

/// Parse a duration into whole seconds. `None` when the text is not a duration.
///
/// ```
/// use drready_core::util::duration::parse_seconds;
/// assert_eq!(parse_seconds("< 4 hours"), Some(14_400));
/// assert_eq!(parse_seconds("15 min"), Some(900));
/// assert_eq!(parse_seconds("soon"), None);
/// ```
pub fn parse_seconds(text: &str) -> Option<u64> {
    let mut s = text.trim();
    for prefix in ["<=", "≤", "<", "~", "≈"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
            break;
        }
    }
    let s = s.trim_matches(|c: char| c == '*' || c.is_whitespace());
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    let mut any = false;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].to_ascii_lowercase();
        rest = &rest[unit_len..];
        let scale = match unit.as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
            "d" | "day" | "days" => 86_400,
            "w" | "wk" | "week" | "weeks" => 604_800,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(scale)?)?;
        any = true;
    }
    any.then_some(total)
}

/// Format seconds the way Cedar's `duration()` reads them (`1d2h3m4s`, `0s`; negative with `-`).
pub fn cedar(seconds: i64) -> String {
    let mut out = String::new();
    if seconds < 0 {
        out.push('-');
    }
    let mut rest = seconds.unsigned_abs();
    for (unit, scale) in [("d", 86_400u64), ("h", 3_600), ("m", 60)] {
        if rest >= scale {
            let _ = write!(out, "{}{unit}", rest / scale);
            rest %= scale;
        }
    }
    if rest > 0 || out.is_empty() || out == "-" {
        let _ = write!(out, "{rest}s");
    }
    out
}

/// Format seconds for people: `15 min`, `4 h`, `2 d 3 h`, `0`.
pub fn human(seconds: i64) -> String {
    if seconds == 0 {
        return "0".to_string();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let text = if s < 60 {
        format!("{s} s")
    } else if s < 3_600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 {
            format!("{m} min")
        } else {
            format!("{m} min {r} s")
        }
    } else if s < 86_400 {
        let (h, m) = (s / 3_600, (s % 3_600) / 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        let (d, h) = (s / 86_400, (s % 86_400) / 3_600);
        if h == 0 {
            format!("{d} d")
        } else {
            format!("{d} d {h} h")
        }
    };
    format!("{sign}{text}")
}

/// Whether a strftime date format is valid (checked up front: chrono panics on a bad one).
pub fn is_date_format(f: &str) -> bool {
    use std::fmt::Write;
    let items = chrono::format::StrftimeItems::new(f);
    if items
        .clone()
        .any(|i| matches!(i, chrono::format::Item::Error))
    {
        return false;
    }
    let Some(day) = chrono::NaiveDate::from_ymd_opt(2026, 1, 2) else {
        return false;
    };
    let mut s = String::new();
    write!(s, "{}", day.format_with_items(items)).is_ok()
}

/// An instant: an RFC 3339 time, or a date (midnight UTC).
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc());
        }
    }
    Err(format!(
        "`{s}` is not an RFC 3339 time (e.g. 2026-11-25T12:00:00Z) or a date (2026-11-25)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_documents_use() {
        let cases = [
            ("2 min", 120),
            ("15 min", 900),
            ("1 hour", 3_600),
            ("4 hours", 14_400),
            ("< 4 hours", 14_400),
            ("0", 0),
            ("30 minutes", 1_800),
            ("1 hr", 3_600),
            ("24h", 86_400),
            ("2 days", 172_800),
            ("1h30m", 5_400),
            ("**4 hours**", 14_400),
            ("26h", 93_600),
            ("90s", 90),
        ];
        for (text, want) in cases {
            assert_eq!(parse_seconds(text), Some(want), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "soon",
            "4",
            "h",
            "4 fortnights",
            "-3h",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_seconds(text), None, "{text}");
        }
    }

    #[test]
    fn formats_for_cedar_and_people() {
        assert_eq!(cedar(0), "0s");
        assert_eq!(cedar(93_784), "1d2h3m4s");
        assert_eq!(cedar(-900), "-15m");
        assert_eq!(human(900), "15 min");
        assert_eq!(human(14_400), "4 h");
        assert_eq!(human(93_600), "1 d 2 h");
    }
}
