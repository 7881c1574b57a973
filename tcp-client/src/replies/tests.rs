//! Every case the client has met, each a few lines: the events as the loop tells them, at the
//! times they happen (milliseconds from the start), and what is shown and done.

use std::time::{Duration, Instant};

use super::*;

/// A conversation under test: the replies, the start of time, and everything shown so far.
struct Run {
    replies: Replies,
    start: Instant,
    now: Instant,
    shown: Vec<Show>,
}

impl Run {
    /// A client whose input is a pipe.
    fn piped() -> Run {
        Run::new(Reader::Program)
    }

    /// A client with a person at the terminal.
    fn typed() -> Run {
        Run::new(Reader::Person)
    }

    fn new(reader: Reader) -> Run {
        let start = Instant::now();
        Run {
            replies: Replies::new(reader, start),
            start,
            now: start,
            shown: Vec::new(),
        }
    }

    /// Lets time run to `ms` as the loop does (waking at each deadline on the way), then
    /// tells `event` at `ms`.
    fn at(&mut self, ms: u64, event: Event<'_>) -> &mut Run {
        self.until(ms);
        let shows = self.replies.on(event, self.now);
        self.shown.extend(shows);
        self
    }

    /// Lets time run to `ms`, waking at each deadline on the way.
    fn until(&mut self, ms: u64) -> &mut Run {
        let end = self.start + Duration::from_millis(ms);
        for _ in 0..100 {
            match self.replies.deadline() {
                Some(deadline) if deadline <= end => {
                    self.now = deadline.max(self.now);
                    let shows = self.replies.on(Event::TimePassed, self.now);
                    self.shown.extend(shows);
                }
                _ => break,
            }
        }
        self.now = end.max(self.now);
        self
    }

    /// Bytes from the server at `ms`.
    fn bytes(&mut self, ms: u64, bytes: &str) -> &mut Run {
        self.at(ms, Event::Bytes(bytes.as_bytes()))
    }

    /// Every byte shown so far, joined.
    fn screen(&self) -> String {
        let bytes: Vec<u8> = self
            .shown
            .iter()
            .filter_map(|show| match show {
                Show::Bytes(bytes) => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Every note given so far.
    fn notes(&self) -> Vec<Note> {
        self.shown
            .iter()
            .filter_map(|show| match show {
                Show::Note(note) => Some(*note),
                _ => None,
            })
            .collect()
    }

    fn next(&self) -> Next {
        self.replies.next()
    }
}

const ONE: &str = "[Mon Nov 30 07:12:38 2026] one\n";
const TWO: &str = "[Mon Nov 30 07:12:38 2026] two\n";
const BUSY: &str = "tcp-server: server busy (--max-clients 1), try again later\n";

#[test]
fn a_reply_is_complete_at_its_newline_and_the_client_goes_on() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent);
    assert_eq!(run.next(), Next::Wait);
    run.bytes(5, &ONE[..20]);
    assert_eq!(run.next(), Next::Wait, "half a reply");
    run.bytes(6, &ONE[20..]);
    assert_eq!(run.next(), Next::GoOn);
    assert_eq!(run.screen(), ONE);
    run.at(7, Event::InputEnded).at(8, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.notes(), []);
}

#[test]
fn a_pause_inside_a_reply_shows_it_goes_on_and_keeps_the_rest_with_it() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent).bytes(5, &ONE[..10]);
    run.until(1004);
    assert_eq!(run.next(), Next::Wait, "not a pause yet");
    run.until(1005);
    assert_eq!(run.next(), Next::GoOn);
    assert!(run.shown.contains(&Show::Paused));
    run.at(1010, Event::LineSent); // two goes out
    run.until(5000);
    assert_eq!(run.next(), Next::Wait, "nothing came for two: it waits");
    run.bytes(5500, &ONE[10..]);
    assert_eq!(run.next(), Next::Wait, "that was one's rest");
    run.bytes(5501, TWO);
    assert_eq!(run.next(), Next::GoOn);
    run.at(5502, Event::InputEnded).at(5503, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(
        run.screen(),
        format!("{ONE}{TWO}"),
        "every byte once, in order"
    );
    assert_eq!(run.notes(), [], "every reply had its newline");
}

