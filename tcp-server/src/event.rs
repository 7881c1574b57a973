//! `--mode event`: one thread, one event loop over every client, as the chapter's Twisted
//! server does it.
//!
//! Instead of a thread waiting in `recv()` for each client, every socket is non-blocking and
//! registered with the system's readiness API (epoll, kqueue or IOCP, through `mio`). One
//! call, `poll()`, waits until some sockets are ready; the loop then handles each ready one and
//! goes back to waiting:
//!
//! - the listening socket is readable: `accept()` the new clients;
//! - a client is readable: `recv()` what it sent and answer each read with the same
//!   [`Conversation`] as the other modes, gathering the turn's replies;
//! - then `send()` them in one write: one system call however many reads the turn took.
//!
//! Nothing may block, so replies the socket cannot take at once wait for that client and go
//! out when it is writable again; a client that stops reading its replies is no longer read
//! from until it catches up, so it costs bounded memory and never slows the others.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

use crate::admission::{Limit, Permit, Shortage};
use crate::backoff::Backoff;
use crate::connection::Settings;
use crate::conversation::Conversation;
use crate::ending::{self, Ending};
use crate::spare::Spare;
use common::lang::{OsError, os_error};
use common::{log, problem, tr, trace};

/// The listening socket's token; clients get 1, 2, 3, ... (see [`token_of`]).
const LISTENER: Token = Token(0);

/// How many reply bytes may wait for a client that is slow to read them before the server
/// stops reading from it.
const MAX_UNSENT: usize = 64 * 1024;

/// The most reads from one client in one turn of the loop, so a client that floods the
/// server cannot starve the others.
const READS_PER_TURN: usize = 16;

/// A read that returns less than the buffer has emptied the socket, so the loop need not ask
/// once more for nothing. Not on Windows: there mio learns that a socket is drained only from a
/// read that would block, and without one it reports no more readiness for that socket (tokio
/// makes the same exception). Found running the Windows build under wine.
const SHORT_READ_DRAINS: bool = cfg!(not(windows));

/// How often the loop looks for clients past `--idle-timeout` or `--write-timeout`.
const SWEEP_EVERY: Duration = Duration::from_millis(100);

/// One connected client, as the event loop sees it.
struct Client<'a> {
    /// The client's non-blocking socket.
    cs: TcpStream,
    /// Its name in `poll()`'s events.
    token: Token,
    /// The per-read logic shared with the other modes.
    conversation: Conversation,
    /// This client's place under `--max-clients`.
    permit: Permit<'a>,
    /// Replies the socket has not taken yet, in order.
    unsent: Vec<u8>,
    /// When the client last sent something, for `--idle-timeout`.
    last_heard: Instant,
    /// Since when `unsent` has been waiting for the client to read, for `--write-timeout`.
    /// Only then does the loop ask to hear when the socket is writable: asked always, the
    /// system would wake the loop each time the client acknowledged a reply.
    stalled_since: Option<Instant>,
    /// The client has half-closed: close once `unsent` is out.
    finished_sending: bool,
    /// Reading stopped because `unsent` was full: read again once it drains.
    reading_paused: bool,
}

/// Every connected client, at the key its token names (token 1 is key 0): finding a ready
/// client is one array access, and the key of a client that left is reused.
type Clients<'a> = Slab<Client<'a>>;

/// The token `poll()` reports for the client at `key` (0 is the listening socket's).
fn token_of(key: usize) -> Token {
    Token(key + 1)
}

