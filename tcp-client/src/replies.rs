//! `data = cs.recv(BUFSIZ)`, on a thread of its own: every byte from the server is printed
//! the moment it arrives, and the main thread, which sends, is told when the reply it waits
//! for is complete.
//!
//! A reply ends at its `\n`. A reply without one (a server changed in an exercise, a port of
//! the book's server) is still shown: once bytes came and nothing follows for a moment, the
//! line is ended on the screen, a note goes to stderr, and the client goes on.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use common::lang::os_error;
use common::net::is_timeout;
use common::run::print_now;
use common::{problem, tr, trace, trace_wait};

/// How long the receiving thread waits in one `recv()` before it looks at the clock.
const TICK: Duration = Duration::from_millis(100);

/// How long a reply without a `\n` may pause before it counts as complete.
const NO_NEWLINE_PAUSE: Duration = Duration::from_secs(1);

/// How long the client waits before saying, on a terminal, that it is still waiting.
const STILL_WAITING: Duration = Duration::from_secs(5);

/// The replies, as the main thread sees them.
pub struct Replies {
    /// What the two threads share.
    shared: Arc<Shared>,
    /// The server's address, for messages.
    server: SocketAddr,
}

/// The receiving thread's state, and a signal for each change.
struct Shared {
    /// What has come so far.
    state: Mutex<State>,
    /// Notified whenever `state` changes.
    changed: Condvar,
}

/// What the receiving thread has seen.
#[derive(Default)]
struct State {
    /// Replies that came whole: ended by their `\n`, or by a pause with no `\n`.
    complete: u64,
    /// Replies the main thread has asked for: one a line sent.
    expected: u64,
    /// Bytes printed of a reply not complete yet (0 between replies).
    partial: usize,
    /// When the last bytes came.
    last_bytes: Option<Instant>,
    /// How receiving ended, if it has.
    ended: Option<Ended>,
}

/// How receiving ended.
enum Ended {
    /// The server closed the connection.
    ServerClosed,
    /// `recv()` failed.
    Failed(io::Error),
    /// Printing failed: stdout is closed (`tcp-client | head -1`) or broken (a full disk).
    Stdout(io::Error),
}

/// How a wait for a reply ended.
pub enum Waited {
    /// The reply is complete.
    Reply,
    /// Nobody reads stdout any more: the client stops quietly.
    StdoutClosed,
    /// No reply will come: why.
    Failed(anyhow::Error),
}

impl Replies {
    /// Starts receiving on a thread of its own.
    pub fn start(cs: &TcpStream, server: SocketAddr) -> anyhow::Result<Replies> {
        let cannot = |error: io::Error| anyhow!(os_error(&error));
        let cs = cs.try_clone().map_err(cannot)?;
        cs.set_read_timeout(Some(TICK)).map_err(cannot)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        thread::Builder::new()
            .name("replies".into())
            .spawn(move || receive(&cs, &theirs))
            .map_err(cannot)?;
        Ok(Replies { shared, server })
    }

    /// A line is about to be sent: returns the number its reply will have.
    pub fn expect_one_more(&self) -> u64 {
        let mut state = self.shared.lock();
        // A line the server sent on its own (a notice) is no reply to the next line.
        state.expected = state.expected.max(state.complete) + 1;
        state.expected
    }

