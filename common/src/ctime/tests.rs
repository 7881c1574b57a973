//! ctime is C's form, and the reply is the data unchanged behind it.

use super::*;
use chrono::{DateTime, Datelike, FixedOffset, Local, TimeZone, Timelike, Utc};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// ctime is C's form for any second from 1970 to 9999.
    #[test]
    fn ctime_is_the_c_form(second in 0i64..253_402_300_800) {
        let time = DateTime::<Utc>::from_timestamp(second, 0).unwrap();
        let text = ctime_of(&time);
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let expected = format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            DAYS[time.weekday().num_days_from_monday() as usize],
            MONTHS[time.month0() as usize],
            time.day(),
            time.hour(),
            time.minute(),
            time.second(),
            time.year()
        );
        prop_assert_eq!(text.len(), 24);
        prop_assert_eq!(text, expected);
    }
}

#[test]
fn a_reply_is_the_data_unchanged_behind_the_stamp() {
    let data = b"hi \xff\x00 \xe4\xb8\xad\r\n";
    let mut reply = Vec::new();
    stamp_into(&mut reply);
    reply.extend_from_slice(data);
    assert_eq!(reply.len(), STAMP_LEN + data.len());
    assert_eq!(reply[0], b'[');
    assert_eq!(&reply[25..27], b"] ");
    assert_eq!(&reply[27..], data);
}

#[test]
fn matches_the_book_example() {
    let time = Utc.with_ymd_and_hms(2026, 11, 25, 17, 28, 42).unwrap();
    assert_eq!(ctime_of(&time), "Wed Nov 25 17:28:42 2026");
}

#[test]
fn pads_single_digit_days_with_a_space() {
    let time = Utc.with_ymd_and_hms(2026, 11, 5, 7, 3, 9).unwrap();
    assert_eq!(ctime_of(&time), "Thu Nov  5 07:03:09 2026");
    assert_eq!(ctime_of(&time).len(), 24);
}

#[test]
fn uses_the_given_zone() {
    let time = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
    let east = FixedOffset::east_opt(3600).unwrap();
    assert_eq!(
        ctime_of(&time.with_timezone(&east)),
        "Thu Jan  1 01:30:00 2026"
    );
}

#[test]
fn now_has_the_ctime_shape() {
    let text = ctime();
    assert_eq!(text.len(), 24, "{text:?}");
    assert!(
        chrono::NaiveDateTime::parse_from_str(&text, CTIME_FORMAT).is_ok(),
        "{text:?}"
    );
}

#[test]
fn the_cached_text_is_the_current_time() {
    // A second may turn between two calls: the fresh text must match one side of it.
    let before = ctime();
    let fresh = ctime_of(&Local::now());
    let after = ctime();
    assert!(
        fresh == before || fresh == after,
        "{before} / {fresh} / {after}"
    );
}

#[test]
fn a_stamp_is_recognised_by_its_real_ctime_and_the_data_behind_it_is_given() {
    let reply = b"[Wed Nov 25 17:28:42 2026] hello";
    assert_eq!(after_stamp(reply), Some(&b"hello"[..]));
    assert_eq!(after_stamp(b"[Wed Nov 25 17:28:42 2026] "), Some(&b""[..]));
    // The shape alone is not a stamp: the time between the brackets must be a real ctime.
    assert_eq!(after_stamp(b"[xxx xxx xx xx:xx:xx xxxx] hello"), None);
    assert_eq!(after_stamp(b"[Wed Nov 25 17:28:42 2026]hello"), None);
    assert_eq!(after_stamp(b"Wed Nov 25 17:28:42 2026"), None);
}
