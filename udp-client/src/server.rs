//! The server as this client sees it: its addresses, the one in use, and the socket that
//! carries one line's tries to it.
//!
//! The book's client makes one socket and uses it for every line. This one makes a socket
//! for each line (see [`Server::socket`]): over UDP a reply can come after the client gave
//! up waiting for it, and on a socket kept for the next line that late reply would be taken
//! for the next line's answer, one send behind, forever.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

use common::lang::OsError;
use common::net::{MAX_DATAGRAM_V6, is_timeout};
use common::{tr, trace, trace_wait};

/// The most bytes one `recvfrom()` takes: the largest datagram there is, so that a reply is
/// never cut on its way in. (The book reads `recvfrom(BUFSIZ)`, which cuts the reply to a
/// line of BUFSIZ bytes: the reply is 27 bytes of stamp longer than the line.)
const LARGEST_REPLY: usize = MAX_DATAGRAM_V6;

/// The server's addresses, and how long and how often to try each line there.
pub struct Server {
    /// Every address the server's name gave (`localhost` may give two), in the order tried.
    addresses: Vec<SocketAddr>,
    /// Which of `addresses` is in use: the one that answered last.
    current: usize,
    /// `--timeout`: how long to wait for each reply.
    timeout: Duration,
    /// `--retries`: how many times to send a line again.
    retries: u32,
    /// Room for the largest reply, made once rather than for every line.
    buffer: Vec<u8>,
    /// The server has answered a line: it was there, whatever happens next.
    answered_before: bool,
}

/// The socket for one line, connected to the address in use, and the tries made so far.
pub struct LineSocket<'s> {
    /// The server, whose address in use moves on when one does not answer.
    server: &'s mut Server,
    /// `cs`: connected, so the system drops datagrams from anyone but the server and tells
    /// us when the server's port refuses ours.
    cs: UdpSocket,
    /// Sends of this line to the address in use.
    tries: u32,
    /// Addresses this line has been sent to.
    addresses_tried: usize,
    /// True while every address tried refused the line (nothing listens there).
    every_one_refused: bool,
    /// The last send was told of a refusal (of an earlier datagram, which the system
    /// reported late): the wait that follows need not wait.
    refused_on_send: bool,
}

/// What one wait in `recvfrom()` heard.
pub enum Heard {
    /// The reply to the line just sent, as received.
    Reply(Vec<u8>),
    /// Nothing within `--timeout`.
    Silence,
    /// The system said the server's port refused the datagram (ICMP port unreachable).
    Refused,
}

impl Server {
    /// The server at `addresses` (at least one), tried in that order.
    pub fn new(addresses: Vec<SocketAddr>, timeout: Duration, retries: u32) -> Server {
        Server {
            addresses,
            current: 0,
            timeout,
            retries,
            buffer: vec![0; LARGEST_REPLY],
            answered_before: false,
        }
    }

    /// The address in use.
    pub fn address(&self) -> SocketAddr {
        self.addresses[self.current]
    }

    /// `cs = socket()`, connected to the address in use, for one line.
    ///
    /// A new socket for each line, closed once the line has its reply or is given up on:
    /// a reply that comes later (a slow round trip, a duplicate, the answer to a resend)
    /// then meets a closed port, and can never be shown beside a later line, even when that
    /// line is the same text.
    pub fn socket(&mut self) -> anyhow::Result<LineSocket<'_>> {
        let mut addresses_tried = 0;
        let cs = self.open_reachable(&mut addresses_tried)?;
        Ok(LineSocket {
            server: self,
            cs,
            tries: 0,
            addresses_tried,
            every_one_refused: true,
            refused_on_send: false,
        })
    }

    /// Opens a socket connected to the address in use, or, when this machine cannot reach
    /// that address at all (an IPv6 address where there is no IPv6), to the next address
    /// the line has not tried; `tried` counts them. The error is the last address's.
    fn open_reachable(&mut self, tried: &mut usize) -> anyhow::Result<UdpSocket> {
        loop {
            *tried += 1;
            match open_socket(self.address()) {
                Ok(cs) => return Ok(cs),
                Err(error) if *tried >= self.addresses.len() => return Err(error),
                Err(error) => {
                    trace!("{error:#}");
                    self.move_on();
                }
            }
        }
    }

    /// Leaves the address in use for the next one, after the last back to the first.
    fn move_on(&mut self) {
        self.current = (self.current + 1) % self.addresses.len();
    }
}

