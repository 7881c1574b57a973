//! A classmate's UDP timestamp server, run on a thread of the test: the book's loop, in one of
//! the layouts students write (no space after `]`, an ISO or a Chinese date, Python 3's
//! `b'...'`, upper case, a plain echo), with its own buffer size, counting what it answers.
//!
//! It stops when dropped (its thread looks at a flag between reads of at most
//! [`POLL`]), so a test that fails still ends it.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the classmate's thread waits for a datagram before it looks whether to stop.
pub const POLL: Duration = Duration::from_millis(20);

/// `last_heard_ms` before the first datagram.
const NEVER: u64 = u64::MAX;

/// How a classmate's server wraps the data it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The book's: `'[%s] %s' % (ctime(), data)`.
    Book,
    /// `'[%s]%s'`: no space after `]`.
    NoSpace,
    /// An ISO date in front: `2026-11-30 07:12:38 data`.
    Iso,
    /// A Chinese date: `[2026年11月30日 07:12:38] data`.
    Chinese,
    /// Python 3 formatting bytes into a str: `[ctime] b'data'`.
    PythonBytes,
    /// Python 3 bytes and a Chinese date: `[2026年11月30日 07:12:38] b'data'`.
    ChineseBytes,
    /// The message upper-cased: `[CTIME] DATA`.
    Upper,
    /// A plain echo: the data as it came.
    Echo,
}

/// Every layout, for tests that try them all.
pub const LAYOUTS: [Layout; 8] = [
    Layout::Book,
    Layout::NoSpace,
    Layout::Iso,
    Layout::Chinese,
    Layout::PythonBytes,
    Layout::ChineseBytes,
    Layout::Upper,
    Layout::Echo,
];

/// What Python 3 prints for `bytes`: `b'...'`, or `b"..."` when only that quote needs no
/// escape; backslashes, the quote, control characters and non-ASCII bytes escaped.
pub fn python_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut text = format!("b{quote}");
    for &byte in data {
        match byte {
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            byte if char::from(byte) == quote => text.push_str(&format!("\\{quote}")),
            b' '..=b'~' => text.push(char::from(byte)),
            byte => text.push_str(&format!("\\x{byte:02x}")),
        }
    }
    text.push(quote);
    text
}

impl Layout {
    /// The classmate's answer to `data` (already cut to its buffer).
    pub fn answer(self, data: &[u8]) -> Vec<u8> {
        let now = chrono::Local::now();
        let ctime = now.format("%a %b %e %H:%M:%S %Y").to_string();
        let chinese = now.format("%Y年%m月%d日 %H:%M:%S").to_string();
        let stamped = |stamp: String| [stamp.as_bytes(), data].concat();
        match self {
            Layout::Book => stamped(format!("[{ctime}] ")),
            Layout::NoSpace => stamped(format!("[{ctime}]")),
            Layout::Iso => stamped(now.format("%Y-%m-%d %H:%M:%S ").to_string()),
            Layout::Chinese => stamped(format!("[{chinese}] ")),
            Layout::PythonBytes => format!("[{ctime}] {}", python_repr(data)).into_bytes(),
            Layout::ChineseBytes => format!("[{chinese}] {}", python_repr(data)).into_bytes(),
            Layout::Upper => stamped(format!("[{ctime}] ")).to_ascii_uppercase(),
            Layout::Echo => data.to_vec(),
        }
    }
}

/// Where a classmate's server sends its answer.
#[derive(Clone, Copy, Debug)]
pub enum AnswerTo {
    /// To the sender, as the book's server does.
    Sender,
    /// A bridge between two servers: what comes from one is answered to the other.
    Bridge(SocketAddr, SocketAddr),
}

/// A classmate's server running on a thread of the test.
pub struct Classmate {
    /// Its address.
    pub address: SocketAddr,
    /// Datagrams it has answered, and when it last received one.
    answered: Arc<AtomicU64>,
    /// Milliseconds since `started` of the last datagram it received.
    last_heard_ms: Arc<AtomicU64>,
    /// When it started.
    started: Instant,
    /// Its socket, to send from as if it were answering.
    socket: UdpSocket,
    /// Set to stop its thread.
    stop: Arc<AtomicBool>,
    /// Its thread.
    thread: Option<JoinHandle<()>>,
}

impl Classmate {
    /// Starts a classmate's server on `host` (any port) in `layout`, reading with a buffer of
    /// `bufsize` bytes (a longer datagram is cut, as Python's `recvfrom(BUFSIZ)` cuts it).
    pub fn start(host: &str, layout: Layout, bufsize: usize, to: AnswerTo) -> Classmate {
        let socket = UdpSocket::bind((host, 0)).expect("a classmate's socket");
        socket.set_read_timeout(Some(POLL)).expect("timeout");
        let address = socket.local_addr().expect("its address");
        let answered = Arc::new(AtomicU64::new(0));
        let last_heard_ms = Arc::new(AtomicU64::new(NEVER));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let sender = socket.try_clone().expect("a second handle on its socket");
        let (count, heard, stopping) = (
            Arc::clone(&answered),
            Arc::clone(&last_heard_ms),
            Arc::clone(&stop),
        );
        let thread = thread::spawn(move || {
            let mut buffer = vec![0; 65_536];
            while !stopping.load(Ordering::Relaxed) {
                let Ok((len, from)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                heard.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                let data = &buffer[..len.min(bufsize)];
                let target = match to {
                    AnswerTo::Sender => from,
                    AnswerTo::Bridge(a, b) if from == a => b,
                    AnswerTo::Bridge(a, _) => a,
                };
                if socket.send_to(&layout.answer(data), target).is_ok() {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Classmate {
            address,
            answered,
            last_heard_ms,
            started,
            socket: sender,
            stop,
            thread: Some(thread),
        }
    }

    /// Sends `data` to `to` from the classmate's own socket: what a datagram forged with the
    /// classmate's address as its source does, without a raw socket.
    pub fn send(&self, data: &[u8], to: SocketAddr) {
        self.socket
            .send_to(data, to)
            .expect("send from the classmate");
    }

    /// How many datagrams it has answered.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Waits until it has heard something, then nothing for `quiet` (at most `limit` in
    /// all); true if so.
    pub fn wait_until_quiet(&self, quiet: Duration, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let heard = self.last_heard_ms.load(Ordering::Relaxed);
            let since = self
                .started
                .elapsed()
                .saturating_sub(Duration::from_millis(heard));
            if heard != NEVER && since >= quiet {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            // Quiet is an absence, not an event: the time of the last datagram is looked at
            // again every POLL.
            thread::sleep(POLL);
        }
    }
}

impl Drop for Classmate {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
