//! The conversation with the server: the loop of `main` sends each line and shows its reply,
//! and three small threads do what would otherwise block it.
//!
//! This is the Rust Book's pattern (chapter 16, "message passing"): each thread owns one
//! thing that waits, and sends what it sees over one `mpsc` channel to the loop that decides:
//! - the *keyboard* thread reads standard input, a line (or a piece of a long line) at a time,
//!   and reads the next only when the loop has taken the last (so memory stays small);
//! - the *receiving* thread runs `data = cs.recv(BUFSIZ)` and passes on every byte that comes,
//!   and when the connection ends;
//! - the *sending* thread runs `cs.send(data)` for each piece the loop gives it. A line longer
//!   than the sockets' buffers (10 MB) would otherwise deadlock the book's loop: it sends the
//!   whole line before reading any reply, the replies fill the buffers, the server stops
//!   reading, and both sides wait for each other forever. Here the loop shows the replies
//!   while the line goes out.
//!
//! The loop counts replies by their `\n`: a reply is complete at its `\n`, never at a pause.
//! One that pauses for a moment without it is shown (a server changed in an exercise may send
//! no `\n`), and the client goes on, but the bytes that follow still belong to that reply.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use crate::input::{Input, Piece};
use crate::screen::{LONG_PAUSE, Screen};
use common::ctime::STAMP_LEN;
use common::lang::OsError;
use common::{problem, tr, trace};

/// How long a reply may pause without its `\n` before it is shown as it is and the client
/// goes on (a student must see an answer that has no newline).
const PAUSE: Duration = Duration::from_secs(1);

/// How long the client waits for a reply before saying, on a terminal, that it still waits.
const STILL_WAITING: Duration = Duration::from_secs(5);

/// How long the client waits, after a line that was not the echo of its last line, for the
/// close that follows a busy or idle line.
const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// How long a closed connection waits for what the keyboard thread is reading (the end of
/// input, or a line): a moment, so that a close still ends the client at once.
const KEYBOARD_GRACE: Duration = Duration::from_millis(100);

/// How long the loop gives the keyboard thread, before it shows the prompt, to pass on a line
/// typed ahead (a quick typist, a paste): the terminal echoed that line and its Enter before
/// the prompt, so a prompt shown first would leave what follows glued after `> `.
const TYPED_AHEAD: Duration = Duration::from_millis(100);

/// How many of a reply's first bytes are compared to tell the next reply's start by (12: a
/// stamp's `[Mon Nov 30 `, or a changed server's own prefix).
const REPLY_HEAD: usize = 12;

/// How often the loop looks at the clock while it waits for an event.
const TICK: Duration = Duration::from_millis(50);

/// How many events may wait for the loop (each at most a piece of a line or `BUFSIZ` bytes).
const EVENTS: usize = 64;

/// What the threads tell the loop.
pub enum Event {
    /// The keyboard thread read a piece of a line, or the end of input.
    Typed(Typed),
    /// Reading standard input failed.
    InputFailed(io::Error),
    /// The sending thread has sent a piece, or failed to.
    Sent(io::Result<()>),
    /// `cs.recv()` returned these bytes, at this moment.
    Received(Vec<u8>, Instant),
    /// `cs.recv()` returned nothing: the server closed the connection.
    Closed,
    /// `cs.recv()` failed: the connection was reset.
    RecvFailed(io::Error),
}

/// A line sent, waiting for its reply.
struct Sent {
    /// When it began to go out. A reply cannot begin before its line went out: a line that
    /// did is the server's own (busy, idle).
    at: Instant,
    /// Its last bytes, which a timestamp reply ends with.
    tail: Vec<u8>,
    /// How many bytes it has, with its `\n`: a timestamp reply echoes them all.
    len: usize,
}

/// What has come of a reply that is not complete yet.
struct Reply {
    /// When its first byte came. A reply cannot begin before its line went out.
    started: Instant,
    /// Its first bytes (its stamp, if it has one), to tell the next reply's start from the
    /// rest of this one (see `next_reply_begins`).
    head: Vec<u8>,
    /// How many of its bytes have come.
    len: usize,
    /// Its last bytes, to see whether it ends as its line did.
    tail: Vec<u8>,
}

