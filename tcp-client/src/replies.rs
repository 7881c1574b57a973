//! What the server's bytes mean for the conversation: which reply they belong to, when the
//! client may send its next line, when the conversation is over, and what to show meanwhile.
//!
//! A reply is whatever the server sends, up to a `\n`: the stream has no other boundaries
//! (book 16.2.3), and what a server answers is its own business (the time for `date`, several
//! lines for `ls`, the line upper-cased, a greeting, the line twice). So no reply is judged by
//! its content. One line only is known for what it is: our server's own last words before it
//! closes (busy, idle), which it marks `tcp-server: ` ([`common::last_words`]); such a line
//! answers nothing, and the close after it is an error.
//!
//! The rules, in time:
//! - each `\n` completes a reply, the oldest line's still unanswered; lines beyond those
//!   (a greeting, the rest of a listing, a second answer) are shown all the same;
//! - a reply that pauses for [`PAUSE`] without its `\n` is shown as it came, and the client
//!   goes on; the bytes that follow still belong to it, up to its `\n`, so a slow link never
//!   puts the client out of step. (A server that never sends `\n` therefore gets all its
//!   answers shown as one reply, as they came; a closing note says no newline came.)
//! - once the input has ended, everything the server still sends is shown: the conversation
//!   is over when the server closes, or [`QUIET`] after its last byte once every line has had
//!   a reply;
//! - on a terminal the prompt comes back when the reply under way has ended, or once the
//!   person has been told ([`STILL_WAITING`]) that it stopped before its newline, so a pause
//!   never splits a reply around a prompt; after the server's last words, not at all.
//!
//! [`Replies`] is a pure type: it is told what happened and when ([`Event`]), and answers
//! what to show ([`Show`]) and what the client does next ([`Next`]). It reads no socket and
//! no clock, so every case is a unit test (`replies/tests.rs`).

use std::time::{Duration, Instant};

use common::last_words::are_last_words;
use common::utf8::unfinished_tail_len;

/// How long a reply may pause without its `\n` before what came is taken as all there is for
/// now and the client goes on (a student must see an answer that has no newline).
pub const PAUSE: Duration = Duration::from_secs(1);

/// How long the client waits, once its input has ended and every line has had a reply, for
/// more from a server that keeps the connection open (the rest of a listing).
pub const QUIET: Duration = Duration::from_secs(1);

/// How long a person waits without a byte before being told why (an iterative server busy
/// with another client, a reply that stopped before its newline).
pub const STILL_WAITING: Duration = Duration::from_secs(5);

/// How long the start of a UTF-8 character waits for its rest before it is shown as it is.
pub const CHARACTER_WAIT: Duration = Duration::from_secs(5);

/// How long the server's last words wait for the close that follows them.
pub const CLOSE_AFTER_LAST_WORDS: Duration = Duration::from_secs(1);

/// How many of a line's first bytes are kept to tell the server's last words by (more than
/// the mark `tcp-server: `).
const HEAD: usize = 32;

/// What happened, as the loop tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// `recv()` returned these bytes.
    Bytes(&'a [u8]),
    /// A line began to go out (its reply may begin before its last byte has gone).
    LineSent,
    /// The input has ended: no line will follow (`shutdown(SHUT_WR)`).
    InputEnded,
    /// `recv()` returned nothing: the server closed the connection.
    Closed,
    /// `recv()` failed: the connection was reset.
    Reset,
    /// `--reply-timeout` has passed.
    GaveUp,
    /// Time has passed: the loop woke at [`Replies::deadline`].
    TimePassed,
}

/// What to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Show {
    /// Bytes from the server, as they came, and only whole UTF-8 characters.
    Bytes(Vec<u8>),
    /// The reply under way has paused: the client goes on (where `--trace` lines share the
    /// screen, the line is ended so that they do not run into it).
    Paused,
    /// The end: the cursor goes to a line's start, so what follows stands on its own line.
    EndOfLine,
    /// A note for the person reading, on a line of its own.
    Note(Note),
}

/// A note on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// Nothing came for the line sent for `secs` seconds (told once per wait).
    StillWaiting {
        /// Seconds waited.
        secs: u64,
    },
    /// The reply under way has stopped before its newline for `secs` seconds: the prompt
    /// comes back, and the rest is shown when it comes (told once per connection).
    Stopped {
        /// Seconds since its last byte.
        secs: u64,
    },
    /// The conversation ended with the last reply still without its newline.
    NoNewline,
}

/// What the client does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait for the server: a reply is missing, or the input has ended.
    Wait,
    /// The next line may go out: every line has had its reply, or the reply under way paused.
    GoOn,
    /// The conversation is over.
    End(Ending),
}

/// Where the server's byte stream stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At a line's start: the last byte was a `\n`, or none came yet.
    LineStart,
    /// A line is under way, and bytes of it came since our last line went out.
    UnderWay {
        /// When its last bytes came.
        last_byte: Instant,
    },
    /// That line had nothing more for [`PAUSE`]: shown as it came, the client goes on.
    Paused {
        /// When its last bytes came.
        last_byte: Instant,
    },
    /// A line under way, and our next line went out after its last bytes: more of it must
    /// come before it can pause again (or the client would go on without waiting at all).
    Overtaken,
    /// The server's own last words (busy, idle) came at `at`: the close follows.
    LastWords {
        /// When their `\n` came.
        at: Instant,
    },
    /// The conversation is over.
    Over(Ending),
}

/// Whether lines may still come from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    /// They may.
    Open,
    /// The input ended at this moment, and the client half-closed.
    Ended(Instant),
}

