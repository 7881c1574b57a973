//! The loop's side of the conversation: what `main` calls for the book's steps
//! (`raw_input`, `send`, `recv`), on top of the threads that wait ([`crate::threads`]) and
//! the rules for what the server's bytes mean ([`Replies`]).
//!
//! The loop never wakes to look at a clock: it waits on the threads' channel until the next
//! thing that can happen (an event, or the soonest deadline [`Replies`] names).

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use crate::replies::{self, Ending, Next, Reader, Replies};
use crate::screen::{Data, Screen};
use crate::threads::{self, Event, cannot_start};
use common::input::{Keyboard, Piece, TYPED_AHEAD, Typed};
use common::lang::OsError;

mod wait;

/// How long a failed send waits for the receiving thread to say how the connection ended.
const SEND_FAILED_GRACE: Duration = Duration::from_millis(500);

/// How many events may wait for the loop (each at most a piece of a line or `BUFSIZ` bytes).
const EVENTS: usize = 64;

/// The conversation, seen from the loop.
pub struct Talk {
    /// The server's address, for messages.
    server: SocketAddr,
    /// What the threads tell.
    events: Receiver<Event>,
    /// Asks the keyboard thread for the next piece.
    keyboard: Keyboard,
    /// Gives the sending thread a piece to send.
    to_send: Sender<Vec<u8>>,
    /// A piece the keyboard thread read before the loop asked for it (at most one).
    typed_ahead: Option<Typed>,
    /// How the last piece given to the sending thread went, once it has gone.
    sent: Option<io::Result<()>>,
    /// The replies, as far as they have come.
    replies: Replies,
    /// What a reset of the connection said, for the error.
    reset: Option<io::Error>,
    /// `--reply-timeout`: how long one wait for replies may last.
    reply_timeout: Option<Duration>,
    /// What is to be shown, in order.
    to_show: VecDeque<Data>,
}

impl Talk {
    /// Starts the keyboard, receiving and sending threads on the connected socket `cs`.
    pub fn start(
        cs: &TcpStream,
        server: SocketAddr,
        reader: Reader,
        reply_timeout: Option<Duration>,
    ) -> anyhow::Result<Talk> {
        let (tell, events) = mpsc::sync_channel(EVENTS);
        let (to_send, pieces) = mpsc::channel();
        let receiving = cs
            .try_clone()
            .map_err(OsError::new)
            .context(cannot_start())?;
        let sending = cs
            .try_clone()
            .map_err(OsError::new)
            .context(cannot_start())?;
        let mut to_show = VecDeque::new();
        // The first `recv()` starts waiting now, before the first prompt.
        trace_call(&mut to_show, &format!("recv({}) ...", common::BUFSIZ));
        let (receiver_tells, sender_tells) = (tell.clone(), tell.clone());
        threads::spawn("recv", move || threads::receive(receiving, &receiver_tells))?;
        threads::spawn("send", move || {
            threads::send_pieces(sending, &pieces, &sender_tells);
        })?;
        let keyboard = Keyboard::start(
            || io::stdin().lock(),
            move |typed| tell.send(Event::Typed(typed)).is_ok(),
        )?;
        Ok(Talk {
            server,
            events,
            keyboard,
            to_send,
            typed_ahead: None,
            sent: None,
            replies: Replies::new(reader, Instant::now()),
            reset: None,
            reply_timeout,
            to_show,
        })
    }

    /// `data = raw_input('> ')`: the first piece of the next line, or `None` at an empty line
    /// or the end of input (`if not data: break`). Meanwhile what the server sends is shown,
    /// and the server closing ends the client at once. The prompt comes when the reply under
    /// way has ended (see [`Replies::may_prompt`]), after a moment for a line typed ahead.
    pub fn raw_input(&mut self, screen: &mut Screen) -> anyhow::Result<Option<Typed>> {
        let mut prompt_at = None;
        loop {
            self.take_waiting()?;
            self.show(screen)?;
            if let Some(typed) = self.typed_ahead.take() {
                return self.entered(typed, screen);
            }
            if screen.prompts() && !screen.prompt_showing() && self.replies.may_prompt() {
                // A line typed ahead (a quick typist, a paste) needs no prompt before it.
                let at = *prompt_at.get_or_insert_with(|| Instant::now() + TYPED_AHEAD);
                if Instant::now() < at {
                    self.step(Some(at))?;
                    continue;
                }
                screen.prompt()?;
            }
            self.step(None)?;
        }
    }