impl Reply {
    /// A reply whose first bytes came at `at`.
    fn starting(at: Instant) -> Reply {
        Reply {
            started: at,
            head: Vec::new(),
            len: 0,
            tail: Vec::new(),
        }
    }

    /// More of it came.
    fn came(&mut self, bytes: &[u8]) {
        let room = STAMP_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.len += bytes.len();
        keep_tail(&mut self.tail, bytes);
    }
}

/// A piece of a line from standard input.
pub struct Typed {
    /// The bytes, with the line's `\n` when this piece ends it.
    pub bytes: Vec<u8>,
    /// Whether the piece ends a line, is part of one, or is the end of input.
    pub piece: Piece,
}

/// How the connection ended, seen by the receiving thread.
enum Ending {
    /// The server closed it.
    Closed,
    /// It was reset (or `recv()` failed otherwise).
    Reset(io::Error),
}

/// The loop's side of the conversation.
pub struct Conversation {
    /// The server's address, for messages.
    server: SocketAddr,
    /// What the threads tell.
    events: Receiver<Event>,
    /// Tells the keyboard thread to read the next piece.
    more_input: Sender<()>,
    /// Gives the sending thread a piece to send.
    to_send: Sender<Vec<u8>>,
    /// A piece the keyboard thread read before the loop asked for it (at most one).
    typed_ahead: Option<Typed>,
    /// How the last piece given to the sending thread went, once it has gone.
    sent: Option<io::Result<()>>,
    /// Where the replies are shown.
    screen: Screen,
    /// `--reply-timeout`: how long one wait for replies may last.
    reply_timeout: Option<Duration>,
    /// Each line sent and not answered yet.
    awaiting: VecDeque<Sent>,
    /// What has come of the reply under way (`None` between replies).
    reply: Option<Reply>,
    /// When the last bytes came.
    last_bytes: Instant,
    /// The server has ended a reply with `\n` at least once on this connection.
    newline_seen: bool,
    /// The client went on after the reply under way paused without its `\n`.
    went_on_after_pause: bool,
    /// The last reply ended as its line did, as a timestamp reply does. A line the server
    /// says on its own right after a line went out (busy, idle) is taken for its reply, and
    /// does not: then a close after it is no normal end.
    last_reply_echoed: bool,
    /// Stderr has said that the server's replies have no `\n`.
    told_no_newline: bool,
    /// The server sent a line that answered no line of ours (busy, idle): a reset after it
    /// is the server closing on us, not a reply that never came.
    spoke_on_its_own: bool,
    /// How the connection ended, once it has.
    ended: Option<Ending>,
}

impl Conversation {
    /// Starts the keyboard, receiving and sending threads on the connected socket `cs`.
    pub fn start(
        cs: &TcpStream,
        server: SocketAddr,
        screen: Screen,
        reply_timeout: Option<Duration>,
    ) -> anyhow::Result<Conversation> {
        let (tell, events) = mpsc::sync_channel(EVENTS);
        let (more_input, more) = mpsc::channel();
        let (to_send, pieces) = mpsc::channel();
        let receiving = cs
            .try_clone()
            .map_err(OsError::new)
            .context(cannot_start())?;
        let sending = cs
            .try_clone()
            .map_err(OsError::new)
            .context(cannot_start())?;
        // The first `recv()` starts waiting now, before the first prompt.
        trace!("recv({}) ...", common::BUFSIZ);
        let receiver_tells = tell.clone();
        let sender_tells = tell.clone();
        spawn("recv", move || receive(receiving, &receiver_tells))?;
        spawn("send", move || send_pieces(sending, &pieces, &sender_tells))?;
        spawn("keyboard", move || keyboard(&more, &tell))?;
        Ok(Conversation {
            server,
            events,
            more_input,
            to_send,
            typed_ahead: None,
            sent: None,
            screen,
            reply_timeout,
            awaiting: VecDeque::new(),
            reply: None,
            last_bytes: Instant::now(),
            newline_seen: false,
            went_on_after_pause: false,
            last_reply_echoed: true,
            told_no_newline: false,
            spoke_on_its_own: false,
            ended: None,
        })
    }

