//! `--mode event`: one thread, one event loop over every client, as the chapter's Twisted
//! server does it.
//!
//! Instead of a thread waiting in `recv()` for each client, every socket is non-blocking and
//! registered with the operating system's readiness API (epoll, kqueue or IOCP, through
//! `mio`). One call, `poll()`, waits until some sockets are ready; the loop then handles each
//! ready one and goes back to waiting:
//!
//! - the listening socket is readable: `accept()` the new clients;
//! - a client is readable: `recv()` what it sent, and answer each read with the same
//!   [`Session`] logic as the other modes;
//! - a client is writable: send the rest of a reply the socket could not take at once.
//!
//! Nothing may block, so a reply the socket cannot take whole is kept for that client and
//! finished later; a client that stops reading its replies is no longer read from until it
//! catches up, so it costs bounded memory and never slows the others.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use crate::client::{Ending, Session};
use common::text::Message;

use crate::server::{ClientSlot, Server, is_harmless_accept_error};

/// The listening socket's token; clients get 1, 2, 3, ...
const LISTENER: Token = Token(0);

/// How many reply bytes may wait for a client that is slow to read them before the server
/// stops reading from it (on top of one reply of any size).
const MAX_UNSENT: usize = 64 * 1024;

/// The most reads from one client in one turn of the loop, so a client that floods the
/// server cannot starve the others.
const READS_PER_TURN: usize = 16;

/// How often the loop looks for clients past `--idle-timeout` or `--write-timeout`.
const SWEEP_EVERY: Duration = Duration::from_millis(100);

/// The longest pause after a failed `accept()`.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// One connected client, as the event loop sees it.
struct Client<'a> {
    /// The client's non-blocking socket.
    cs: TcpStream,
    /// The per-read logic shared with the other modes.
    session: Session,
    /// This client's place under `--max-clients`.
    slot: ClientSlot<'a>,
    /// Reply bytes the socket has not taken yet; they go out before anything newer.
    unsent: Vec<u8>,
    /// When the client last sent something, for `--idle-timeout`.
    last_heard: Instant,
    /// Since when `unsent` has been waiting for the client to read, for `--write-timeout`.
    stalled_since: Option<Instant>,
    /// The client has half-closed: close once `unsent` is out.
    finished_sending: bool,
}

/// What one client's turn in the loop came to.
enum Turn {
    /// Nothing more to do until its socket is ready again.
    Waiting,
    /// It stopped at `READS_PER_TURN` with more perhaps waiting: it gets another turn next
    /// time round, since the system will not say "readable" again for bytes already there.
    MoreToRead,
    /// The connection ended.
    Ended(Ending),
}

/// Runs the event loop forever (it returns only if the loop cannot be set up).
pub fn serve(server: &Server) -> anyhow::Result<()> {
    let cannot = Message::CannotSetUpEventLoop.text();
    let mut poll = Poll::new().context(cannot)?;
    let mut listener = {
        let ss = server.listener.try_clone().context(cannot)?;
        ss.set_nonblocking(true).context(cannot)?;
        TcpListener::from_std(ss)
    };
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .context(cannot)?;

    let mut clients: HashMap<Token, Client<'_>> = HashMap::new();
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0; server.limits.bufsize];
    let mut next_token = 1;
    let mut accept_pause = Duration::from_millis(10);
    let mut accept_again_at: Option<Instant> = None;
    let mut last_sweep = Instant::now();
    // Clients cut short by READS_PER_TURN, who get their next turn without waiting.
    let mut cut_short: Vec<Token> = Vec::new();
    let mut ready: Vec<Token> = Vec::new();

    server.log.event(Message::WaitingForConnection, &[]);
    loop {
        // Wait until a socket is ready (or a timer is due).
        let timeout = next_wake(server, &clients, !cut_short.is_empty(), accept_again_at);
        if let Err(error) = poll.poll(&mut events, timeout) {
            if error.kind() != io::ErrorKind::Interrupted {
                server
                    .log
                    .problem(Message::PollFailed, &[("error", &error)]);
            }
            continue;
        }

        ready.clear();
        ready.extend(events.iter().map(|event| event.token()));
        ready.append(&mut cut_short);
        if accept_again_at.is_some_and(|at| Instant::now() >= at) {
            accept_again_at = None;
            ready.push(LISTENER);
        }

        for &token in &ready {
            if token == LISTENER {
                if accept_again_at.is_some() {
                    continue;
                }
                match accept_all(server, &listener, &poll, &mut clients, &mut next_token) {
                    Ok(()) => accept_pause = Duration::from_millis(10),
                    Err(error) => {
                        server.accept_failed(&error, accept_pause);
                        accept_again_at = Some(Instant::now() + accept_pause);
                        accept_pause = (accept_pause * 2).min(MAX_ACCEPT_PAUSE);
                    }
                }
                continue;
            }
            let Some(client) = clients.get_mut(&token) else {
                continue; // closed earlier in this turn
            };
            match client.on_ready(server, &mut buffer) {
                Turn::Waiting => {}
                Turn::MoreToRead => cut_short.push(token),
                Turn::Ended(ending) => close(server, &poll, &mut clients, token, ending),
            }
        }

        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            for (token, ending) in overdue(server, &clients) {
                close(server, &poll, &mut clients, token, ending);
            }
        }
    }
}

