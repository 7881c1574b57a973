//! What time alone changes: a reply pauses, a character's rest is given up on, the server's
//! last words are not followed by its close, a person is told why the client waits, and a
//! server that stays open after the last reply is left.
//!
//! Each rule is a deadline (`*_at`), so that [`Replies::deadline`] is the soonest of them and
//! the loop sleeps until then, not a moment longer or shorter.

use std::time::Instant;

use super::{
    CHARACTER_WAIT, CLOSE_AFTER_LAST_WORDS, Ending, Input, Note, PAUSE, QUIET, Reader, Replies,
    STILL_WAITING, Show, State,
};

/// Which note a wait is due.
#[derive(Clone, Copy)]
enum Due {
    /// Nothing of the awaited reply for a while.
    StillWaiting,
    /// The reply under way stopped before its newline.
    Stopped,
}

impl Replies {
    /// Time has passed: what changes at `now`.
    pub(super) fn time_passed(&mut self, now: Instant) -> Vec<Show> {
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        let mut shows = Vec::new();
        if let (true, State::UnderWay { last_byte }) = (due(self.pause_at()), self.state) {
            self.state = State::Paused { last_byte };
            shows.push(Show::Paused);
        }
        if due(self.release_at()) {
            shows.push(Show::Bytes(std::mem::take(&mut self.held)));
        }
        if due(self.carry_on_at()) {
            // Last words with no close after them: shown, and answering nothing; go on.
            self.state = State::LineStart;
        }
        if let Some((at, since, which)) = self.note_at() {
            if at <= now {
                let secs = now.saturating_duration_since(since).as_secs();
                shows.push(Show::Note(match which {
                    Due::StillWaiting => {
                        self.told_of_this_wait = true;
                        Note::StillWaiting { secs }
                    }
                    Due::Stopped => {
                        self.told_of_pauses = true;
                        Note::Stopped { secs }
                    }
                }));
            }
        }
        if due(self.quiet_at()) {
            shows.extend(self.end(Ending::Done));
        }
        shows
    }

    /// When the line under way has paused.
    pub(super) fn pause_at(&self) -> Option<Instant> {
        match self.state {
            State::UnderWay { last_byte } => Some(last_byte + PAUSE),
            _ => None,
        }
    }

    /// When the held start of a character is shown as it is: its rest is not coming.
    pub(super) fn release_at(&self) -> Option<Instant> {
        (!self.held.is_empty()).then(|| self.last_byte + CHARACTER_WAIT)
    }

    /// When the server's last words, with no close after them, stop holding the prompt back.
    pub(super) fn carry_on_at(&self) -> Option<Instant> {
        match self.state {
            State::LastWords { at } => Some(at + CLOSE_AFTER_LAST_WORDS),
            _ => None,
        }
    }

    /// When a person is told why the client waits, since when it waits, and which note.
    fn note_at(&self) -> Option<(Instant, Instant, Due)> {
        if self.reader != Reader::Person {
            return None;
        }
        let awaited = self.unanswered > 0 && !self.told_of_this_wait;
        match self.state {
            // The client has gone on; the prompt waits until the person knows why.
            State::Paused { last_byte } if self.input == Input::Open => (!self.told_of_pauses)
                .then_some((last_byte + STILL_WAITING, last_byte, Due::Stopped)),
            State::LineStart | State::Overtaken | State::Paused { .. } if awaited => {
                let since = self.wait_began.max(self.last_byte);
                Some((since + STILL_WAITING, self.wait_began, Due::StillWaiting))
            }
            _ => None,
        }
    }

    /// When the conversation is over though the server stays open: the input has ended,
    /// every line has had its reply, and nothing more came for [`QUIET`].
    pub(super) fn quiet_at(&self) -> Option<Instant> {
        let Input::Ended(ended) = self.input else {
            return None;
        };
        let between_replies = matches!(
            self.state,
            State::LineStart | State::UnderWay { .. } | State::Paused { .. }
        );
        (between_replies && self.unanswered == 0).then(|| ended.max(self.last_byte) + QUIET)
    }

    /// The soonest of the deadlines above, with the note's.
    pub(super) fn soonest(&self) -> Option<Instant> {
        [
            self.pause_at(),
            self.release_at(),
            self.carry_on_at(),
            self.note_at().map(|(at, _, _)| at),
            self.quiet_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