    /// `data = input('> ')`: the first piece of the next line, or `None` at an empty line or
    /// the end of input. While the student has not typed, replies and the server's own lines
    /// are shown, and a server that closes the connection ends the client at once.
    pub fn input(&mut self) -> anyhow::Result<Option<Typed>> {
        let mut typed_ahead_looked_for = false;
        loop {
            self.take_waiting_events()?;
            if let Some(typed) = self.typed_ahead.take() {
                if typed.piece == Piece::Stop && typed.bytes.is_empty() {
                    // After Ctrl+D, the shell's prompt starts on a line of its own.
                    self.screen.end_prompt()?;
                    return Ok(None);
                }
                if typed.piece == Piece::Stop {
                    self.screen.typed(); // an empty line: Enter has ended the prompt's line
                    return Ok(None);
                }
                match typed.piece {
                    // Ctrl+D after some typing: the cursor is still after the typed text.
                    Piece::LastLine => self.screen.typed_without_enter()?,
                    _ => self.screen.typed(),
                }
                let _ = self.more_input.send(());
                return Ok(Some(typed));
            }
            if self.ended.is_some() {
                // The server has closed: fine if the input ends here too, an error if a line is
                // left to send. The keyboard thread may have read which it is a moment ago.
                self.wait_for_typing(KEYBOARD_GRACE)?;
                let input_ends = self
                    .typed_ahead
                    .as_ref()
                    .is_some_and(|typed| typed.piece == Piece::Stop);
                if input_ends && self.last_reply_echoed {
                    continue;
                }
                return Err(self.cut_off());
            }
            if self.has_paused() {
                self.screen.end_paused_line()?;
            }
            if !self.screen.mid_line() && self.screen.is_interactive() && !typed_ahead_looked_for {
                typed_ahead_looked_for = true;
                self.wait_for_typing(TYPED_AHEAD)?;
                continue;
            }
            if !self.screen.mid_line() {
                self.screen.prompt()?; // and again after whatever was shown since
            }
            self.wait_for_event()?;
        }
    }

    /// `cs.send(data)`: the line, piece by piece, each whole; replies are shown meanwhile.
    pub fn send(&mut self, first: Typed) -> anyhow::Result<()> {
        self.awaiting.push_back(Sent {
            at: Instant::now(),
            tail: Vec::new(),
            len: 0,
        });
        let mut typed = first;
        loop {
            let line_ends = typed.piece.ends_line();
            if let Some(sent) = self.awaiting.back_mut() {
                keep_tail(&mut sent.tail, &typed.bytes);
                sent.len += typed.bytes.len();
            }
            self.send_piece(typed.bytes)?;
            if line_ends {
                return Ok(());
            }
            typed = self.next_piece()?;
        }
    }

    /// `data = cs.recv(BUFSIZ)`, until the reply to every line sent has come, each up to its
    /// `\n`. A reply that pauses for [`PAUSE`] without its `\n` is shown, and the client goes
    /// on to the next line; the rest of it, when it comes, is still counted as that reply.
    pub fn recv_replies(&mut self) -> anyhow::Result<()> {
        let since = Instant::now();
        let mut told = false;
        loop {
            if self.awaiting.is_empty() {
                return Ok(());
            }
            if self.ended.is_some() {
                return Err(self.cut_off());
            }
            if self.has_paused() {
                self.went_on_after_pause = true;
                return self.screen.end_paused_line();
            }
            self.check_the_wait(since, &mut told)?;
            self.wait_for_event()?;
        }
    }

