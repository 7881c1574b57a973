//! Whose clock a right stamp shows: this machine's local time, or the room's zone given with
//! `--tz` (`+08:00`, `UTC-5`, `Asia/Shanghai`).
//!
//! A zone's name is read from the system's time zone database (`/usr/share/zoneinfo`, the
//! TZif files of RFC 8536) for its offset now, without a crate: a whole database crate
//! (chrono-tz) to learn one number is not worth its size. Windows has no such files: there the
//! zone is given as an offset.

mod tzif;

use chrono::{FixedOffset, NaiveDateTime, Utc};
use common::tr;

/// The time a right stamp shows.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// This machine's local time (the teacher's machine is in the room's zone).
    #[default]
    Local,
    /// The room's zone, given with `--tz`.
    Zone {
        /// Its offset from UTC now.
        offset: FixedOffset,
        /// As the teacher wrote it.
        name: String,
    },
    /// A clock of the tests' (the zone our servers run in).
    Given(fn() -> NaiveDateTime),
}

impl Clock {
    /// The time now on this clock.
    pub fn now(&self) -> NaiveDateTime {
        match self {
            Clock::Local => chrono::Local::now().naive_local(),
            Clock::Zone { offset, .. } => Utc::now().with_timezone(offset).naive_local(),
            Clock::Given(now) => now(),
        }
    }

    /// Its offset east of UTC now, in seconds (whole minutes: the two clocks are read a
    /// moment apart).
    pub fn offset_secs(&self) -> i64 {
        let apart = (self.now() - Utc::now().naive_utc()).num_milliseconds();
        (apart as f64 / 60_000.0).round() as i64 * 60
    }

    /// What the time on this clock is, in a sentence: "this machine's local time".
    pub fn whose(&self) -> String {
        match self {
            Clock::Zone { name, .. } => tr!("the time in {name} (--tz)", "{name} 的时间（--tz）"),
            _ => tr!("this machine's local time", "本机的本地时间"),
        }
    }

    /// The zone, read from `--tz ZONE`.
    pub fn parse(text: &str) -> Result<Clock, String> {
        let name = text.trim();
        let east = offset_given(name).or_else(|| offset_of_named_zone(name, Utc::now()));
        match east.and_then(FixedOffset::east_opt) {
            Some(offset) => Ok(Clock::Zone {
                offset,
                name: name.to_string(),
            }),
            None => Err(tr!(
                "'{name}' is not a time zone this machine knows: give it as an offset from UTC (+08:00, UTC-5) or by its name (Asia/Shanghai)",
                "本机不认识时区 '{name}'：请写成与 UTC 的时差（+08:00、UTC-5），或者写时区名（Asia/Shanghai）"
            )),
        }
    }
}

/// `UTC`, `Z`, `+08:00`, `-0530`, `UTC+8`, `GMT-5`: seconds east of UTC, as people say it
/// (`UTC+8` is eight hours east; POSIX `TZ` strings count the other way, and are not read
/// here).
fn offset_given(text: &str) -> Option<i32> {
    let upper = text.to_ascii_uppercase();
    let rest = upper
        .strip_prefix("UTC")
        .or_else(|| upper.strip_prefix("GMT"))
        .unwrap_or(&upper);
    if rest.is_empty() || rest == "Z" {
        return (!upper.is_empty()).then_some(0);
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((hours, minutes)) => (hours, minutes),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(minutes) || hours.len() > 2 || minutes.len() > 2 {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// The offset now of the zone named `name` in the system's database, if it has one.
fn offset_of_named_zone(name: &str, now: chrono::DateTime<Utc>) -> Option<i32> {
    let safe = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| !part.is_empty() && part != "..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if !safe {
        return None;
    }
    let dir = std::env::var_os("TZDIR").unwrap_or_else(|| "/usr/share/zoneinfo".into());
    let tzif = std::fs::read(std::path::Path::new(&dir).join(name)).ok()?;
    tzif::offset_at(&tzif, now.timestamp())
}

/// `+08:00`, `-05:30`: an offset as people write it.
pub fn written(east_secs: i64) -> String {
    let sign = if east_secs < 0 { '-' } else { '+' };
    let minutes = east_secs.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod unit {
    use super::*;

    fn at(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .expect("a time")
            .and_utc()
            .timestamp()
    }

    #[test]
    fn offsets_are_read_as_people_write_them() {
        for (text, east) in [
            ("+08:00", Some(8 * 3600)),
            ("UTC+8", Some(8 * 3600)),
            ("utc-5", Some(-5 * 3600)),
            ("+0530", Some(5 * 3600 + 1800)),
            ("GMT-03:30", Some(-(3 * 3600 + 1800))),
            ("UTC", Some(0)),
            ("Z", Some(0)),
            ("", None),
            ("+8x", None),
            ("+25", None),
            ("Asia/Shanghai", None),
        ] {
            assert_eq!(offset_given(text), east, "{text}");
        }
        assert_eq!(written(-(3 * 3600 + 1800)), "-03:30");
        assert_eq!(written(8 * 3600), "+08:00");
    }

    #[test]
    fn a_zone_name_is_read_from_the_system_database_where_there_is_one() {
        let now = Utc::now();
        if std::path::Path::new("/usr/share/zoneinfo/Asia/Shanghai").exists() {
            assert_eq!(offset_of_named_zone("Asia/Shanghai", now), Some(8 * 3600));
            let summer = chrono::DateTime::from_timestamp(at("2026-07-15 12:00"), 0);
            let winter = chrono::DateTime::from_timestamp(at("2026-01-15 12:00"), 0);
            let berlin = |when: Option<chrono::DateTime<Utc>>| {
                offset_of_named_zone("Europe/Berlin", when.expect("a time"))
            };
            assert_eq!((berlin(winter), berlin(summer)), (Some(3600), Some(7200)));
        }
        assert_eq!(offset_of_named_zone("../../etc/passwd", now), None);
        assert_eq!(offset_of_named_zone("No/Such_Zone", now), None);
        assert!(Clock::parse("Mars/Olympus").is_err());
        assert!(matches!(Clock::parse("+08:00"), Ok(Clock::Zone { .. })));
    }
}