/// The key of the client a token names; `None` for the listening socket's.
fn key_of(token: Token) -> Option<usize> {
    token.0.checked_sub(1)
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

/// What `poll()` said of a socket.
#[derive(Clone, Copy)]
struct Readiness {
    /// There may be bytes to read.
    readable: bool,
    /// The client has half-closed: after its last bytes, a read returns 0. Then a short read
    /// does not mean the socket is drained, and the system will not say so again.
    read_closed: bool,
}

impl Readiness {
    /// No event from `poll()`, but the loop reads on as if there were one: a client cut short
    /// by `READS_PER_TURN`, or the listener after a pause. Marked read-closed so that a short
    /// read is not taken to mean the socket is drained.
    const AGAIN: Readiness = Readiness {
        readable: true,
        read_closed: true,
    };

    fn of(event: &mio::event::Event) -> Readiness {
        Readiness {
            readable: event.is_readable(),
            read_closed: event.is_read_closed(),
        }
    }
}

/// Runs the event loop forever (it returns only if the loop cannot be set up).
pub fn serve(ss: &std::net::TcpListener, limit: &Limit, settings: Settings) -> anyhow::Result<()> {
    let cannot = |error: io::Error| {
        let reason = os_error(&error);
        let message = tr!(
            "cannot set up the event loop: {reason}",
            "无法建立事件循环：{reason}"
        );
        anyhow::Error::from(OsError::explained(message, error))
    };
    let mut poll = Poll::new().map_err(cannot)?;
    let listener = ss
        .try_clone()
        .and_then(|ss| ss.set_nonblocking(true).map(|()| ss));
    let mut listener = TcpListener::from_std(listener.map_err(cannot)?);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .map_err(cannot)?;

    let mut clients = Clients::new();
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0; settings.bufsize];
    let mut spare = Spare::new(ss);
    let mut backoff = Backoff::new();
    let mut accept_again_at: Option<Instant> = None;
    let mut last_sweep = Instant::now();
    // Clients cut short by READS_PER_TURN, who get their next turn without waiting.
    let mut cut_short: Vec<Token> = Vec::new();
    // Each ready socket, and what the system said of it.
    let mut ready: Vec<(Token, Readiness)> = Vec::new();

    log!("waiting for connection...", "等待客户端连接...");
    loop {
        // Wait until a socket is ready (or a timer is due).
        let timeout = next_wake(
            settings,
            !clients.is_empty(),
            !cut_short.is_empty(),
            accept_again_at,
            Instant::now(),
        );
        if let Err(error) = poll.poll(&mut events, timeout) {
            if error.kind() != io::ErrorKind::Interrupted {
                let reason = os_error(&error);
                problem!("poll() failed: {reason}", "poll() 失败：{reason}");
            }
            continue;
        }

        ready.clear();
        ready.extend(
            events
                .iter()
                .map(|event| (event.token(), Readiness::of(event))),
        );
        ready.extend(cut_short.drain(..).map(|token| (token, Readiness::AGAIN)));
        if accept_again_at.is_some_and(|at| Instant::now() >= at) {
            accept_again_at = None;
            ready.push((LISTENER, Readiness::AGAIN));
        }

        for &(token, readiness) in &ready {
            if token == LISTENER {
                if accept_again_at.is_none() {
                    let door = Door {
                        listener: &listener,
                        ss,
                        limit,
                    };
                    match door.accept_all(&poll, settings, &mut spare, &mut clients) {
                        Ok(()) => backoff.succeeded(),
                        Err(error) => {
                            let pause = backoff.failed(&error);
                            accept_again_at = Some(Instant::now() + pause);
                        }
                    }
                }
                continue;
            }
            let Some(client) = key_of(token).and_then(|key| clients.get_mut(key)) else {
                continue; // closed earlier in this turn
            };
            match client.on_ready(poll.registry(), readiness, &mut buffer) {
                Turn::Waiting => {}
                Turn::MoreToRead => cut_short.push(token),
                Turn::Ended(ending) => close(&poll, &mut clients, token, ending),
            }
        }

        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            for (token, ending) in overdue(settings, poll.registry(), &mut clients) {
                close(&poll, &mut clients, token, ending);
            }
        }
    }
}

/// Where clients come in: the listening socket, as the loop watches it and as it was made,
/// and the limit on who is taken on.
struct Door<'a> {
    /// The listening socket, non-blocking, watched by `poll()`.
    listener: &'a TcpListener,
    /// The same socket as `main` made it, to copy for the spare descriptor.
    ss: &'a std::net::TcpListener,
    /// `--max-clients`, and room in memory.
    limit: &'a Limit,
}

impl<'a> Door<'a> {
    /// `cs, addr = ss.accept()` for every client waiting, until none is left. Out of file
    /// descriptors, the spare one is given up so that each waiting client can be accepted
    /// and told ([`crate::spare`]).
    fn accept_all(
        &self,
        poll: &Poll,
        settings: Settings,
        spare: &mut Spare,
        clients: &mut Clients<'a>,
    ) -> io::Result<()> {
        loop {
            let (cs, addr) = match self.listener.accept() {
                Ok((cs, addr)) => (cs, common::net::unmapped(addr)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    let out_of_descriptors =
                        Shortage::of(&error) == Some(Shortage::FileDescriptors);
                    if out_of_descriptors && spare.give_up(&error) {
                        continue;
                    }
                    return Err(error);
                }
            };
            trace!("accept() -> {addr}");
            // not the book: a client there is no room for (a file descriptor beside it, a
            // place under --max-clients, memory) is told why, and closed.
            match self.limit.admit(addr, spare.kept_beside(self.ss)) {
                Ok(permit) => take_on(poll, settings, clients, (cs, addr), permit),
                Err(refusal) => {
                    self.limit.turn_away(cs.into(), addr, refusal);
                }
            }
        }
    }
}