impl LineSocket<'_> {
    /// Sends `data` once to the address the socket is connected to.
    pub fn send(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.tries += 1;
        let server = self.server.address();
        match self.cs.send(data) {
            Ok(sent) => {
                // send() on a connected socket is the sendto(2) system call with no address:
                // strace shows it as sendto, and so does --trace, under the book's name.
                trace!("sendto({sent} bytes)");
                Ok(())
            }
            // A refusal of an earlier datagram can surface here, on Linux.
            Err(error) if is_refused(&error) => {
                trace!("sendto() -> {error}");
                self.refused_on_send = true;
                Ok(())
            }
            Err(error) => Err(common::net::cannot_send(server, error)),
        }
    }

    /// `recvfrom()`, for the reply to `line`: waits up to `--timeout`, passing over a late
    /// answer to one of the `earlier` lines (and anything not from the server).
    pub fn wait_for_reply(
        &mut self,
        line: &[u8],
        earlier: &VecDeque<Vec<u8>>,
    ) -> anyhow::Result<Heard> {
        let server = self.server.address();
        let timeout = self.server.timeout;
        let deadline = Instant::now() + timeout;
        if std::mem::take(&mut self.refused_on_send) {
            return Ok(Heard::Refused);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Heard::Silence);
            }
            self.cs
                .set_read_timeout(Some(left))
                .map_err(OsError::new)
                .with_context(|| {
                    tr!(
                        "setsockopt(SO_RCVTIMEO) failed",
                        "setsockopt(SO_RCVTIMEO) 失败"
                    )
                })?;
            trace_wait!("recvfrom({LARGEST_REPLY}) ...");
            let (received, sender) = match self.cs.recv_from(&mut self.server.buffer) {
                Ok(received) => received,
                Err(error) if is_timeout(&error) => {
                    trace!(
                        "recvfrom({LARGEST_REPLY}) -> nothing in {} s",
                        timeout.as_secs_f64()
                    );
                    return Ok(Heard::Silence);
                }
                Err(error) if is_refused(&error) => {
                    trace!("recvfrom({LARGEST_REPLY}) -> {error}");
                    return Ok(Heard::Refused);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(OsError::new(error)).with_context(|| {
                        tr!(
                            "cannot receive the reply from {server}",
                            "无法接收 {server} 的回复"
                        )
                    });
                }
            };
            trace!("recvfrom({LARGEST_REPLY}) -> {received} bytes from {sender}");
            let reply = &self.server.buffer[..received];
            // Unlike the book's client, take the server's datagrams only (the connected
            // socket already drops the others), and skip a late answer to an earlier line.
            if sender != server {
                trace!("skipped: {sender} is not the server");
            } else if is_late(reply, line, earlier) {
                trace!("skipped: a late reply to an earlier line");
            } else {
                self.every_one_refused = false;
                self.server.answered_before = true;
                return Ok(Heard::Reply(reply.to_vec()));
            }
        }
    }

    /// After a wait that brought no reply: true to send the line again, to the same address
    /// while it has tries left (`--retries`), or else to the server's next address, if the
    /// line has not been there yet. An address that refuses is left at once, and counts as
    /// refused even after silence: a refusal may come only for a later try.
    pub fn try_again(&mut self, heard: &Heard) -> anyhow::Result<bool> {
        if !matches!(heard, Heard::Refused) {
            if self.tries <= self.server.retries {
                return Ok(true);
            }
            self.every_one_refused = false; // its tries are over, and it never refused
        }
        if self.addresses_tried >= self.server.addresses.len() {
            return Ok(false);
        }
        self.server.move_on();
        trace!("close()");
        match self.server.open_reachable(&mut self.addresses_tried) {
            Ok(cs) => {
                self.cs = cs;
                self.tries = 0;
                Ok(true)
            }
            Err(error) => {
                // The addresses left cannot be reached from here: the line's tries are over.
                trace!("{error:#}");
                Ok(false)
            }
        }
    }

    /// True when every address this line went to refused it: no server is there.
    pub fn refused_everywhere(&self) -> bool {
        self.every_one_refused
    }

    /// `cs.close()`: from now on, what the server sends to this socket's port is refused.
    pub fn close(self) {
        drop(self.cs);
        trace!("close()");
    }
}

/// `cs = socket(AF_INET, SOCK_DGRAM)`, connected to `address`.
///
/// The book's client never connects a UDP socket. Connecting one sends nothing; it only
/// fixes the peer, so that the system drops datagrams from anyone else and reports an ICMP
/// "port unreachable" (no server there) on the next receive.
fn open_socket(address: SocketAddr) -> anyhow::Result<UdpSocket> {
    let cs = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(OsError::new)
    .with_context(|| tr!("socket() failed", "socket() 失败"))?;
    trace!("socket()");
    cs.connect(&address.into())
        .map_err(|error| cannot_connect(address, error))?;
    trace!("connect({address})");
    Ok(cs.into())
}

/// The error when this machine cannot connect a socket to `address` at all: with advice
/// about the address and the network when there is no way there.
fn cannot_connect(address: SocketAddr, error: io::Error) -> anyhow::Error {
    let reason = common::lang::os_error(&error);
    let message = if common::net::is_unreachable(&error) {
        tr!(
            "cannot connect to {address}: {reason}: check the address, and that this machine is on the server's network",
            "无法连接到 {address}：{reason}；请检查地址是否正确，以及本机是否和服务器在同一个网络中"
        )
    } else {
        tr!(
            "cannot connect to {address}: {reason}",
            "无法连接到 {address}：{reason}"
        )
    };
    OsError::explained(message, error).into()
}

/// True when the system says the server's port refused a datagram (an ICMP "port
/// unreachable"): "connection refused" on Linux and macOS, "connection reset" on Windows,
/// which reports it as WSAECONNRESET on a UDP socket.
fn is_refused(error: &io::Error) -> bool {
    let kind = error.kind();
    kind == io::ErrorKind::ConnectionRefused
        || (cfg!(windows) && kind == io::ErrorKind::ConnectionReset)
}

/// True for a datagram that answers an earlier line, not `line`: its data (after
/// `[timestamp] `) is exactly an earlier line, or the start of an earlier line (cut by a
/// server with a smaller buffer) and not of this one. Anything else from the server is the
/// reply to `line`, a changed server's answer too.
pub fn is_late(datagram: &[u8], line: &[u8], earlier: &VecDeque<Vec<u8>>) -> bool {
    let Some(data) = common::ctime::after_stamp(datagram) else {
        return false;
    };
    if data == line {
        return false;
    }
    earlier
        .iter()
        .any(|old| old == data || (old.starts_with(data) && !line.starts_with(data)))
}
#[cfg(test)]
mod tests;
mod unanswered;
