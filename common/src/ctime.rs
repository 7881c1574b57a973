//! The book's timestamp, Python's `ctime()` (C's `ctime(3)`), and the reply built from it.
//!
//! `Wed Nov 25 17:28:42 2026`: always 24 characters, local time, English day and month names
//! whatever the locale, and a space-padded day (`Wed Nov  5`). On Linux and macOS local time
//! honours `TZ`; Windows has no `TZ` and uses the zone set in its settings.
//!
//! The reply is `[` + ctime + `] ` + the data, byte for byte as received.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Local, TimeZone};

/// C's ctime layout, as chrono writes it. chrono's `%a` and `%b` are always English.
const CTIME_FORMAT: &str = "%a %b %e %H:%M:%S %Y";

/// Formats `time` the way C's `ctime()` does, in `time`'s own time zone.
fn ctime_of<Tz: TimeZone>(time: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    time.format(CTIME_FORMAT).to_string()
}

thread_local! {
    /// The last second formatted on this thread, and its text.
    ///
    /// A server stamps thousands of replies a second, but the text only changes once a second,
    /// so each thread formats it once per second and reuses it in between.
    static LAST_STAMP: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// The current local time in ctime form: `Wed Nov 25 17:28:42 2026`.
pub fn ctime() -> String {
    with_ctime(str::to_owned)
}

/// Hands the current ctime text to `use_it` without copying it: the server stamps every
/// reply this way, straight into the reply's buffer.
fn with_ctime<T>(use_it: impl FnOnce(&str) -> T) -> T {
    let second = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since_epoch) => since_epoch.as_secs() as i64,
        // A clock set before 1970: don't cache, just format.
        Err(_) => return use_it(&ctime_of(&Local::now())),
    };
    LAST_STAMP.with_borrow_mut(|(cached_second, text)| {
        if *cached_second != second {
            *text = match Local.timestamp_opt(second, 0).single() {
                Some(time) => ctime_of(&time),
                None => ctime_of(&Local::now()),
            };
            *cached_second = second;
        }
        use_it(text)
    })
}

/// How many bytes a reply adds in front of the data: `[`, 24 of ctime, `] `.
pub const STAMP_LEN: usize = 27;

/// Appends `[Wed Nov 25 17:28:42 2026] ` to `out`: a server that reuses one buffer stamps
/// replies this way without allocating.
pub fn stamp_into(out: &mut Vec<u8>) {
    out.push(b'[');
    with_ctime(|now| out.extend_from_slice(now.as_bytes()));
    out.extend_from_slice(b"] ");
}

/// The data behind the stamp when `data` begins as a timestamp reply does:
/// `[Wed Nov 25 17:28:42 2026] `, a real ctime between the brackets; `None` otherwise. The
/// one place where a stamp is recognised: the UDP client knows a late reply to an earlier
/// line by the data behind its stamp.
pub fn after_stamp(data: &[u8]) -> Option<&[u8]> {
    if data.len() < STAMP_LEN || data[0] != b'[' || &data[STAMP_LEN - 2..STAMP_LEN] != b"] " {
        return None;
    }
    let ctime = std::str::from_utf8(&data[1..STAMP_LEN - 2]).ok()?;
    chrono::NaiveDateTime::parse_from_str(ctime, CTIME_FORMAT).ok()?;
    Some(&data[STAMP_LEN..])
}

#[cfg(test)]
mod tests;
