//! ctime is C's form for every second, checked for inputs no one would write by hand.

use chrono::{DateTime, Datelike, Timelike, Utc};
use common::ctime::ctime_of;
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