    /// Waits until reply `number` is complete: as long as the connection lasts, or
    /// `reply_timeout`. On a terminal, says once after a few seconds that it is still waiting.
    pub fn wait_for(
        &self,
        number: u64,
        reply_timeout: Option<Duration>,
        on_terminal: bool,
    ) -> Waited {
        let server = self.server;
        let started = Instant::now();
        let mut told = false;
        let mut state = self.shared.lock();
        loop {
            if state.complete >= number {
                return Waited::Reply;
            }
            match &state.ended {
                None => {}
                Some(Ended::Stdout(error)) if common::run::nobody_reads(error) => {
                    return Waited::StdoutClosed;
                }
                Some(Ended::Stdout(error)) => {
                    let reason = os_error(error);
                    return Waited::Failed(anyhow!(tr!(
                        "cannot write the reply to standard output: {reason}",
                        "无法把回复写到标准输出：{reason}"
                    )));
                }
                Some(Ended::ServerClosed) => {
                    return Waited::Failed(anyhow!(tr!(
                        "the server at {server} closed the connection",
                        "服务器 {server} 关闭了连接"
                    )));
                }
                Some(Ended::Failed(error)) => {
                    let reason = os_error(error);
                    return Waited::Failed(anyhow!(tr!(
                        "no reply from the server at {server}: {reason}",
                        "服务器 {server} 没有回复：{reason}"
                    )));
                }
            }
            let waited = started.elapsed();
            if let Some(limit) = reply_timeout.filter(|&limit| waited >= limit) {
                if state.partial > 0 {
                    let _ = print_now(b"\n"); // what came stays on the screen, on a line of its own
                }
                let secs = limit.as_secs_f64();
                return Waited::Failed(anyhow!(tr!(
                    "no complete reply from {server} within {secs} s (--reply-timeout); what came is shown above",
                    "{secs} 秒内没有收到 {server} 的完整回复（--reply-timeout）；收到的部分已显示在上面"
                )));
            }
            if on_terminal && !told && waited >= STILL_WAITING {
                told = true;
                let secs = waited.as_secs();
                problem!(
                    "(still waiting for the reply from {server} after {secs} s: an iterative server serves one client at a time and may be busy with another, or the server may be stuck; Ctrl+C gives up)",
                    "（已等待 {server} 的回复 {secs} 秒：iterative 模式的服务器一次只服务一个客户端，可能正忙于别人；也可能服务器卡住了。按 Ctrl+C 放弃）"
                );
            }
            state = match self.shared.changed.wait_timeout(state, TICK) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// True when the server has closed its side, as a busy server does right after its one
    /// line: the receiving thread saw it within `grace`, or it is there to see (looked at
    /// without waiting).
    pub fn server_has_closed(&self, cs: &TcpStream, grace: Duration) -> bool {
        let until = Instant::now() + grace;
        let mut state = self.shared.lock();
        while state.ended.is_none() && Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            state = match self.shared.changed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        let ended = match &state.ended {
            Some(Ended::ServerClosed) => true,
            Some(Ended::Failed(error)) => !is_timeout(error),
            _ => false,
        };
        drop(state);
        if ended || cs.set_nonblocking(true).is_err() {
            return ended;
        }
        // The receiving thread's recv() in the meantime sees "would block", a tick.
        let peeked = cs.peek(&mut [0; 1]);
        let _ = cs.set_nonblocking(false);
        match peeked {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => !is_timeout(&error),
        }
    }
}

impl Shared {
    /// The state, even if the other thread panicked holding it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the state and tells the main thread.
    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

/// The receiving thread: `data = cs.recv(BUFSIZ)` and print it, until the connection ends.
fn receive(mut cs: &TcpStream, shared: &Shared) {
    let mut buffer = [0; common::BUFSIZ];
    let bufsize = buffer.len();
    let mut wait_traced = false;
    loop {
        if !wait_traced {
            trace_wait!("recv({bufsize}) ...");
            wait_traced = true;
        }
        // data = cs.recv(BUFSIZ)
        let n = match cs.read(&mut buffer) {
            Ok(n) => n,
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                end_a_reply_without_newline(shared);
                continue;
            }
            Err(error) => {
                trace!("recv({bufsize}) -> {error}");
                return shared.update(|state| state.ended = Some(Ended::Failed(error)));
            }
        };
        trace!("recv({bufsize}) -> {n} bytes");
        wait_traced = false;
        if n == 0 {
            return shared.update(|state| state.ended = Some(Ended::ServerClosed));
        }
        let data = &buffer[..n];
        if let Err(error) = print_now(data) {
            return shared.update(|state| state.ended = Some(Ended::Stdout(error)));
        }
        shared.update(|state| {
            let newlines = data.iter().filter(|&&byte| byte == b'\n').count();
            let after_last = data.iter().rev().take_while(|&&byte| byte != b'\n').count();
            state.complete += newlines as u64;
            state.partial = if newlines > 0 {
                after_last
            } else {
                state.partial + n
            };
            state.last_bytes = Some(Instant::now());
        });
    }
}

/// A reply that has paused for [`NO_NEWLINE_PAUSE`] without its `\n` is complete: the line is
/// ended on the screen, and stderr says why.
fn end_a_reply_without_newline(shared: &Shared) {
    let mut state = shared.lock();
    let paused = state
        .last_bytes
        .is_some_and(|at| at.elapsed() >= NO_NEWLINE_PAUSE);
    if state.partial == 0 || !paused {
        return;
    }
    state.partial = 0;
    state.complete += 1;
    let printed = print_now(b"\n");
    if let Err(error) = printed {
        state.ended = Some(Ended::Stdout(error));
    } else {
        problem!(
            "(that reply had no newline at its end; it is shown after a pause of 1 s)",
            "（这个回复末尾没有换行符；停顿 1 秒后显示）"
        );
    }
    drop(state);
    shared.changed.notify_all();
}
