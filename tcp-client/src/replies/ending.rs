//! How the conversation ends: by the server's close or a reset, at the state the replies
//! are in, or by `--reply-timeout`. Which ending is good is decided here, and only here.

use super::{Note, Replies, Show, State};

/// How the conversation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// As it should: every line sent has had its reply (exit 0).
    Done,
    /// The server closed the connection with a line left to send or a reply missing, or
    /// after its last words.
    ServerClosed,
    /// The connection ended in the middle of a reply.
    CutShort,
    /// The connection was reset before the server answered anything.
    NoReply,
    /// `--reply-timeout` passed; `part_came` when some of the reply had come.
    TimedOut {
        /// Some of the reply had come.
        part_came: bool,
    },
}

impl Replies {
    /// How the server closing the connection ends the conversation.
    pub(super) fn ending_at_close(&self) -> Ending {
        let ended = self.input_ended();
        match self.state {
            State::LineStart if ended && self.unanswered == 0 => Ending::Done,
            // A reply without a newline, shown at its pause, and the input over: all came.
            State::Paused { .. } if ended => Ending::Done,
            State::UnderWay { .. } => Ending::CutShort,
            State::Over(ending) => ending,
            _ => Ending::ServerClosed,
        }
    }

    /// How a reset of the connection ends the conversation.
    pub(super) fn ending_at_reset(&self) -> Ending {
        match self.state {
            State::LineStart if self.input_ended() && self.unanswered == 0 => Ending::Done,
            State::LineStart if self.unanswered > 0 && !self.answered_before => Ending::NoReply,
            State::UnderWay { .. } | State::Paused { .. } | State::Overtaken => Ending::CutShort,
            State::Over(ending) => ending,
            _ => Ending::ServerClosed,
        }
    }

    /// The conversation ends: what is held back is shown, the line ends, and a reply still
    /// without its newline at a good end is said to have none.
    pub(super) fn end(&mut self, ending: Ending) -> Vec<Show> {
        let mut shows = Vec::new();
        if !self.held.is_empty() {
            shows.push(Show::Bytes(std::mem::take(&mut self.held)));
        }
        shows.push(Show::EndOfLine);
        if ending == Ending::Done && matches!(self.state, State::Paused { .. }) {
            shows.push(Show::Note(Note::NoNewline));
        }
        self.state = State::Over(ending);
        shows
    }
}
