//! A zone's offset from the system's time zone files (TZif, RFC 8536): the transitions, and
//! past the last one the POSIX `TZ` rule in the file's footer.

use chrono::{Datelike, NaiveDate};

/// A big-endian number of `len` bytes at `at`.
fn number(data: &[u8], at: usize, len: usize) -> Option<i64> {
    let bytes = data.get(at..at + len)?;
    let unsigned = bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    let shift = 64 - 8 * len as u32;
    Some(((unsigned << shift) as i64) >> shift)
}

/// The offset (seconds east) at `time` (Unix seconds) in a TZif file: from its transitions,
/// or past the last one, from the POSIX rule in its footer (version 2 and later).
pub fn offset_at(data: &[u8], time: i64) -> Option<i32> {
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

#[cfg(test)]
mod unit {
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .expect("a time")
            .and_utc()
            .timestamp()
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
}
