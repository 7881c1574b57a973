//! The stamp between `[` and `]`: is it C's ctime layout, and is it the time now?
//!
//! A stamp in another layout still carries a time, so the time is judged on its own: a
//! server with one mistake fails the one check for that mistake.

use chrono::{Datelike, NaiveDateTime};
use common::tr;

use super::Mistake;

/// C's ctime layout: `Wed Nov 25 17:28:42 2026`, the day padded with a space.
pub const CTIME: &str = "%a %b %e %H:%M:%S %Y";

/// How far a stamp may be from the checker's clock and still be "now": the reply's trip, and
/// two machines' clocks in one room.
pub const TOLERANCE_SECS: i64 = 5;

/// Layouts a student's server is likely to use instead of ctime, tried in order.
const OTHER_LAYOUTS: [&str; 7] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%a %d %b %Y %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
];

/// Is `stamp` exactly what `ctime()` writes? `None` when it is; otherwise the mistake.
pub fn layout_mistake(stamp: &str) -> Option<Mistake> {
    if let Ok(time) = NaiveDateTime::parse_from_str(stamp, CTIME) {
        let written = time.format(CTIME).to_string();
        if written == stamp {
            return None;
        }
        // `Thu Nov 05 ...`: the same time, the day padded with a zero.
        if time.day() < 10 && time.format("%a %b %d %H:%M:%S %Y").to_string() == stamp {
            return Some(Mistake::ZeroPaddedDay);
        }
    }
    Some(Mistake::OtherLayout)
}

/// The time in `stamp`, in ctime's layout or one of the others students use; a bare time of
/// day (`17:28:42`) is taken as today's.
pub fn parse_any(stamp: &str, today: NaiveDateTime) -> Option<NaiveDateTime> {
    let stamp = stamp.trim();
    // ctime, also with a zero-padded day or doubled spaces.
    let words: Vec<&str> = stamp.split_whitespace().collect();
    if let Ok(time) = NaiveDateTime::parse_from_str(&words.join(" "), "%a %b %d %H:%M:%S %Y") {
        return Some(time);
    }
    // `date`'s output names the zone before the year: `Wed Nov 25 17:28:42 UTC 2026`.
    if words.len() == 6 && words[4].chars().all(|c| c.is_ascii_alphabetic()) {
        let without_zone = [&words[..4], &words[5..]].concat().join(" ");
        if let Ok(time) = NaiveDateTime::parse_from_str(&without_zone, "%a %b %d %H:%M:%S %Y") {
            return Some(time);
        }
    }
    if let Some(time) = OTHER_LAYOUTS
        .iter()
        .find_map(|layout| NaiveDateTime::parse_from_str(stamp, layout).ok())
    {
        return Some(time);
    }
    let time = chrono::NaiveTime::parse_from_str(stamp, "%H:%M:%S%.f").ok()?;
    Some(today.date().and_time(time))
}

/// How a stamp's time stands against the clocks.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within a few seconds of the checker's local time.
    Now,
    /// The time in UTC, where the checker's local time is in another zone.
    Utc {
        /// How many seconds local time is ahead of the stamp.
        behind_secs: i64,
    },
    /// A whole number of hours (or quarter hours, as zones go) off: another zone.
    OtherZone {
        /// How many seconds the stamp is ahead of local time (negative: behind).
        ahead_secs: i64,
    },
    /// Off by some other amount: a wrong clock, or a time taken long ago.
    Off {
        /// How many seconds the stamp is ahead of local time (negative: behind).
        ahead_secs: i64,
    },
}

/// Judges `time` against the checker's local time and UTC, both read when the reply came.
pub fn judge_time(time: NaiveDateTime, local: NaiveDateTime, utc: NaiveDateTime) -> Verdict {
    let ahead = (time - local).num_seconds();
    if ahead.abs() <= TOLERANCE_SECS {
        return Verdict::Now;
    }
    if (time - utc).num_seconds().abs() <= TOLERANCE_SECS {
        return Verdict::Utc {
            behind_secs: -ahead,
        };
    }
    // Zones are whole hours, or half and quarter hours (India, Nepal, Central Australia).
    let quarter = 15 * 60;
    let nearest = (ahead as f64 / quarter as f64).round() as i64 * quarter;
    if (ahead - nearest).abs() <= TOLERANCE_SECS && ahead.abs() < 27 * 3600 {
        Verdict::OtherZone {
            ahead_secs: nearest,
        }
    } else {
        Verdict::Off { ahead_secs: ahead }
    }
}

/// `9 h 30 min`, `8 h`: a zone difference as a student reads it.
pub fn hours(seconds: i64) -> String {
    let minutes = seconds.abs() / 60;
    match (minutes / 60, minutes % 60) {
        (h, 0) => tr!("{h} h", "{h} 小时"),
        (0, m) => tr!("{m} min", "{m} 分钟"),
        (h, m) => tr!("{h} h {m} min", "{h} 小时 {m} 分钟"),
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use chrono::Timelike;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("a time")
    }

    #[test]
    fn ctime_passes_and_a_zero_padded_day_is_named() {
        assert_eq!(layout_mistake("Thu Nov  5 17:28:42 2026"), None);
        assert_eq!(layout_mistake("Wed Nov 25 17:28:42 2026"), None);
        assert_eq!(
            layout_mistake("Thu Nov 05 17:28:42 2026"),
            Some(Mistake::ZeroPaddedDay)
        );
        assert_eq!(
            layout_mistake("2026-11-25 17:28:42"),
            Some(Mistake::OtherLayout)
        );
        // The day of the week must match the date.
        assert_eq!(
            layout_mistake("Mon Nov 25 17:28:42 2026"),
            Some(Mistake::OtherLayout)
        );
    }

    #[test]
    fn times_are_read_from_the_layouts_students_use() {
        let today = at("2026-11-25 00:00:00");
        let want = Some(at("2026-11-25 17:28:42"));
        for stamp in [
            "Wed Nov 25 17:28:42 2026",
            "2026-11-25 17:28:42.123456",
            "2026-11-25T17:28:42",
            "Wed Nov 25 17:28:42 UTC 2026",
            "17:28:42",
            "Wed, 25 Nov 2026 17:28:42",
        ] {
            let whole_seconds = parse_any(stamp, today).and_then(|time| time.with_nanosecond(0));
            assert_eq!(whole_seconds, want, "{stamp}");
        }
        assert_eq!(
            parse_any("Thu Nov 05 17:28:42 2026", today),
            Some(at("2026-11-05 17:28:42"))
        );
        assert_eq!(parse_any("teatime", today), None);
    }

    #[test]
    fn utc_other_zones_and_wrong_clocks_are_told_apart() {
        let local = at("2026-11-25 18:58:42"); // UTC+9:30
        let utc = at("2026-11-25 09:28:42");
        assert_eq!(
            judge_time(at("2026-11-25 18:58:44"), local, utc),
            Verdict::Now
        );
        assert_eq!(
            judge_time(utc, local, utc),
            Verdict::Utc {
                behind_secs: 34_200
            }
        );
        assert_eq!(
            judge_time(at("2026-11-25 17:58:41"), local, utc),
            Verdict::OtherZone { ahead_secs: -3600 }
        );
        assert_eq!(
            judge_time(at("2026-11-25 18:50:00"), local, utc),
            Verdict::Off { ahead_secs: -522 }
        );
        assert_eq!(hours(34_200), "9 h 30 min");
        assert_eq!(hours(-3600), "1 h");
    }
}
