//! Who gets in: a place under `--max-clients` for each client, the busy line for one too
//! many, and an `accept()` that a failure does not end.
//!
//! As in tokio's mini-redis, the count of clients is a semaphore: a client holds a
//! [`Permit`] while connected, and the place frees when the permit is released or dropped.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::lang::{count, os_error};
use common::{log, problem, tr, trace};

use crate::client::TALLY;

/// The longest pause between two failed `accept()` calls.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// How long the server reads what a turned-away client already sent, so that closing does
/// not reset the connection before the client has read the busy line.
const GOODBYE_DRAIN: Duration = Duration::from_secs(2);

/// How many turned-away clients may be drained at once, each on a small thread of its own;
/// past that, one is closed after a quick, non-blocking drain.
const MAX_DRAINING: usize = 64;

/// Turned-away clients being drained now.
static DRAINING: AtomicUsize = AtomicUsize::new(0);

/// `--max-clients`: how many clients may be connected at once.
pub struct Limit {
    /// The most clients at once.
    max: usize,
    /// Clients connected now.
    now: AtomicUsize,
}

impl Limit {
    /// A limit of `max` clients at once.
    pub fn new(max: usize) -> Limit {
        Limit {
            max,
            now: AtomicUsize::new(0),
        }
    }

    /// Counts a new client in if there is room, and logs it; `None` when the server is full.
    pub fn admit(&self, peer: SocketAddr) -> Option<Permit<'_>> {
        let admitted = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < self.max).then_some(now + 1)
            });
        let now = admitted.ok()? + 1;
        TALLY.clients.fetch_add(1, Ordering::Relaxed);
        log!(
            "...connected from: {peer} ({now} connected)",
            "...连接来自：{peer}（当前 {now} 个客户端）"
        );
        Some(Permit {
            limit: self,
            released: false,
        })
    }

    /// Tells a client over `--max-clients` that the server is busy, and closes it. Draining
    /// what it sent takes a moment, so it happens on a thread of its own, while the server
    /// goes on accepting.
    pub fn turn_away(&self, cs: TcpStream, peer: SocketAddr) {
        let (max, clients) = (self.max, count(self.max as u64, "client"));
        log!(
            "{peer} turned away: the server is busy ({clients}, --max-clients {max})",
            "{peer} 被拒绝：服务器忙（已有 {max} 个客户端，--max-clients {max}）"
        );
        let line = self.busy_line();
        let cs = Arc::new(cs);
        if !goodbye_on_a_thread(&cs, peer, &line) {
            say_goodbye(&cs, peer, &line, Duration::ZERO);
        }
    }

    /// The line a client over `--max-clients` receives.
    pub fn busy_line(&self) -> String {
        let max = self.max;
        let clients = count(max as u64, "client");
        tr!(
            "server busy: it is already serving {clients} (its --max-clients); try again later\n",
            "服务器忙：已在为 {max} 个客户端服务（它的 --max-clients）；请稍后再试\n"
        )
    }
}

/// A client's place under `--max-clients`, held while it is connected.
pub struct Permit<'a> {
    /// The limit this place counts against.
    limit: &'a Limit,
    /// Set by `release`, which has already counted the client out.
    released: bool,
}

impl Permit<'_> {
    /// The client has gone: frees its place, and returns how many clients are left.
    pub fn release(mut self) -> usize {
        self.released = true;
        self.limit.now.fetch_sub(1, Ordering::AcqRel) - 1
    }
}