#[test]
fn a_pause_inside_a_character_shows_no_half_of_it() {
    let zhong = "中".as_bytes();
    let mut run = Run::piped();
    run.at(0, Event::LineSent);
    run.at(5, Event::Bytes(&[b"[Mon] ", &zhong[..1]].concat()));
    assert_eq!(run.screen(), "[Mon] ");
    run.until(2000);
    assert_eq!(run.next(), Next::GoOn, "paused");
    assert_eq!(run.screen(), "[Mon] ", "the half is still held");
    run.at(2500, Event::Bytes(&[&zhong[1..], b"\n"].concat()));
    assert_eq!(run.screen(), "[Mon] 中\n");
}

#[test]
fn the_start_of_a_character_whose_rest_never_comes_is_shown_in_the_end() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent).at(5, Event::Bytes(b"x\xe4"));
    run.until(5004);
    assert_eq!(run.screen(), "x");
    run.until(5005);
    assert_eq!(
        run.screen(),
        "x\u{fffd}",
        "shown as it is after a long wait"
    );
    let mut cut = Run::piped();
    cut.at(0, Event::LineSent)
        .at(5, Event::Bytes(b"x\xe4"))
        .at(6, Event::Closed);
    assert_eq!(
        cut.shown[1],
        Show::Bytes(b"\xe4".to_vec()),
        "and at the end"
    );
}

#[test]
fn a_server_that_never_sends_a_newline_gets_every_answer_shown_and_a_true_note() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent).bytes(5, "ab");
    run.until(1005);
    assert_eq!(run.next(), Next::GoOn);
    run.at(1006, Event::LineSent).bytes(1010, "cd");
    assert_eq!(
        run.next(),
        Next::Wait,
        "cd may be ab's rest: it pauses first"
    );
    run.until(2010);
    assert_eq!(run.next(), Next::GoOn);
    run.at(2011, Event::InputEnded).at(2012, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.screen(), "abcd");
    assert_eq!(run.notes(), [Note::NoNewline]);
    let end = run.shown.iter().position(|show| *show == Show::EndOfLine);
    assert!(end.is_some(), "the line is ended before the note");
}

#[test]
fn a_close_in_the_middle_of_a_reply_cuts_it_short() {
    for end in [Event::Closed, Event::Reset] {
        let mut run = Run::piped();
        run.at(0, Event::LineSent).bytes(5, &ONE[..10]).at(6, end);
        assert_eq!(run.next(), Next::End(Ending::CutShort), "{end:?}");
        assert_eq!(run.shown.last(), Some(&Show::EndOfLine), "{end:?}");
        let mut after_input = Run::piped();
        after_input.at(0, Event::LineSent).bytes(5, &ONE[..10]);
        after_input.at(6, Event::InputEnded).at(7, end);
        assert_eq!(after_input.next(), Next::End(Ending::CutShort), "{end:?}");
    }
}

#[test]
fn a_reset_before_the_reply_began_is_no_reply() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent).at(5, Event::Reset);
    assert_eq!(run.next(), Next::End(Ending::NoReply));
}

#[test]
fn a_reset_after_a_reply_is_the_server_closing_on_us() {
    // A server that answers one line per connection, and closes with the next line unread
    // (which makes its close a reset): it closed the connection, it did not fail to answer.
    let mut run = Run::piped();
    run.at(0, Event::LineSent).bytes(5, ONE);
    run.at(6, Event::LineSent).at(7, Event::Reset);
    assert_eq!(run.next(), Next::End(Ending::ServerClosed));
}

#[test]
fn the_busy_line_and_the_close_end_the_client_even_at_the_prompt() {
    let mut run = Run::typed();
    assert!(run.replies.may_prompt());
    run.bytes(5, BUSY);
    assert!(
        !run.replies.may_prompt(),
        "no prompt between the busy line and the error"
    );
    assert_eq!(run.next(), Next::Wait);
    run.at(6, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::ServerClosed));
    assert_eq!(run.screen(), BUSY, "shown like any line");
}

#[test]
fn the_busy_line_after_the_only_line_and_the_end_of_input_is_no_reply() {
    for end in [Event::Closed, Event::Reset] {
        let mut run = Run::piped();
        run.at(0, Event::LineSent)
            .at(1, Event::InputEnded)
            .bytes(5, BUSY);
        run.at(6, end);
        assert_eq!(run.next(), Next::End(Ending::ServerClosed), "{end:?}");
    }
}