/// A client taken on: the book's `print '...connected from:',addr`, then its socket watched
/// by `poll()`.
fn take_on<'a>(
    poll: &Poll,
    settings: Settings,
    clients: &mut Clients<'a>,
    (mut cs, addr): (TcpStream, SocketAddr),
    permit: Permit<'a>,
) {
    // print '...connected from:',addr
    crate::connected_from(addr, &permit);
    let place = clients.vacant_entry();
    let token = token_of(place.key());
    // Replies go out at once, without Nagle's delay; urgent bytes are ordinary data.
    let watched = cs
        .set_nodelay(true)
        .and_then(|()| socket2::SockRef::from(&cs).set_out_of_band_inline(true))
        .and_then(|()| poll.registry().register(&mut cs, token, Interest::READABLE));
    if let Err(error) = watched {
        drop(cs);
        ending::closed(addr, permit, &Ending::from_error(error), 0);
        return;
    }
    let client = Client {
        cs,
        token,
        conversation: Conversation::new(addr, settings.bufsize, permit.shown.clone()),
        permit,
        unsent: Vec::new(),
        last_heard: Instant::now(),
        stalled_since: None,
        finished_sending: false,
        reading_paused: false,
    };
    place.insert(client);
}

impl Client<'_> {
    /// The socket is ready: read (and answer) what arrived, then send every reply waiting, in
    /// one write.
    fn on_ready(&mut self, registry: &Registry, ready: Readiness, buffer: &mut [u8]) -> Turn {
        // Replies still waiting go first: they make room to read more.
        if let Err(error) = self.send_unsent(registry) {
            return Turn::Ended(Ending::from_error(error));
        }
        let mut turn = Turn::Waiting;
        let may_read = ready.readable || self.reading_paused;
        self.reading_paused = false;
        let mut reads = 0;
        while may_read && !self.finished_sending {
            if self.unsent.len() >= MAX_UNSENT {
                self.reading_paused = true; // read on once the client catches up
                break;
            }
            if reads == READS_PER_TURN {
                turn = Turn::MoreToRead;
                break;
            }
            reads += 1;
            // data = cs.recv(BUFSIZ)
            match self.cs.read(buffer) {
                Ok(0) => {
                    self.finished_sending = true;
                    self.conversation.on_end(&mut self.unsent);
                }
                Ok(n) => {
                    self.last_heard = Instant::now();
                    crate::answer(&mut self.conversation, &buffer[..n], &mut self.unsent);
                    if SHORT_READ_DRAINS && n < buffer.len() && !ready.read_closed {
                        break; // a read short of the buffer emptied the socket
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Turn::Ended(Ending::from_error(error)),
            }
        }
        // cs.send(...): this turn's replies, behind any still waiting, in one write.
        if let Err(error) = self.send_unsent(registry) {
            return Turn::Ended(Ending::from_error(error));
        }
        if self.finished_sending && self.unsent.is_empty() {
            return Turn::Ended(Ending::Left);
        }
        // Paused, and caught up at once: the system will not say "readable" again for bytes
        // already there, so this client takes another turn.
        if self.reading_paused && self.unsent.len() < MAX_UNSENT {
            return Turn::MoreToRead;
        }
        turn
    }

    /// Sends as much of `unsent` as the socket takes now; the rest waits for the next turn.
    fn send_unsent(&mut self, registry: &Registry) -> io::Result<()> {
        while !self.unsent.is_empty() {
            let sent = match self.cs.write(&self.unsent) {
                Ok(sent) => sent,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            let peer = self.conversation.peer;
            trace!("send({sent} bytes)  [{peer}]");
            self.unsent.drain(..sent);
        }
        let was_stalled = self.stalled_since.is_some();
        self.stalled_since = if self.unsent.is_empty() {
            None
        } else {
            self.stalled_since.or_else(|| Some(Instant::now()))
        };
        if was_stalled != self.stalled_since.is_some() {
            let interest = match self.stalled_since {
                Some(_) => Interest::READABLE | Interest::WRITABLE,
                None => Interest::READABLE,
            };
            registry.reregister(&mut self.cs, self.token, interest)?;
        }
        // Keep the buffer for the next replies, unless a slow reader made it large.
        if self.unsent.is_empty() && self.unsent.capacity() > MAX_UNSENT {
            self.unsent = Vec::new();
        }
        Ok(())
    }
}

/// Clients past `--idle-timeout` (silent) or `--write-timeout` (not reading their replies).
/// An idle one is sent what is held back for it and the line that says why it is closed.
fn overdue(
    settings: Settings,
    registry: &Registry,
    clients: &mut Clients<'_>,
) -> Vec<(Token, Ending)> {
    let now = Instant::now();
    let mut overdue = Vec::new();
    for (_, client) in clients.iter_mut() {
        let token = client.token;
        if let Some(idle) = settings.idle_timeout {
            if client.unsent.is_empty() && now.duration_since(client.last_heard) >= idle {
                client.conversation.on_idle(idle, &mut client.unsent);
                let _ = client.send_unsent(registry); // best effort: the socket is closed next
                overdue.push((token, Ending::Idle(idle)));
                continue;
            }
        }
        if let (Some(limit), Some(since)) = (settings.write_timeout, client.stalled_since) {
            if now.duration_since(since) >= limit {
                overdue.push((token, Ending::NotReading(limit)));
            }
        }
    }
    overdue
}

/// How long `poll()` may wait, from `now`: forever, unless a client has more to read now, a
/// timeout needs checking (there are clients and a timeout is set), or `accept()` is to be
/// tried again.
fn next_wake(
    settings: Settings,
    has_clients: bool,
    more_to_read: bool,
    accept_again_at: Option<Instant>,
    now: Instant,
) -> Option<Duration> {
    if more_to_read {
        return Some(Duration::ZERO);
    }
    let has_timeouts = settings.idle_timeout.is_some() || settings.write_timeout.is_some();
    let sweep = (has_timeouts && has_clients).then_some(SWEEP_EVERY);
    let accept = accept_again_at.map(|at| at.saturating_duration_since(now));
    match (sweep, accept) {
        (Some(sweep), Some(accept)) => Some(sweep.min(accept)),
        (sweep, accept) => sweep.or(accept),
    }
}

/// `cs.close()`: stops watching the client, closes its socket and logs why.
fn close(poll: &Poll, clients: &mut Clients<'_>, token: Token, ending: Ending) {
    let Some(mut client) = key_of(token).and_then(|key| clients.try_remove(key)) else {
        return;
    };
    let _ = poll.registry().deregister(&mut client.cs);
    let peer: SocketAddr = client.conversation.peer;
    drop(client.cs);
    let skipped = client.conversation.skipped_lines();
    ending::closed(peer, client.permit, &ending, skipped);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(idle: Option<u64>, write: Option<u64>) -> Settings {
        Settings {
            bufsize: 1024,
            idle_timeout: idle.map(Duration::from_secs),
            write_timeout: write.map(Duration::from_secs),
        }
    }

    #[test]
    fn the_loop_sleeps_until_an_event_when_nothing_is_due() {
        let now = Instant::now();
        assert_eq!(
            next_wake(settings(None, None), true, false, None, now),
            None
        );
        // Timeouts to watch, but nobody to watch them on.
        assert_eq!(
            next_wake(settings(Some(5), Some(30)), false, false, None, now),
            None
        );
    }

    #[test]
    fn the_loop_wakes_for_timeouts_reads_left_and_accept_again() {
        let now = Instant::now();
        let with_timeouts = settings(None, Some(30));
        assert_eq!(
            next_wake(with_timeouts, true, false, None, now),
            Some(SWEEP_EVERY)
        );
        assert_eq!(
            next_wake(with_timeouts, true, true, None, now),
            Some(Duration::ZERO)
        );
        let soon = now + Duration::from_millis(40);
        assert_eq!(
            next_wake(with_timeouts, true, false, Some(soon), now),
            Some(Duration::from_millis(40))
        );
        let late = now + Duration::from_secs(1);
        assert_eq!(
            next_wake(settings(None, None), false, false, Some(late), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            next_wake(with_timeouts, true, false, Some(late), now),
            Some(SWEEP_EVERY)
        );
        // A retry already due: at once.
        assert_eq!(
            next_wake(settings(None, None), false, false, Some(now), soon),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn tokens_name_slab_keys_and_a_left_clients_key_is_reused() {
        let mut places: Slab<&str> = Slab::new();
        let first = token_of(places.insert("first"));
        let second = token_of(places.insert("second"));
        assert_eq!((first, second), (Token(1), Token(2)));
        assert_ne!(first, LISTENER);
        assert_eq!(key_of(LISTENER), None);
        let key = key_of(first).expect("a client's token");
        assert_eq!(places.try_remove(key), Some("first"));
        // Removed twice (an event for a client closed earlier in the turn): nothing.
        assert_eq!(places.try_remove(key), None);
        assert_eq!(token_of(places.vacant_entry().key()), first);
        assert_eq!(places.get(key_of(second).expect("a key")), Some(&"second"));
    }
}