    /// After `cs.shutdown(SHUT_WR)`: shows every reply still on its way to the lines sent.
    /// Done when they have all come, or the server has closed the connection after them.
    pub fn recv_the_rest(&mut self) -> anyhow::Result<()> {
        let since = Instant::now();
        let mut told = false;
        loop {
            if self.awaiting.is_empty() && !self.last_reply_echoed {
                // A busy or idle line, taken for the last line's reply: the close follows.
                self.wait_for_close(CLOSE_GRACE)?;
                if self.ended.is_some() {
                    return Err(self.cut_off());
                }
            }
            if self.awaiting.is_empty() {
                self.screen.release()?;
                return self.screen.end_line();
            }
            if self.ended.is_some() {
                return self.after_the_close();
            }
            self.check_the_wait(since, &mut told)?;
            self.wait_for_event()?;
        }
    }

    /// True when the reply under way got bytes after the last line went out, and then nothing
    /// for [`PAUSE`].
    fn has_paused(&self) -> bool {
        let last_sent = self.awaiting.back().map(|sent| sent.at);
        self.reply.is_some()
            && last_sent.is_none_or(|sent| self.last_bytes >= sent)
            && self.last_bytes.elapsed() >= PAUSE
    }

    /// The clock, while replies are awaited: `--reply-timeout`, and the still-waiting notice.
    fn check_the_wait(&mut self, since: Instant, told: &mut bool) -> anyhow::Result<()> {
        let waited = since.elapsed();
        if let Some(limit) = self.reply_timeout.filter(|&limit| waited >= limit) {
            return Err(self.timed_out(limit));
        }
        let nothing_came = self.last_bytes < since;
        if self.screen.is_interactive() && !*told && waited >= STILL_WAITING && nothing_came {
            *told = true;
            let server = self.server;
            let secs = waited.as_secs();
            self.screen.end_line()?;
            problem!(
                "(still waiting for the reply from {server} after {secs} s: an iterative server serves one client at a time and may be busy with another, or the server may be stuck; Ctrl+C gives up)",
                "（已等待 {server} 的回复 {secs} 秒：iterative 模式的服务器一次只服务一个客户端，可能正在服务别的客户端；也可能服务器卡住了。按 Ctrl+C 放弃）"
            );
            self.screen.after_note();
        }
        Ok(())
    }

    /// The next piece of a long line, taken from the keyboard thread.
    fn next_piece(&mut self) -> anyhow::Result<Typed> {
        loop {
            if let Some(typed) = self.typed_ahead.take() {
                let _ = self.more_input.send(());
                return Ok(typed);
            }
            self.wait_for_event()?;
        }
    }

    /// Waits for the connection to end, for at most `limit`.
    fn wait_for_close(&mut self, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        while self.ended.is_none() && Instant::now() < until {
            self.wait_for_event()?;
        }
        Ok(())
    }

    /// `reply`, to the oldest line waiting, has come whole.
    fn answered_the_oldest(&mut self, reply: &Reply) {
        if let Some(sent) = self.awaiting.pop_front() {
            self.last_reply_echoed = ends_alike(&reply.tail, &sent.tail);
        }
    }

    /// Waits for the keyboard thread's next piece for at most `limit`.
    fn wait_for_typing(&mut self, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        while self.typed_ahead.is_none() && Instant::now() < until {
            self.wait_for_event()?;
        }
        Ok(())
    }

    /// Gives one piece to the sending thread and waits until it has gone, showing replies.
    fn send_piece(&mut self, bytes: Vec<u8>) -> anyhow::Result<()> {
        if self.to_send.send(bytes).is_err() {
            return Err(anyhow!(cannot_start()));
        }
        loop {
            match self.sent.take() {
                Some(Ok(())) => return Ok(()),
                Some(Err(error)) => return Err(self.send_failed(error)),
                None => self.wait_for_event()?,
            }
        }
    }

    /// A send failed: the server has gone. The receiving thread usually knows how, a moment
    /// later, and what the server said before (a busy line) is shown first.
    fn send_failed(&mut self, error: io::Error) -> anyhow::Error {
        let until = Instant::now() + Duration::from_millis(500);
        while self.ended.is_none() && Instant::now() < until {
            if let Err(error) = self.wait_for_event() {
                return error;
            }
        }
        if self.ended.is_some() {
            return self.cut_off();
        }
        common::net::cannot_send(self.server, error)
    }