/// Who reads the notes about waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// A person types at a terminal: told why the client waits.
    Person,
    /// The input is a pipe or a file: nobody to tell.
    Program,
}

/// The replies to the lines sent, as far as they have come.
#[derive(Debug)]
pub struct Replies {
    /// Where the server's byte stream stands.
    state: State,
    /// Lines sent whose reply has not ended yet.
    unanswered: usize,
    /// The server has ended a reply on this connection: a reset after that, with no reply
    /// under way, is the server closing on us (a server that answers one line per
    /// connection), not a server that never answered.
    answered_before: bool,
    /// Whether lines may still come.
    input: Input,
    /// The first bytes of the line under way, to know the server's last words.
    head: Vec<u8>,
    /// The start of a UTF-8 character whose rest has not come.
    held: Vec<u8>,
    /// When bytes last came (the start, before any).
    last_byte: Instant,
    /// When the present wait began: the last line went out, or the input ended.
    wait_began: Instant,
    /// Who reads the notes.
    reader: Reader,
    /// The still-waiting note of the present wait has been given.
    told_of_this_wait: bool,
    /// The person knows that a reply can stop before its newline: the prompt comes back at
    /// every pause from then on.
    told_of_pauses: bool,
}

impl Replies {
    /// No line sent yet, nothing come, at `now`; notes about waiting go to `reader`.
    pub fn new(reader: Reader, now: Instant) -> Replies {
        Replies {
            state: State::LineStart,
            unanswered: 0,
            answered_before: false,
            input: Input::Open,
            head: Vec::new(),
            held: Vec::new(),
            last_byte: now,
            wait_began: now,
            reader,
            told_of_this_wait: false,
            told_of_pauses: false,
        }
    }

    /// `event` happened at `now`: what to show.
    pub fn on(&mut self, event: Event<'_>, now: Instant) -> Vec<Show> {
        if let State::Over(_) = self.state {
            return Vec::new(); // nothing more is shown after the end
        }
        match event {
            Event::Bytes(bytes) => self.bytes(bytes, now),
            Event::LineSent => {
                self.unanswered += 1;
                self.new_wait(now);
                if let State::UnderWay { .. } | State::Paused { .. } = self.state {
                    self.state = State::Overtaken;
                }
                Vec::new()
            }
            Event::InputEnded => {
                if self.input == Input::Open {
                    self.input = Input::Ended(now);
                    self.new_wait(now);
                }
                Vec::new()
            }
            Event::Closed => self.end(self.ending_at_close()),
            Event::Reset => self.end(self.ending_at_reset()),
            Event::GaveUp => {
                let part_came = matches!(
                    self.state,
                    State::UnderWay { .. } | State::Paused { .. } | State::Overtaken
                );
                self.end(Ending::TimedOut { part_came })
            }
            Event::TimePassed => self.time_passed(now),
        }
    }

    /// What the client does next.
    pub fn next(&self) -> Next {
        match self.state {
            State::Over(ending) => Next::End(ending),
            State::LastWords { .. } => Next::Wait,
            _ if matches!(self.input, Input::Ended(_)) => Next::Wait,
            State::Paused { .. } => Next::GoOn,
            _ if self.unanswered == 0 => Next::GoOn,
            _ => Next::Wait,
        }
    }

    /// True when a person may be shown the prompt: the client goes on, and the reply under
    /// way has ended with its `\n`, or the person has been told that replies can pause.
    pub fn may_prompt(&self) -> bool {
        self.next() == Next::GoOn
            && match self.state {
                State::LineStart => true,
                State::Paused { .. } => self.told_of_pauses,
                _ => false,
            }
    }

    /// True once the input has ended.
    pub fn input_ended(&self) -> bool {
        matches!(self.input, Input::Ended(_))
    }

    /// When the loop must wake to tell [`Event::TimePassed`], if nothing else happens first.
    pub fn deadline(&self) -> Option<Instant> {
        self.soonest()
    }

    /// Bytes came: shown (whole characters), and each `\n` ends a line.
    fn bytes(&mut self, bytes: &[u8], now: Instant) -> Vec<Show> {
        self.last_byte = now;
        for piece in bytes.split_inclusive(|&byte| byte == b'\n') {
            if let State::LineStart | State::LastWords { .. } = self.state {
                self.head.clear();
            }
            self.state = State::UnderWay { last_byte: now };
            let room = HEAD.saturating_sub(self.head.len()).min(piece.len());
            self.head.extend_from_slice(&piece[..room]);
            if piece.ends_with(b"\n") {
                self.line_ended(now);
            }
        }
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(bytes);
        self.held = all.split_off(all.len() - unfinished_tail_len(&all));
        if all.is_empty() {
            return Vec::new();
        }
        vec![Show::Bytes(all)]
    }

    /// A line of the server's has come whole: the reply to the oldest line waiting, unless it
    /// is the server's own last words, which answer nothing.
    fn line_ended(&mut self, now: Instant) {
        if are_last_words(&self.head) {
            self.state = State::LastWords { at: now };
        } else {
            self.unanswered = self.unanswered.saturating_sub(1);
            self.answered_before = true;
            self.state = State::LineStart;
        }
    }

    /// A wait for the server begins at `now`: its note is not given yet.
    fn new_wait(&mut self, now: Instant) {
        self.wait_began = now;
        self.told_of_this_wait = false;
    }
}

mod clock;
mod ending;
#[cfg(test)]
mod tests;

pub use ending::Ending;