    /// `tcpCliSock.send(data)`: the line, piece by piece, each whole; the replies that come
    /// meanwhile are shown.
    pub fn send(&mut self, first: Typed, screen: &mut Screen) -> anyhow::Result<()> {
        self.tell(replies::Event::LineSent);
        let mut typed = first;
        loop {
            let line_ends = typed.piece.ends_line();
            if self.to_send.send(typed.bytes).is_err() {
                return Err(anyhow!(cannot_start()));
            }
            let sent = loop {
                if let Some(sent) = self.sent.take() {
                    break sent;
                }
                self.step(None)?;
                self.show(screen)?;
            };
            if let Err(error) = sent {
                return Err(self.send_failed(error, screen));
            }
            if line_ends {
                return Ok(());
            }
            typed = loop {
                if let Some(typed) = self.typed_ahead.take() {
                    self.keyboard.more();
                    break typed;
                }
                self.step(None)?;
                self.show(screen)?;
            };
        }
    }

    /// `data = tcpCliSock.recv(BUFSIZ)`, for as long as the reply to the line is under way:
    /// what comes, for `print data`, until the reply has come (its `\n`) or paused.
    pub fn recv(&mut self) -> Recv<'_> {
        let give_up_at = self.reply_timeout.map(|limit| Instant::now() + limit);
        Recv {
            talk: self,
            give_up_at,
            over: false,
        }
    }

    /// After `shutdown(SHUT_WR)`: everything the server still sends, for `print data`, until
    /// it closes the connection (or, with every reply in, stays quiet for a moment).
    pub fn recv_the_rest(&mut self) -> Recv<'_> {
        self.tell(replies::Event::InputEnded);
        self.recv()
    }

    /// A piece the keyboard thread read: the start of the next line, or the end.
    fn entered(&mut self, typed: Typed, screen: &mut Screen) -> anyhow::Result<Option<Typed>> {
        match typed.piece {
            // Ctrl+D at the prompt: the shell's prompt starts on a line of its own.
            Piece::Stop if typed.bytes.is_empty() => screen.end_prompt()?,
            // An empty line: Enter has ended the prompt's line.
            Piece::Stop => screen.entered(),
            // Ctrl+D after some typing: the cursor is still after the typed text.
            Piece::LastLine => screen.typed_without_enter()?,
            Piece::Part | Piece::LineEnd => screen.entered(),
        }
        if typed.piece == Piece::Stop {
            return Ok(None);
        }
        self.keyboard.more();
        Ok(Some(typed))
    }

    /// Shows what is to be shown, and ends the client if the conversation ended badly.
    fn show(&mut self, screen: &mut Screen) -> anyhow::Result<()> {
        while let Some(data) = self.to_show.pop_front() {
            screen.print(data)?;
        }
        match self.replies.next() {
            Next::End(ending) => self.error(ending).map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    /// A send failed: the server has gone. The receiving thread usually knows how, a moment
    /// later, and what the server said before (a busy line) is shown first.
    fn send_failed(&mut self, error: io::Error, screen: &mut Screen) -> anyhow::Error {
        let until = Instant::now() + SEND_FAILED_GRACE;
        while !matches!(self.replies.next(), Next::End(_)) && Instant::now() < until {
            if let Err(error) = self.step(Some(until)) {
                return error;
            }
        }
        match self.show(screen) {
            Err(error) => error,
            Ok(()) => common::net::cannot_send(self.server, error),
        }
    }

    /// The error a bad ending is, in the reader's words; `None` for a good one.
    fn error(&mut self, ending: Ending) -> Option<anyhow::Error> {
        let limit = self.reply_timeout.unwrap_or_default();
        crate::errors::error(ending, self.server, self.reset.take(), limit)
    }
}

/// What `recv()` brings, one piece at a time: `for data in talk.recv() { print data }`.
pub struct Recv<'t> {
    /// The conversation.
    talk: &'t mut Talk,
    /// `--reply-timeout`: when this wait gives up.
    give_up_at: Option<Instant>,
    /// The wait has ended (its error, if any, given).
    over: bool,
}

impl Iterator for Recv<'_> {
    type Item = anyhow::Result<Data>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(data) = self.talk.to_show.pop_front() {
                return Some(Ok(data));
            }
            if self.over {
                return None;
            }
            match self.talk.replies.next() {
                Next::GoOn => return None,
                Next::End(ending) => {
                    self.over = true;
                    if let Some(error) = self.talk.error(ending) {
                        return Some(Err(error));
                    }
                    continue;
                }
                Next::Wait => {}
            }
            if self.give_up_at.is_some_and(|at| at <= Instant::now()) {
                self.talk.tell(replies::Event::GaveUp);
                continue;
            }
            if let Err(error) = self.talk.step(self.give_up_at) {
                self.over = true;
                return Some(Err(error));
            }
        }
    }
}

/// Queues a `--trace` line of a `recv()` call, to be shown in order with the replies.
fn trace_call(to_show: &mut VecDeque<Data>, call: &str) {
    if common::out::tracing() {
        to_show.push_back(Data::Call(call.to_owned()));
    }
}
