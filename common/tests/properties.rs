//! Properties of the pure pieces, for inputs no one would think to write by hand.

use chrono::{DateTime, Datelike, Timelike, Utc};
use common::ctime::ctime_of;
use common::utf8::Utf8HoldBack;
use proptest::prelude::*;

/// Answers `reads` as the TCP server does with `--bufsize bufsize`, then the half-close.
fn replies(reads: &[&[u8]], bufsize: usize) -> (Vec<Vec<u8>>, usize) {
    let mut hold = Utf8HoldBack::default();
    let mut out = Vec::new();
    for read in reads {
        out.extend(hold.take(read, read.len() == bufsize));
        assert!(hold.held_len() <= 3, "at most 3 bytes are ever held");
    }
    out.extend(hold.finish());
    (out, hold.held_len())
}

/// Positions strictly inside a character that `input` has whole.
fn inside_whole_characters(input: &[u8]) -> Vec<usize> {
    let mut inside = Vec::new();
    let mut at = 0;
    for chunk in input.utf8_chunks() {
        for (offset, ch) in chunk.valid().char_indices() {
            inside.extend((1..ch.len_utf8()).map(|k| at + offset + k));
        }
        at += chunk.valid().len() + chunk.invalid().len();
    }
    inside
}

/// Text with characters of every length, and now and then bytes that are not UTF-8.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[a-z é中😀]{0,12}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..6),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// Cuts `input` into reads of at most `bufsize` bytes at the given cut sizes.
fn split<'a>(input: &'a [u8], sizes: &[usize], bufsize: usize) -> Vec<&'a [u8]> {
    let mut reads = Vec::new();
    let mut rest = input;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let size = (sizes.next().copied().unwrap_or(bufsize) % bufsize + 1).min(rest.len());
        reads.push(&rest[..size]);
        rest = &rest[size..];
    }
    reads
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any bytes, split anywhere into reads of any sizes: the replies' data joined back is
    /// the input, and nothing is held once the input ends.
    #[test]
    fn nothing_is_lost_or_held_forever(
        input in input(),
        bufsize in 1usize..40,
        sizes in proptest::collection::vec(0usize..64, 1..16),
    ) {
        let reads = split(&input, &sizes, bufsize);
        let (out, held_at_end) = replies(&reads, bufsize);
        prop_assert_eq!(out.concat(), input);
        prop_assert_eq!(held_at_end, 0);
        prop_assert!(out.iter().all(|reply| !reply.is_empty()));
    }

    /// A fast sender fills every read: then no reply ends inside a character the input had
    /// whole.
    #[test]
    fn full_reads_never_split_a_whole_character(input in input(), bufsize in 1usize..40) {
        let reads: Vec<&[u8]> = input.chunks(bufsize).collect();
        let (out, _) = replies(&reads, bufsize);
        let inside = inside_whole_characters(&input);
        let mut boundary = 0;
        for reply in &out[..out.len().saturating_sub(1)] {
            boundary += reply.len();
            prop_assert!(!inside.contains(&boundary), "a reply ends inside a character at {}", boundary);
        }
    }

    /// A read shorter than the buffer is answered whole, held bytes first.
    #[test]
    fn a_short_read_is_answered_whole(read in proptest::collection::vec(any::<u8>(), 1..40)) {
        let mut hold = Utf8HoldBack::default();
        let answered = hold.take(&read, false);
        prop_assert_eq!(answered, Some(read));
        prop_assert_eq!(hold.held_len(), 0);
    }

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