/// `cs, addr = ss.accept()` for every client waiting, until none is left.
fn accept_all<'a>(
    server: &'a Server,
    listener: &TcpListener,
    poll: &Poll,
    clients: &mut HashMap<Token, Client<'a>>,
    next_token: &mut usize,
) -> io::Result<()> {
    loop {
        let (mut cs, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(error) if is_harmless_accept_error(&error) => continue,
            Err(error) => return Err(error),
        };
        server.trace.call(format_args!("accept() -> {peer}"));
        let Some(slot) = server.admit(peer) else {
            server.turn_away(cs.into(), peer);
            continue;
        };
        let token = Token(*next_token);
        *next_token += 1;
        // Replies go out at once, without Nagle's delay.
        let watched = cs.set_nodelay(true).and_then(|()| {
            poll.registry()
                .register(&mut cs, token, Interest::READABLE | Interest::WRITABLE)
        });
        if let Err(error) = watched {
            slot.release(&Ending::from_error(error));
            continue;
        }
        let client = Client {
            cs,
            session: Session::new(peer, server.limits.bufsize),
            slot,
            unsent: Vec::new(),
            last_heard: Instant::now(),
            stalled_since: None,
            finished_sending: false,
        };
        clients.insert(token, client);
    }
}

impl Client<'_> {
    /// The socket is ready: send what is waiting, then read (and answer) what arrived.
    fn on_ready(&mut self, server: &Server, buffer: &mut [u8]) -> Turn {
        if let Err(error) = self.send_unsent(server) {
            return Turn::Ended(Ending::from_error(error));
        }
        let mut reads = 0;
        // Read only while the client keeps up with its replies.
        while !self.finished_sending && self.unsent.len() < MAX_UNSENT {
            if reads == READS_PER_TURN {
                return Turn::MoreToRead;
            }
            reads += 1;
            // data = cs.recv(BUFSIZ)
            let reply = match self.cs.read(buffer) {
                Ok(0) => {
                    self.finished_sending = true;
                    self.session.on_client_done(server)
                }
                Ok(n) => {
                    self.last_heard = Instant::now();
                    self.session.on_recv(server, &buffer[..n])
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Turn::Ended(Ending::from_error(error)),
            };
            if let Some(reply) = reply {
                if let Err(error) = self.send(server, reply) {
                    return Turn::Ended(Ending::from_error(error));
                }
            }
        }
        match self.finished_sending && self.unsent.is_empty() {
            true => Turn::Ended(Ending::Left),
            false => Turn::Waiting,
        }
    }

    /// `cs.send(reply)`: in one write if the socket takes it; what it does not take waits in
    /// `unsent`, behind anything already waiting.
    fn send(&mut self, server: &Server, reply: Vec<u8>) -> io::Result<()> {
        if !self.unsent.is_empty() {
            self.unsent.extend_from_slice(&reply);
            return Ok(());
        }
        let written = self.write_some(server, &reply)?;
        if written < reply.len() {
            self.unsent = reply;
            self.unsent.drain(..written);
            self.stalled_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Sends as much of `unsent` as the socket takes now.
    fn send_unsent(&mut self, server: &Server) -> io::Result<()> {
        while !self.unsent.is_empty() {
            let unsent = std::mem::take(&mut self.unsent);
            let written = self.write_some(server, &unsent);
            self.unsent = unsent;
            match written? {
                0 => break,
                n => {
                    self.unsent.drain(..n);
                }
            }
        }
        if self.unsent.is_empty() {
            self.stalled_since = None;
            self.unsent.shrink_to(0);
        }
        Ok(())
    }

    /// One non-blocking write: how many bytes the socket took (0 when it is full).
    fn write_some(&mut self, server: &Server, bytes: &[u8]) -> io::Result<usize> {
        loop {
            match self.cs.write(bytes) {
                Ok(n) => {
                    let peer = self.session.peer;
                    server.trace.call(format_args!("send({n} bytes)  [{peer}]"));
                    return Ok(n);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(0),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

/// Clients past `--idle-timeout` (silent) or `--write-timeout` (not reading their replies).
fn overdue(server: &Server, clients: &HashMap<Token, Client<'_>>) -> Vec<(Token, Ending)> {
    let limits = server.limits;
    let now = Instant::now();
    let mut overdue = Vec::new();
    for (&token, client) in clients {
        if let Some(idle) = limits.idle_timeout {
            if client.unsent.is_empty() && now.duration_since(client.last_heard) >= idle {
                overdue.push((token, Ending::Idle(idle)));
                continue;
            }
        }
        if let (Some(limit), Some(since)) = (limits.write_timeout, client.stalled_since) {
            if now.duration_since(since) >= limit {
                overdue.push((token, Ending::NotReading(limit)));
            }
        }
    }
    overdue
}

/// How long `poll()` may wait: forever, unless a client has more to read now, a timeout
/// needs checking, or `accept()` is to be tried again.
fn next_wake(
    server: &Server,
    clients: &HashMap<Token, Client<'_>>,
    more_to_read: bool,
    accept_again_at: Option<Instant>,
) -> Option<Duration> {
    if more_to_read {
        return Some(Duration::ZERO);
    }
    let mut wake = None;
    let limits = server.limits;
    let has_timeouts = limits.idle_timeout.is_some() || limits.write_timeout.is_some();
    if has_timeouts && !clients.is_empty() {
        wake = Some(SWEEP_EVERY);
    }
    if let Some(at) = accept_again_at {
        let until = at.saturating_duration_since(Instant::now());
        wake = Some(wake.map_or(until, |other: Duration| other.min(until)));
    }
    wake
}

/// `cs.close()`: stops watching the client, closes its socket and logs why.
fn close(
    server: &Server,
    poll: &Poll,
    clients: &mut HashMap<Token, Client<'_>>,
    token: Token,
    ending: Ending,
) {
    let Some(mut client) = clients.remove(&token) else {
        return;
    };
    let _ = poll.registry().deregister(&mut client.cs);
    let peer: SocketAddr = client.session.peer;
    drop(client.cs);
    server.trace.call(format_args!("close()  [{peer}]"));
    client.slot.release(&ending);
}
