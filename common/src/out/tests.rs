//! What the log shows of received bytes.

use super::Printable;

#[test]
fn printable_escapes_and_shortens() {
    let printable = |bytes: &[u8]| Printable(bytes).to_string();
    assert_eq!(printable(b"hi\n"), "\"hi\\n\"");
    assert_eq!(printable("中".as_bytes()), "\"中\"");
    let long = printable(&[b'a'; 1000]);
    assert!(long.ends_with("... (1000 bytes)"), "{long}");
    assert!(long.len() < 100);
}

#[test]
fn printable_shows_what_would_look_blank() {
    let printable = |text: &str| Printable(text.as_bytes()).to_string();
    // Hangul fillers and the blank Braille pattern look like nothing at all.
    assert_eq!(
        printable("\u{115f}\u{3164}\u{2800}"),
        r#""\u{115f}\u{3164}\u{2800}""#
    );
    assert_eq!(printable("a\u{200b}b\u{a0}"), r#""a\u{200b}b\u{a0}""#);
    assert_eq!(printable("\u{1b}[2J"), r#""\u{1b}[2J""#);
    // A joiner inside an emoji sequence is part of what is seen; alone, it is invisible.
    assert_eq!(printable("👨\u{200d}👩"), "\"👨\u{200d}👩\"");
    assert_eq!(printable("\u{200d}"), r#""\u{200d}""#);
    assert_eq!(printable("中文 ok"), "\"中文 ok\"");
}

#[test]
fn an_invalid_byte_never_looks_like_a_real_replacement_character() {
    let invalid = Printable(b"a\xffb").to_string();
    let real = Printable("a\u{fffd}b".as_bytes()).to_string();
    assert_eq!(invalid, r#""a\xffb""#);
    assert_eq!(real, "\"a\u{fffd}b\"");
    assert_ne!(invalid, real);
    // A character cut at the end is shown as its bytes, not as a character it is not.
    assert_eq!(
        Printable(&"中".as_bytes()[..2]).to_string(),
        r#""\xe4\xb8""#
    );
}

#[test]
fn a_long_message_shows_its_first_characters_and_its_length() {
    let text = "中".repeat(100) + "!";
    let shown = Printable(text.as_bytes()).to_string();
    assert!(
        shown.starts_with(&format!("\"{}\"", "中".repeat(80))),
        "{shown}"
    );
    assert!(shown.ends_with("... (301 bytes)"), "{shown}");
    let exactly = "a".repeat(Printable::SHOWN);
    assert_eq!(
        Printable(exactly.as_bytes()).to_string(),
        format!("\"{exactly}\"")
    );
}

mod log_share {
    use crate::out::{LINES_PER_SECOND, LogOrSkip, LogShare};
    use std::time::{Duration, Instant};

    #[test]
    fn a_flood_is_shown_a_few_lines_a_second_and_the_rest_counted() {
        let start = Instant::now();
        let mut share = LogShare::new(start);
        let turns: Vec<LogOrSkip> = (0..100).map(|_| share.take(start)).collect();
        let shown = turns
            .iter()
            .filter(|turn| **turn != LogOrSkip::Skip)
            .count();
        assert_eq!(shown, LINES_PER_SECOND as usize);
        // Nothing is summarised while the second lasts...
        assert_eq!(share.skipped_by(start + Duration::from_millis(500)), 0);
        // ... and the next second's first line carries the count.
        let next = start + Duration::from_secs(1);
        assert_eq!(share.take(next), LogOrSkip::Log { skipped: 95 });
        assert_eq!(share.take(next), LogOrSkip::Log { skipped: 0 });
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