impl Drop for Permit<'_> {
    /// A permit dropped without `release` (a thread that could not start, a panic) still
    /// frees its place.
    fn drop(&mut self) {
        if !self.released {
            self.limit.now.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Runs [`say_goodbye`] on a small thread of its own, unless too many already run or no
/// thread can start; false then.
pub fn goodbye_on_a_thread(cs: &Arc<TcpStream>, peer: SocketAddr, line: &str) -> bool {
    if DRAINING.fetch_add(1, Ordering::AcqRel) >= MAX_DRAINING {
        DRAINING.fetch_sub(1, Ordering::AcqRel);
        return false;
    }
    let (cs, line) = (Arc::clone(cs), line.to_string());
    let started = thread::Builder::new()
        .name("goodbye".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            say_goodbye(&cs, peer, &line, GOODBYE_DRAIN);
            DRAINING.fetch_sub(1, Ordering::AcqRel);
        });
    if started.is_err() {
        DRAINING.fetch_sub(1, Ordering::AcqRel);
    }
    started.is_ok()
}

/// Sends `line` as the server's last words to a client, then closes without a reset.
///
/// Closing a socket that still has unread bytes makes the system reset the connection, and a
/// reset can destroy the line before the client reads it. So: send the line, say goodbye
/// (FIN), then read and drop what the client sent, for up to `drain` (or, with no time, what
/// is there now), and only then close.
pub fn say_goodbye(mut cs: &TcpStream, peer: SocketAddr, line: &str, drain: Duration) {
    let quick = drain.is_zero();
    let _ = cs.set_nodelay(true);
    let _ = cs.set_nonblocking(quick);
    let _ = cs.set_write_timeout(Some(GOODBYE_DRAIN));
    if cs.write_all(line.as_bytes()).is_ok() {
        trace!("send({} bytes)  [{peer}]", line.len());
    }
    let _ = cs.shutdown(Shutdown::Write);
    let deadline = Instant::now() + drain;
    let mut sink = [0; 16 * 1024];
    let mut reads = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if (quick && reads == 64) || (!quick && left.is_zero()) {
            break;
        }
        reads += 1;
        let _ = cs.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        match cs.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    trace!("close()  [{peer}]");
}

/// True when the process or the system is out of file descriptors (handles, on Windows).
fn is_out_of_files(error: &io::Error) -> bool {
    // EMFILE and ENFILE on Linux and macOS; WSAEMFILE on Windows.
    let codes: &[i32] = if cfg!(windows) { &[10024] } else { &[23, 24] };
    error
        .raw_os_error()
        .is_some_and(|code| codes.contains(&code))
}

/// Keeps the server accepting when `accept()` fails: each failure is reported and tried again
/// after a pause that doubles, up to a second, instead of ending the server.
pub struct Backoff {
    /// How long to pause after the next failure.
    pause: Duration,
    /// A spare file descriptor (a copy of the listening socket), closed when the process runs
    /// out of them: that frees one, so that the waiting client can be accepted and told the
    /// server is busy, instead of waiting in the backlog with no word.
    spare: Option<TcpListener>,
}

impl Backoff {
    /// A fresh back-off for `ss`.
    pub fn new(ss: &TcpListener) -> Backoff {
        Backoff {
            pause: Duration::from_millis(10),
            spare: ss.try_clone().ok(),
        }
    }

    /// `accept()` succeeded: the next failure pauses briefly again.
    pub fn succeeded(&mut self) {
        self.pause = Duration::from_millis(10);
    }

    /// `accept()` failed with `error`: reports it and returns how long to pause before trying
    /// again (nothing for errors about one connection that has already gone). Out of file
    /// descriptors, it turns the next waiting client away with the busy line, through
    /// `accept_one` and the spare descriptor.
    pub fn failed(
        &mut self,
        error: &io::Error,
        ss: &TcpListener,
        busy_line: &str,
        accept_one: impl FnOnce() -> io::Result<(TcpStream, SocketAddr)>,
    ) -> Duration {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
        ) {
            return Duration::ZERO;
        }
        let pause = self.pause;
        let ms = pause.as_millis();
        let reason = os_error(error);
        if is_out_of_files(error) {
            problem!(
                "accept() failed: {reason} (out of file descriptors: lower --max-clients, or raise the limit with ulimit -n); turning the next client away, trying again in {ms} ms",
                "accept() 失败：{reason}（文件描述符用尽：请调低 --max-clients，或用 ulimit -n 提高上限）；下一个客户端会被告知服务器忙，{ms} 毫秒后重试"
            );
            drop(self.spare.take());
            if let Ok((cs, peer)) = accept_one() {
                say_goodbye(&cs, peer, busy_line, Duration::ZERO);
            }
            self.spare = ss.try_clone().ok();
        } else {
            problem!(
                "accept() failed: {reason}; trying again in {ms} ms",
                "accept() 失败：{reason}；{ms} 毫秒后重试"
            );
        }
        self.pause = (pause * 2).min(MAX_ACCEPT_PAUSE);
        pause
    }
}
