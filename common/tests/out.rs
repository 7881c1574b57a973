//! What the log shows of received bytes.

use common::out::Printable;

#[test]
fn printable_escapes_and_shortens() {
    let printable = |bytes: &[u8]| Printable(bytes).to_string();
    assert_eq!(printable(b"hi\n"), "\"hi\\n\"");
    assert_eq!(printable("中".as_bytes()), "\"中\"");
    let long = printable(&[b'a'; 1000]);
    assert!(long.ends_with("... (1000 bytes)"), "{long}");
    assert!(long.len() < 100);
}

mod log_share {
    use common::out::{LINES_PER_SECOND, LogShare, Turn};
    use std::time::{Duration, Instant};

    #[test]
    fn a_flood_is_shown_a_few_lines_a_second_and_the_rest_counted() {
        let start = Instant::now();
        let mut share = LogShare::new(start);
        let turns: Vec<Turn> = (0..100).map(|_| share.take(start)).collect();
        let shown = turns.iter().filter(|turn| **turn != Turn::Skip).count();
        assert_eq!(shown, LINES_PER_SECOND as usize);
        // Nothing is summarised while the second lasts...
        assert_eq!(share.skipped_by(start + Duration::from_millis(500)), 0);
        // ... and the next second's first line carries the count.
        let next = start + Duration::from_secs(1);
        assert_eq!(share.take(next), Turn::Log { skipped: 95 });
        assert_eq!(share.take(next), Turn::Log { skipped: 0 });
    }

    #[test]
    fn what_is_left_is_told_on_a_tick_or_when_the_client_leaves() {
        let start = Instant::now();
        let mut share = LogShare::new(start);
        for _ in 0..8 {
            share.take(start);
        }
        assert_eq!(share.skipped_by(start + Duration::from_secs(2)), 3);
        assert_eq!(share.skipped_by(start + Duration::from_secs(3)), 0);
        for _ in 0..7 {
            share.take(start + Duration::from_secs(3));
        }
        assert_eq!(share.finish(), 2);
    }
}