#[test]
fn the_idle_line_after_a_reply_ends_the_client_with_no_prompt_between() {
    let mut run = Run::typed();
    run.at(0, Event::LineSent).bytes(5, ONE);
    assert!(run.replies.may_prompt());
    run.bytes(
        60_000,
        "tcp-server: closing: idle for 60 s (--idle-timeout 60)\n",
    );
    assert!(!run.replies.may_prompt());
    run.at(60_001, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::ServerClosed));
}

#[test]
fn the_last_words_are_told_by_the_mark_in_whatever_pieces_they_come() {
    for cut in 1..BUSY.len() {
        let mut run = Run::piped();
        run.at(0, Event::LineSent)
            .bytes(5, &BUSY[..cut])
            .bytes(6, &BUSY[cut..]);
        assert_eq!(run.next(), Next::Wait, "cut at {cut}: not the line's reply");
    }
    // The same words without the mark are a reply like any other.
    let mut run = Run::piped();
    run.at(0, Event::LineSent)
        .bytes(5, "server busy, try again later\n");
    run.at(6, Event::InputEnded).at(7, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
}

#[test]
fn last_words_with_no_close_after_them_let_the_client_go_on() {
    let mut run = Run::typed();
    run.bytes(5, BUSY).until(1004);
    assert!(!run.replies.may_prompt());
    run.until(1005);
    assert!(run.replies.may_prompt());
}

#[test]
fn a_greeting_on_connect_is_shown_and_the_replies_stay_in_step() {
    let mut run = Run::piped();
    run.bytes(1, "Welcome to the time server\n");
    assert_eq!(run.next(), Next::GoOn);
    run.at(2, Event::LineSent).bytes(5, ONE);
    assert_eq!(run.next(), Next::GoOn);
    run.at(6, Event::LineSent);
    assert_eq!(run.next(), Next::Wait, "two waits for its own reply");
    run.bytes(9, TWO)
        .at(10, Event::InputEnded)
        .at(11, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
}

#[test]
fn any_answer_is_a_reply_date_upper_case_and_crlf_alike() {
    for answer in [
        "Sun Dec  6 22:04:00 UTC 2026\n",
        "[MON NOV 30 07:12:38 2026] ONE\n",
        "[Mon Nov 30 07:12:38 2026] one\r\n",
        "\n",
    ] {
        let mut run = Run::piped();
        run.at(0, Event::LineSent).bytes(5, answer);
        assert_eq!(run.next(), Next::GoOn, "{answer:?}");
        run.at(6, Event::InputEnded).at(7, Event::Closed);
        assert_eq!(run.next(), Next::End(Ending::Done), "{answer:?}");
        assert_eq!(run.screen(), answer);
    }
}

#[test]
fn a_listing_whose_last_line_comes_later_is_shown_whole_after_the_input_ends() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent).bytes(5, "Cargo.toml\nsrc\n");
    assert_eq!(run.next(), Next::GoOn);
    run.at(6, Event::InputEnded).until(400);
    assert_eq!(
        run.next(),
        Next::Wait,
        "what the server still sends is shown"
    );
    run.bytes(405, "target\n").at(406, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.screen(), "Cargo.toml\nsrc\ntarget\n");
}

#[test]
fn a_server_that_stays_open_is_left_a_moment_after_its_last_byte() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent)
        .bytes(5, ONE)
        .at(6, Event::InputEnded);
    run.bytes(205, ONE); // the line said twice, 200 ms apart
    run.until(1204);
    assert_eq!(run.next(), Next::Wait);
    run.until(1205);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.screen(), format!("{ONE}{ONE}"));
    // A reply still missing is waited for as long as the connection lasts.
    let mut missing = Run::piped();
    missing
        .at(0, Event::LineSent)
        .at(1, Event::InputEnded)
        .until(60_000);
    assert_eq!(missing.next(), Next::Wait);
    assert_eq!(missing.replies.deadline(), None, "no wake for nothing");
}

#[test]
fn a_server_that_answers_one_line_per_connection_ends_well_only_with_the_input() {
    let mut last = Run::piped();
    last.at(0, Event::LineSent)
        .bytes(5, ONE)
        .at(6, Event::InputEnded);
    last.at(7, Event::Closed);
    assert_eq!(last.next(), Next::End(Ending::Done));
    let mut more_to_send = Run::piped();
    more_to_send
        .at(0, Event::LineSent)
        .bytes(5, ONE)
        .at(7, Event::Closed);
    assert_eq!(more_to_send.next(), Next::End(Ending::ServerClosed));
    let mut sent_too_late = Run::piped();
    sent_too_late
        .at(0, Event::LineSent)
        .bytes(5, ONE)
        .at(6, Event::LineSent);
    sent_too_late.at(7, Event::Closed);
    assert_eq!(sent_too_late.next(), Next::End(Ending::ServerClosed));
}

