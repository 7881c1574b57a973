//! Whose clock a right stamp shows: this machine's local time, or the room's zone given with
//! `--tz` (`+08:00`, `UTC-5`, `Asia/Shanghai`).
//!
//! A zone's name is read from the system's time zone database (`/usr/share/zoneinfo`, the
//! TZif files of RFC 8536) for its offset now, without a crate: a whole database crate
//! (chrono-tz) to learn one number is not worth its size. Windows has no such files: there the
//! zone is given as an offset.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
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
    tzif_offset(&tzif, now.timestamp())
}

/// A big-endian number of `len` bytes at `at`.
fn number(data: &[u8], at: usize, len: usize) -> Option<i64> {
    let bytes = data.get(at..at + len)?;
    let unsigned = bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    let shift = 64 - 8 * len as u32;
    Some(((unsigned << shift) as i64) >> shift)
}

/// The offset (seconds east) at `time` (Unix seconds) in a TZif file: from its transitions,
/// or past the last one, from the POSIX rule in its footer (version 2 and later).
fn tzif_offset(data: &[u8], time: i64) -> Option<i32> {
    if !data.starts_with(b"TZif") {
        return None;
    }
    let counts = |at: usize| -> Option<[usize; 6]> {
        let mut counts = [0; 6];
        for (i, count) in counts.iter_mut().enumerate() {
            *count = usize::try_from(number(data, at + 20 + 4 * i, 4)?).ok()?;
        }
        Some(counts)
    };
    let block_len = |c: [usize; 6], time_len: usize| {
        let [isut, isstd, leap, times, types, chars] = c;
        times * time_len + times + types * 6 + chars + leap * (time_len + 4) + isstd + isut
    };
    let first = counts(0)?;
    let (at, time_len, c) = if data[4] >= b'2' {
        let second = 44 + block_len(first, 4);
        (second + 44, 8, counts(second)?)
    } else {
        (44, 4, first)
    };
    let [_, _, _, times, types, _] = c;
    let transition = |i: usize| number(data, at + i * time_len, time_len);
    let type_offset = |t: usize| number(data, at + times * time_len + times + t * 6, 4);
    let index = |i: usize| data.get(at + times * time_len + i).map(|&t| usize::from(t));
    let last = (0..times)
        .rev()
        .find(|&i| transition(i).is_some_and(|t| t <= time));
    if let (Some(last), true) = (last, time_len == 8 && times > 0) {
        if last == times - 1 {
            let footer = &data[at + block_len(c, time_len)..];
            if let Some(east) = footer_offset(footer, time) {
                return Some(east);
            }
        }
    }
    let kind = match last {
        Some(i) => index(i)?,
        None => 0,
    };
    (kind < types).then_some(())?;
    i32::try_from(type_offset(kind)?).ok()
}

/// The offset at `time` by the footer's POSIX `TZ` rule (`\nCET-1CEST,M3.5.0,M10.5.0/3\n`).
fn footer_offset(footer: &[u8], time: i64) -> Option<i32> {
    let text = std::str::from_utf8(footer).ok()?;
    let rule = text.strip_prefix('\n')?.split('\n').next()?;
    posix_offset(rule, time)
}

/// A POSIX `TZ` rule's offset east at `time`: `std offset [dst [offset] [,start[/t],end[/t]]]`.
fn posix_offset(rule: &str, time: i64) -> Option<i32> {
    let mut rest = rule;
    skip_name(&mut rest)?;
    let standard = -posix_time(&mut rest)?;
    if rest.is_empty() {
        return Some(standard);
    }
    skip_name(&mut rest)?;
    let summer = if rest.starts_with(',') {
        standard + 3600
    } else {
        -posix_time(&mut rest)?
    };
    let (start, end) = rest.strip_prefix(',')?.split_once(',')?;
    let year = chrono::DateTime::from_timestamp(time, 0)?.year();
    // The start is written in standard time, the end in summer time.
    let begins = moment(start, year)? - i64::from(standard);
    let ends = moment(end, year)? - i64::from(summer);
    let in_summer = if begins < ends {
        (begins..ends).contains(&time)
    } else {
        !(ends..begins).contains(&time)
    };
    Some(if in_summer { summer } else { standard })
}