    /// Handles every event already waiting, without waiting for more.
    fn take_waiting_events(&mut self) -> anyhow::Result<()> {
        loop {
            match self.events.try_recv() {
                Ok(event) => self.handle(event)?,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return Ok(()),
            }
        }
    }

    /// Waits for the next event, for at most a [`TICK`], and handles it.
    fn wait_for_event(&mut self) -> anyhow::Result<()> {
        match self.events.recv_timeout(TICK) {
            Ok(event) => self.handle(event)?,
            Err(RecvTimeoutError::Timeout) => {}
            // Every thread has ended; wait as the others do, so the caller's clock runs.
            Err(RecvTimeoutError::Disconnected) => thread::sleep(TICK),
        }
        if self.screen.holds_back() && self.last_bytes.elapsed() >= LONG_PAUSE {
            self.screen.release()?; // the rest of that character is not coming
        }
        Ok(())
    }

    /// What one event changes.
    fn handle(&mut self, event: Event) -> anyhow::Result<()> {
        match event {
            Event::Typed(typed) => self.typed_ahead = Some(typed),
            Event::InputFailed(error) => {
                return Err(common::program::cannot_read_input(error));
            }
            Event::Sent(result) => self.sent = Some(result),
            Event::Received(bytes, at) => {
                self.trace_recv(&format!("{} bytes", bytes.len()), true)?;
                self.received(&bytes, at)?;
            }
            Event::Closed => {
                self.trace_recv("0 bytes", false)?;
                self.ended = Some(Ending::Closed);
            }
            Event::RecvFailed(error) => {
                self.trace_recv(&error.to_string(), false)?;
                self.ended = Some(Ending::Reset(error));
            }
        }
        Ok(())
    }

    /// `--trace` of what `cs.recv()` returned, and of the next `recv()` starting to wait.
    /// Written here rather than on the receiving thread so that it can never land after the
    /// prompt `> `: the prompt's line is ended first, and the prompt comes back after.
    fn trace_recv(&mut self, returned: &str, waits_again: bool) -> anyhow::Result<()> {
        if !common::out::tracing() {
            return Ok(());
        }
        self.screen.end_prompt()?;
        let bufsize = common::BUFSIZ;
        trace!("recv({bufsize}) -> {returned}");
        if waits_again {
            trace!("recv({bufsize}) ...");
        }
        Ok(())
    }

    /// Bytes from the server: shown at once, and each `\n` completes a reply.
    fn received(&mut self, bytes: &[u8], at: Instant) -> anyhow::Result<()> {
        if self.next_reply_begins(bytes) {
            self.end_reply_without_newline()?;
        }
        for line in bytes.split_inclusive(|&byte| byte == b'\n') {
            let reply = self.reply.get_or_insert_with(|| Reply::starting(at));
            reply.came(line);
            if !line.ends_with(b"\n") {
                continue;
            }
            let Some(reply) = self.reply.take() else {
                continue;
            };
            self.newline_seen = true;
            self.went_on_after_pause = false;
            // A line that began before the oldest unanswered line went out is no reply to it:
            // the server said it on its own (busy, idle).
            if self
                .awaiting
                .front()
                .is_some_and(|sent| reply.started >= sent.at)
            {
                self.answered_the_oldest(&reply);
            } else {
                self.spoke_on_its_own = true;
            }
        }
        self.last_bytes = at;
        self.screen.reply(bytes)
    }

    /// True when `bytes` begin the reply to a later line while the reply under way has paused
    /// without its `\n` and the client went on: they begin with a new timestamp, or as that
    /// reply began. A server that sends no `\n` (a port of the book's) answers every line that
    /// way; the rest of a reply that only paused on a slow link goes on where it stopped.
    ///
    /// A server that has ended a reply with `\n` is not such a server; and a timestamp reply
    /// that has not yet echoed as many bytes as its line has is not over: a line longer than
    /// the server's buffer is answered in several stamped pieces (book 16.2.3), and a pause
    /// between two of them is no reply's end.
    fn next_reply_begins(&self, bytes: &[u8]) -> bool {
        let Some(reply) = &self.reply else {
            return false;
        };
        let shared = reply.head.len().min(bytes.len()).min(REPLY_HEAD);
        let begins_as_the_last_did = shared >= 4 && bytes[..shared] == reply.head[..shared];
        self.went_on_after_pause
            && self.awaiting.len() > 1
            && !self.newline_seen
            && !self.echoed_less_than_its_line(reply)
            && (common::ctime::begins_with_stamp(bytes) || begins_as_the_last_did)
    }