#[test]
fn a_close_with_a_reply_missing_after_the_input_ended_is_no_good_end() {
    let mut run = Run::piped();
    run.at(0, Event::LineSent)
        .at(1, Event::InputEnded)
        .at(2, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::ServerClosed));
}

#[test]
fn a_long_lines_reply_that_pauses_before_a_later_stamp_stays_one_reply() {
    // 2060 bytes and '\n' answered as three stamped pieces; 2 s pause before the third.
    let stamp = "[Sun Dec  6 21:51:55 2026] ";
    let a = "a".repeat(1024);
    let mut run = Run::piped();
    run.at(0, Event::LineSent);
    run.bytes(5, &format!("{stamp}{a}{stamp}{a}"));
    run.until(1005);
    assert_eq!(run.next(), Next::GoOn, "the pause lets 'two' go out");
    run.at(1006, Event::LineSent);
    run.bytes(2005, &format!("{stamp}aaaaaaaaaaaa\n{stamp}two\n"));
    assert_eq!(run.next(), Next::GoOn, "both replies in, in step");
    run.at(2006, Event::InputEnded).at(2007, Event::Closed);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.notes(), [], "no false 'no newline'");
    assert_eq!(run.screen().lines().count(), 2);
}

#[test]
fn a_person_is_told_after_a_few_seconds_that_the_client_still_waits_and_why() {
    let mut run = Run::typed();
    run.at(0, Event::LineSent).until(4999);
    assert_eq!(run.notes(), []);
    run.until(5000);
    assert_eq!(run.notes(), [Note::StillWaiting { secs: 5 }]);
    run.until(20_000);
    assert_eq!(run.notes().len(), 1, "once a wait");
    run.bytes(20_001, ONE)
        .at(20_002, Event::LineSent)
        .until(25_002);
    assert_eq!(run.notes().len(), 2, "and once the next");
    let mut piped = Run::piped();
    piped.at(0, Event::LineSent).until(60_000);
    assert_eq!(piped.notes(), [], "nobody to tell in a pipe");
}

#[test]
fn on_a_terminal_a_paused_reply_gets_no_prompt_until_it_ends_or_the_person_is_told() {
    let mut run = Run::typed();
    run.at(0, Event::LineSent).bytes(5, &ONE[..10]).until(2000);
    assert_eq!(run.next(), Next::GoOn, "a line typed now may go");
    assert!(
        !run.replies.may_prompt(),
        "the prompt would split the reply"
    );
    run.bytes(2500, &ONE[10..]);
    assert!(run.replies.may_prompt(), "it ended with its newline");
    // A reply that stops for good: the person is told, then prompted.
    run.at(3000, Event::LineSent)
        .bytes(3005, "no newline")
        .until(8004);
    assert!(!run.replies.may_prompt());
    run.until(8005);
    assert_eq!(run.notes(), [Note::Stopped { secs: 5 }]);
    assert!(run.replies.may_prompt());
    // Told once: the next pause prompts at once.
    run.at(8100, Event::LineSent)
        .bytes(8105, "again")
        .until(9105);
    assert!(run.replies.may_prompt());
    assert_eq!(run.notes().len(), 1);
}

#[test]
fn the_reply_timeout_says_whether_part_of_the_reply_came() {
    let mut nothing = Run::piped();
    nothing.at(0, Event::LineSent).at(500, Event::GaveUp);
    let nothing_came = Ending::TimedOut { part_came: false };
    assert_eq!(nothing.next(), Next::End(nothing_came));
    let mut part = Run::piped();
    part.at(0, Event::LineSent)
        .bytes(5, "half a rep")
        .at(500, Event::GaveUp);
    assert_eq!(part.next(), Next::End(Ending::TimedOut { part_came: true }));
    assert_eq!(part.shown.last(), Some(&Show::EndOfLine));
}

#[test]
fn nothing_is_shown_after_the_end() {
    let mut run = Run::piped();
    run.at(0, Event::InputEnded)
        .at(1, Event::Closed)
        .bytes(2, ONE);
    assert_eq!(run.next(), Next::End(Ending::Done));
    assert_eq!(run.screen(), "");
}
