//! What every mode shares: the listening socket, the limits, the log, and the count of
//! clients.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use common::output::{Log, Printable, Trace};
use common::text::Message;

/// The largest `--bufsize`: 16 MiB is far past any use, and keeps a typo from asking for
/// gigabytes per client.
pub const MAX_BUFSIZE: usize = 16 * 1024 * 1024;

/// The longest pause between two failed `accept()` calls.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// The limits the command line sets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `--bufsize`: the most bytes one `recv()` reads (the book's BUFSIZ).
    pub bufsize: usize,
    /// `--max-clients`: the most clients served at once in the threaded and event modes.
    pub max_clients: usize,
    /// `--idle-timeout`: a client silent this long is closed; `None` waits forever.
    pub idle_timeout: Option<Duration>,
    /// `--write-timeout`: a client that leaves its replies unread this long is closed.
    pub write_timeout: Option<Duration>,
}

/// The server every mode runs: created once by `main`, shared by all clients.
pub struct Server {
    /// The socket from `ss.listen()`, where new clients arrive.
    pub listener: TcpListener,
    /// What the command line allows.
    pub limits: Limits,
    /// The log on stdout.
    pub log: Log,
    /// `--trace` output on stderr.
    pub trace: Trace,
    /// Clients connected right now, for `--max-clients` and the log.
    connected: AtomicUsize,
    /// Clients accepted since the start, for the goodbye line.
    clients_served: AtomicU64,
    /// Messages (reads) answered since the start.
    messages: AtomicU64,
    /// Bytes received since the start.
    bytes: AtomicU64,
}

impl Server {
    /// Wraps a listening socket.
    pub fn new(listener: TcpListener, limits: Limits, log: Log, trace: Trace) -> Server {
        Server {
            listener,
            limits,
            log,
            trace,
            connected: AtomicUsize::new(0),
            clients_served: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// `cs, addr = ss.accept()`, waiting for the next client. A failed accept (out of file
    /// descriptors, say) is logged and tried again after a pause that doubles each time,
    /// instead of ending the server.
    pub fn accept(&self) -> (TcpStream, SocketAddr) {
        let mut pause = Duration::from_millis(10);
        loop {
            match self.listener.accept() {
                Ok((cs, peer)) => {
                    self.trace.call(format_args!("accept() -> {peer}"));
                    return (cs, peer);
                }
                Err(error) if is_harmless_accept_error(&error) => continue,
                Err(error) => {
                    self.accept_failed(&error, pause);
                    thread::sleep(pause);
                    pause = (pause * 2).min(MAX_ACCEPT_PAUSE);
                }
            }
        }
    }

    /// Reports a failed `accept()` that will be tried again after `pause`.
    pub fn accept_failed(&self, error: &io::Error, pause: Duration) {
        // EMFILE and ENFILE: this process, or the whole system, is out of file descriptors.
        let advice = match error.raw_os_error() {
            Some(23 | 24) => Message::OutOfFiles.text(),
            _ => "",
        };
        let ms = pause.as_millis();
        self.log.problem(
            Message::AcceptFailed,
            &[("error", &error), ("advice", &advice), ("ms", &ms)],
        );
    }

    /// Counts a new client in, if there is room under `--max-clients`. The returned
    /// [`ClientSlot`] counts it out again when dropped.
    pub fn admit(&self, peer: SocketAddr) -> Option<ClientSlot<'_>> {
        let admitted = self
            .connected
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < self.limits.max_clients).then_some(now + 1)
            });
        let now = match admitted {
            Ok(before) => before + 1,
            Err(_) => return None,
        };
        self.clients_served.fetch_add(1, Ordering::Relaxed);
        self.log
            .event(Message::ConnectedFrom, &[("peer", &peer), ("count", &now)]);
        Some(ClientSlot {
            server: self,
            peer,
            released: false,
        })
    }

    /// Tells a client over `--max-clients` that the server is busy, and closes it.
    pub fn turn_away(&self, mut cs: TcpStream, peer: SocketAddr) {
        let max = self.limits.max_clients;
        self.log
            .event(Message::TurnedAway, &[("peer", &peer), ("max", &max)]);
        let line = Message::BusyLine.with(&[("max", &max)]) + "\n";
        // A new socket's send buffer is empty, so this short write never waits. Non-blocking
        // all the same, so that nothing a client does can stall the accept loop.
        let _ = cs.set_nonblocking(true);
        let _ = cs.set_nodelay(true);
        let _ = cs.write_all(line.as_bytes());
        self.trace
            .call(format_args!("send({} bytes)  [{peer}]", line.len()));
        // Say goodbye (FIN) first, then read what the client already sent: closing a socket
        // with unread data would reset the connection, and the client might lose the line.
        let _ = cs.shutdown(Shutdown::Write);
        let mut sink = [0; 4096];
        for _ in 0..16 {
            match cs.read(&mut sink) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
        self.trace.call(format_args!("close()  [{peer}]"));
    }

    /// Logs one message and counts it.
    pub fn log_message(&self, peer: SocketAddr, data: &[u8]) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let len = data.len();
        self.log.event(
            Message::ReceivedTcp,
            &[("len", &len), ("peer", &peer), ("data", &Printable(data))],
        );
    }

    /// The goodbye line: what the server did since it started.
    pub fn summary(&self) -> String {
        let clients = self.clients_served.load(Ordering::Relaxed);
        let messages = self.messages.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        Message::TcpStopped.with(&[
            ("clients", &clients),
            ("messages", &messages),
            ("bytes", &bytes),
        ])
    }
}

/// A place under `--max-clients`, held while one client is connected.
pub struct ClientSlot<'a> {
    /// The server whose count this slot is in.
    server: &'a Server,
    /// The client, for the log line when it leaves.
    peer: SocketAddr,
    /// Set by `release`, which has already counted the client out.
    released: bool,
}

impl ClientSlot<'_> {
    /// The client has gone: logs why, and counts it out.
    pub fn release(mut self, why: &dyn std::fmt::Display) {
        self.released = true;
        let now = self.server.connected.fetch_sub(1, Ordering::AcqRel) - 1;
        let peer = self.peer;
        self.server.log.event(
            Message::ClientLeft,
            &[("peer", &peer), ("why", why), ("count", &now)],
        );
    }
}

impl Drop for ClientSlot<'_> {
    /// A slot dropped without `release` (a panic in the client's code) still frees its place.
    fn drop(&mut self) {
        if !self.released {
            self.server.connected.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Errors of `accept()` that concern one connection that has already gone, not the server.
pub fn is_harmless_accept_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}