    /// True when the reply under way is a timestamp reply (`[ctime] ` + the line) shorter than
    /// its line: the rest of the line's echo is still to come. (Its `\n` aside, which a
    /// changed server may drop.)
    fn echoed_less_than_its_line(&self, reply: &Reply) -> bool {
        let Some(line) = self.awaiting.front() else {
            return false;
        };
        common::ctime::begins_with_stamp(&reply.head)
            && reply.len < STAMP_LEN + line.len.saturating_sub(1)
    }

    /// The reply under way had no `\n` after all: it is complete, on a line of its own, and
    /// stderr says so, once.
    fn end_reply_without_newline(&mut self) -> anyhow::Result<()> {
        self.went_on_after_pause = false;
        if let Some(reply) = self.reply.take() {
            self.answered_the_oldest(&reply);
        }
        self.screen.release()?;
        self.screen.end_line()?;
        if !self.told_no_newline {
            self.told_no_newline = true;
            problem!(
                "(the server's replies have no newline at their end: each is shown on a line of its own once the next one begins)",
                "（服务器的回复末尾没有换行符：每个回复在下一个回复开始时单独成行显示）"
            );
            self.screen.after_note();
        }
        Ok(())
    }

    /// The connection ended after the input did, with replies still missing.
    fn after_the_close(&mut self) -> anyhow::Result<()> {
        let no_newline = matches!(self.ended, Some(Ending::Closed))
            && self.reply.is_some()
            && !self.newline_seen
            && self.went_on_after_pause;
        if !no_newline {
            return Err(self.cut_off());
        }
        // A server whose replies never end with '\n': each was shown after its pause.
        self.screen.release()?;
        self.screen.end_line()?;
        if !self.told_no_newline {
            problem!(
                "(the server's replies had no newline at their end: each was shown after a pause of 1 s)",
                "（服务器的回复末尾没有换行符：每个回复都在停顿 1 秒后显示）"
            );
            self.screen.after_note();
        }
        Ok(())
    }

    /// The error for a connection that ended while a reply was missing or a line was left to
    /// send. The part of a reply that came is shown first, on a line of its own.
    fn cut_off(&mut self) -> anyhow::Error {
        let server = self.server;
        let shown = self.screen.release().and_then(|()| self.screen.end_line());
        if let Err(error) = shown {
            return error;
        }
        let part_came = self.reply.is_some();
        match (self.ended.take(), part_came) {
            (Some(Ending::Reset(error)), true) => {
                anyhow::Error::new(OsError::new(error)).context(tr!(
                    "the reply from {server} was cut short (the part that came is shown above)",
                    "{server} 的回复被截断了（已收到的部分显示在上面）"
                ))
            }
            (_, true) => anyhow!(tr!(
                "the reply from {server} was cut short: the server closed the connection before the reply's end (the part that came is shown above)",
                "{server} 的回复被截断了：回复还没结束，服务器就关闭了连接（已收到的部分显示在上面）"
            )),
            (Some(Ending::Reset(error)), false)
                if !self.awaiting.is_empty() && !self.spoke_on_its_own =>
            {
                anyhow::Error::new(OsError::new(error)).context(tr!(
                    "no reply from the server at {server}",
                    "服务器 {server} 没有回复"
                ))
            }
            (Some(Ending::Reset(error)), false) => {
                anyhow::Error::new(OsError::new(error)).context(tr!(
                    "the server at {server} closed the connection",
                    "服务器 {server} 关闭了连接"
                ))
            }
            (_, false) => anyhow!(tr!(
                "the server at {server} closed the connection",
                "服务器 {server} 关闭了连接"
            )),
        }
    }