/// Skips a zone's abbreviation: `CET`, or `<+0330>`.
fn skip_name(rest: &mut &str) -> Option<()> {
    let len = if rest.starts_with('<') {
        rest.find('>')? + 1
    } else {
        rest.find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len())
    };
    (len >= 3).then(|| *rest = &rest[len..])
}

/// `[+-]hh[:mm[:ss]]` in seconds, read off the front of `rest`.
fn posix_time(rest: &mut &str) -> Option<i32> {
    let len = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-:".contains(c)))
        .unwrap_or(rest.len());
    let (text, after) = rest.split_at(len);
    *rest = after;
    let (sign, text) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let mut secs = 0;
    for (part, unit) in text.split(':').zip([3600, 60, 1]) {
        secs += part.parse::<i32>().ok()? * unit;
    }
    Some(sign * secs)
}

/// `Mm.w.d[/time]` (the d'th day of week `w` of month `m`, 5 meaning the last) in `year`, as
/// seconds since the epoch of that wall-clock moment; `Jn` and `n` (day of the year) too.
fn moment(rule: &str, year: i32) -> Option<i64> {
    let (day, at) = match rule.split_once('/') {
        Some((day, mut time)) => (day, posix_time(&mut time)?),
        None => (rule, 2 * 3600),
    };
    let date = if let Some(mwd) = day.strip_prefix('M') {
        let mut parts = mwd.split('.').map(|part| part.parse::<u32>().ok());
        let (month, week, weekday) = (parts.next()??, parts.next()??, parts.next()??);
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let offset = (weekday + 7 - first.weekday().num_days_from_sunday()) % 7;
        let mut date = first + chrono::Duration::days(i64::from(offset + (week - 1) * 7));
        while date.month() != month {
            date -= chrono::Duration::days(7);
        }
        date
    } else {
        let (julian, n) = match day.strip_prefix('J') {
            Some(n) => (true, n.parse::<i64>().ok()?),
            None => (false, day.parse::<i64>().ok()?),
        };
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let leap_skip = julian && n >= 60 && jan1.leap_year();
        jan1 + chrono::Duration::days(if julian { n - 1 } else { n } + i64::from(leap_skip))
    };
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + i64::from(at))
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
    fn posix_rules_give_summer_and_winter() {
        let berlin = "CET-1CEST,M3.5.0,M10.5.0/3";
        assert_eq!(posix_offset(berlin, at("2026-01-15 12:00")), Some(3600));
        assert_eq!(posix_offset(berlin, at("2026-07-15 12:00")), Some(7200));
        // The last Sunday of March 2026 is the 29th, at 01:00 UTC.
        assert_eq!(posix_offset(berlin, at("2026-03-29 00:59")), Some(3600));
        assert_eq!(posix_offset(berlin, at("2026-03-29 01:00")), Some(7200));
        let sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        assert_eq!(
            posix_offset(sydney, at("2026-01-15 12:00")),
            Some(11 * 3600)
        );
        assert_eq!(
            posix_offset(sydney, at("2026-07-15 12:00")),
            Some(10 * 3600)
        );
        assert_eq!(posix_offset("CST-8", 0), Some(8 * 3600));
        assert_eq!(posix_offset("<+0330>-3:30", 0), Some(3 * 3600 + 1800));
        assert_eq!(posix_offset("<-03>3", 0), Some(-3 * 3600));
        assert_eq!(
            posix_offset("EST5EDT,M3.2.0,M11.1.0", at("2026-07-01 00:00")),
            Some(-4 * 3600)
        );
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