    /// `--reply-timeout` has passed: what came stays shown, and the error says which.
    fn timed_out(&mut self, limit: Duration) -> anyhow::Error {
        let server = self.server;
        let secs = limit.as_secs_f64();
        let part_came = self.reply.is_some();
        let shown = self.screen.release().and_then(|()| self.screen.end_line());
        if let Err(error) = shown {
            return error;
        }
        if part_came {
            anyhow!(tr!(
                "no complete reply from {server} within {secs} s (--reply-timeout); the part that came is shown above",
                "{secs} 秒内没有收到 {server} 的完整回复（--reply-timeout）；已收到的部分显示在上面"
            ))
        } else {
            anyhow!(tr!(
                "no reply from {server} within {secs} s (--reply-timeout)",
                "{secs} 秒内没有收到 {server} 的回复（--reply-timeout）"
            ))
        }
    }
}

/// How many of a line's (and a reply's) last bytes are kept to compare them.
const TAIL: usize = 32;

/// Keeps the last [`TAIL`] bytes of what has gone by in `tail`, `more` being the latest.
fn keep_tail(tail: &mut Vec<u8>, more: &[u8]) {
    tail.extend_from_slice(&more[more.len().saturating_sub(TAIL)..]);
    let excess = tail.len().saturating_sub(TAIL);
    tail.drain(..excess);
}

/// True when a reply ends as its line did (a `\n` at the end of either aside): the timestamp
/// server echoes the line's bytes.
fn ends_alike(reply: &[u8], line: &[u8]) -> bool {
    let reply = reply.strip_suffix(b"\n").unwrap_or(reply);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let shared = reply.len().min(line.len());
    reply[reply.len() - shared..] == line[line.len() - shared..]
}

/// The error when a thread of the client cannot start.
fn cannot_start() -> String {
    tr!("cannot start the client's threads", "无法启动客户端的线程")
}

/// Starts a named thread.
fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map_err(OsError::new)
        .context(cannot_start())?;
    Ok(())
}

/// The keyboard thread: reads standard input a piece at a time, and the next piece only once
/// the loop has taken this one.
fn keyboard(more: &Receiver<()>, tell: &SyncSender<Event>) {
    let stdin = io::stdin();
    let mut input = Input::new(stdin.lock());
    let mut line_start = true;
    loop {
        let mut bytes = Vec::new();
        let event = match input.next_piece(&mut bytes, line_start) {
            Ok(piece) => {
                line_start = piece.ends_line();
                Event::Typed(Typed { bytes, piece })
            }
            Err(error) => Event::InputFailed(error),
        };
        let more_to_read = matches!(
            event,
            Event::Typed(Typed {
                piece: Piece::Part | Piece::LineEnd | Piece::LastLine,
                ..
            })
        );
        if tell.send(event).is_err() || !more_to_read || more.recv().is_err() {
            return;
        }
    }
}

/// The receiving thread: `data = cs.recv(BUFSIZ)`, passed on, until the connection ends.
/// (The loop writes its `--trace` lines: see `Conversation::trace_recv`.)
fn receive(mut cs: TcpStream, tell: &SyncSender<Event>) {
    let mut buffer = [0; common::BUFSIZ];
    loop {
        // data = cs.recv(BUFSIZ)
        let event = match cs.read(&mut buffer) {
            Ok(0) => Event::Closed,
            Ok(n) => Event::Received(buffer[..n].to_vec(), Instant::now()),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => Event::RecvFailed(error),
        };
        let goes_on = matches!(event, Event::Received(..));
        if tell.send(event).is_err() || !goes_on {
            return;
        }
    }
}

/// The sending thread: `cs.send(data)` for each piece, whole, and tells how it went.
fn send_pieces(mut cs: TcpStream, pieces: &Receiver<Vec<u8>>, tell: &SyncSender<Event>) {
    for piece in pieces {
        let len = piece.len();
        trace!("send({len} bytes)");
        let sent = cs.write_all(&piece);
        if let Err(error) = &sent {
            trace!("send({len} bytes) -> {error}");
        }
        if tell.send(Event::Sent(sent)).is_err() {
            return;
        }
    }
}
