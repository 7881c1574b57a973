//! The server as this client sees it: its addresses, the one in use, and the socket that
//! carries one line's tries to it.
//!
//! The book's client makes one socket and uses it for every line. This one makes a socket
//! for each line (see [`Server::socket`]): over UDP a reply can come after the client gave
//! up waiting for it, and on a socket kept for the next line that late reply would be taken
//! for the next line's answer, one send behind, forever.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use socket2::{Domain, Protocol, Socket, Type};

use common::ctime::STAMP_LEN;
use common::lang::{OsError, count};
use common::net::{MAX_DATAGRAM_V6, is_timeout};
use common::{problem, tr, trace, trace_wait};

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

    /// The error when every address refused a line: nothing listens there.
    pub fn down(&self) -> anyhow::Error {
        let server = self.address();
        // A TCP server on the same port is a common mix-up: TCP and UDP ports are separate.
        if TcpStream::connect_timeout(&server, Duration::from_millis(300)).is_ok() {
            return anyhow!(tr!(
                "no reply from {server}: no UDP server is there (its port refused the datagrams), but a TCP server answers on that port: TCP and UDP ports are separate; start `cargo run -p udp-server`, or talk to the TCP server with tcp-client",
                "{server} 没有回复：那里没有 UDP 服务器（该端口拒收了数据报），但该端口上有一个 TCP 服务器在应答：TCP 和 UDP 的端口是分开的；请先用 `cargo run -p udp-server` 启动 UDP 服务器，或用 tcp-client 和那个 TCP 服务器对话"
            ));
        }
        anyhow!(tr!(
            "no reply from {server}: the server is down (its port refused the datagrams: nothing is listening there); start it with `cargo run -p udp-server`, with the same --host and --port",
            "{server} 没有回复：服务器没有运行（该端口拒收了数据报，说明没有程序在监听）；请先用 `cargo run -p udp-server` 启动服务器，使用相同的 --host 和 --port"
        ))
    }

    /// Says that a line got no reply after all its tries: over UDP a lossy network
    /// and a stopped server look the same, so it names the options for the first.
    pub fn say_unanswered(&self, line: &[u8]) {
        let (server, line) = (self.address(), common::out::Printable(line));
        let (tries, secs) = (self.retries + 1, self.timeout.as_secs_f64());
        let tries_en = match tries {
            1 => "1 try".to_string(),
            n => format!("{n} tries"),
        };
        problem!(
            "udp-client: no reply to {line} from {server} after {tries_en}, {secs} s each: the datagrams or their replies were lost on the way, or the server is down (over UDP the two look the same); on a slow or lossy network, wait longer with --timeout or send more often with --retries",
            "udp-client：{line} 发往 {server}，尝试 {tries} 次（每次等待 {secs} 秒）都没有收到回复：可能是数据报或回复在路上丢失了，也可能是服务器没有运行（在 UDP 上两者看起来一样）；如果网络慢或丢包多，请用 --timeout 延长等待时间，或用 --retries 增加重发次数"
        );
    }

    /// The error after `lines` lines in a row went unanswered.
    pub fn likely_down(&self, lines: u32) -> anyhow::Error {
        let server = self.address();
        let lines_en = count(lines, "line");
        anyhow!(tr!(
            "no reply from {server} to {lines_en} in a row: the server is likely down or unreachable; check that udp-server runs there with the same --port, and that no firewall drops UDP (on a slow or lossy network, raise --timeout or --retries)",
            "连续 {lines} 行都没有收到 {server} 的回复：服务器很可能没有运行或无法到达；请检查那里是否运行着 udp-server、--port 是否相同、防火墙是否放行了 UDP（如果只是网络慢或丢包多，请调大 --timeout 或 --retries）"
        ))
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

    /// Waits up to `--timeout` for the reply to `line`, passing over a late answer to one of
    /// the `earlier` lines.
    pub fn recv_from(&mut self, line: &[u8], earlier: &VecDeque<Vec<u8>>) -> anyhow::Result<Heard> {
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
                return Ok(Heard::Reply(reply.to_vec()));
            }
        }
    }

    /// After a wait that brought no reply: true to send the line again, to the same address
    /// while it has tries left (`--retries`), or else to the server's next address, if the
    /// line has not been there yet. An address that refuses is left at once.
    pub fn try_again(&mut self, heard: &Heard) -> anyhow::Result<bool> {
        let refused = matches!(heard, Heard::Refused);
        if !refused {
            self.every_one_refused = false;
            let retries = self.server.retries;
            if self.tries <= retries {
                return Ok(true);
            }
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
        .map_err(OsError::new)
        .with_context(|| tr!("cannot reach {address}", "无法到达 {address}"))?;
    trace!("connect({address})");
    Ok(cs.into())
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
    let stamped = datagram.len() >= STAMP_LEN && datagram[0] == b'[' && &datagram[25..27] == b"] ";
    if !stamped {
        return false;
    }
    let data = &datagram[STAMP_LEN..];
    if data == line {
        return false;
    }
    earlier
        .iter()
        .any(|old| old == data || (old.starts_with(data) && !line.starts_with(data)))
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STAMP: &[u8] = b"[Wed Nov 25 17:28:42 2026] ";

    fn reply(data: &[u8]) -> Vec<u8> {
        [STAMP, data].concat()
    }

    fn lines(all: &[&str]) -> VecDeque<Vec<u8>> {
        all.iter().map(|line| line.as_bytes().to_vec()).collect()
    }

    /// One line's exchange, as `run` makes it: its reply, and whether every address refused.
    fn exchange(server: &mut Server, line: &[u8]) -> (Option<Vec<u8>>, bool) {
        let mut cs = server.socket().expect("a socket");
        let reply = loop {
            cs.send(line).expect("send");
            match cs.recv_from(line, &VecDeque::new()).expect("recvfrom") {
                Heard::Reply(reply) => break Some(reply),
                heard => {
                    if !cs.try_again(&heard).expect("another try") {
                        break None;
                    }
                }
            }
        };
        let refused = cs.refused_everywhere();
        cs.close();
        (reply, refused)
    }

    /// A socket on loopback that answers nothing.
    fn mute() -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        socket
    }

    /// An address on loopback where nothing listens (free a moment ago): it refuses.
    fn closed() -> SocketAddr {
        mute().local_addr().expect("address")
    }

    /// A server that answers `answers` datagrams with a stamped copy, on a thread.
    fn answering(answers: usize) -> (SocketAddr, std::thread::JoinHandle<()>) {
        let socket = mute();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let address = socket.local_addr().expect("address");
        let thread = std::thread::spawn(move || {
            let mut buffer = [0; 64];
            for _ in 0..answers {
                let Ok((len, client)) = socket.recv_from(&mut buffer) else {
                    return;
                };
                let _ = socket.send_to(&reply(&buffer[..len]), client);
            }
        });
        (address, thread)
    }

    /// Datagrams waiting at `socket`.
    fn received(socket: &UdpSocket) -> usize {
        let mut buffer = [0; 64];
        (0..10)
            .take_while(|_| socket.recv(&mut buffer).is_ok())
            .count()
    }

    #[test]
    fn an_address_that_refuses_is_left_for_the_next() {
        let (live, answerer) = answering(2);
        let mut server = Server::new(vec![closed(), live], Duration::from_secs(2), 2);
        assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
        assert_eq!(server.address(), live);
        assert_eq!(exchange(&mut server, b"two"), (Some(reply(b"two")), false));
        answerer.join().expect("answered");
    }

    #[test]
    fn an_address_silent_for_a_lines_tries_is_left_for_the_next() {
        let (silent, (live, answerer)) = (mute(), answering(2));
        let addresses = vec![silent.local_addr().expect("address"), live];
        let mut server = Server::new(addresses, Duration::from_millis(100), 1);
        assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
        assert_eq!(received(&silent), 2, "the line and its one resend");
        assert_eq!(exchange(&mut server, b"two"), (Some(reply(b"two")), false));
        assert_eq!(
            received(&silent),
            0,
            "the next line goes where the answer came from"
        );
        answerer.join().expect("answered");
    }

    /// Linux will not connect a UDP socket to the broadcast address without SO_BROADCAST: an
    /// address this machine cannot reach, as `::1` is where there is no IPv6.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_address_that_cannot_be_reached_is_passed_over() {
        let unreachable: SocketAddr = "255.255.255.255:9".parse().expect("an address");
        assert!(open_socket(unreachable).is_err());
        let (live, answerer) = answering(2);
        let mut server = Server::new(vec![unreachable, live], Duration::from_secs(2), 2);
        assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
        let mut server = Server::new(vec![closed(), unreachable], Duration::from_secs(2), 2);
        assert_eq!(exchange(&mut server, b"two"), (None, true));
        let mut server = Server::new(vec![unreachable, live], Duration::from_secs(2), 2);
        assert_eq!(
            exchange(&mut server, b"three"),
            (Some(reply(b"three")), false)
        );
        answerer.join().expect("answered");
        let mut server = Server::new(vec![unreachable], Duration::from_secs(2), 2);
        assert!(server.socket().is_err(), "nothing to reach is an error");
    }

    #[test]
    fn every_address_refusing_is_the_server_down_and_silence_is_not() {
        let mut server = Server::new(vec![closed(), closed()], Duration::from_secs(2), 2);
        assert_eq!(exchange(&mut server, b"anyone?"), (None, true));
        let silent = mute();
        let addresses = vec![closed(), silent.local_addr().expect("address")];
        let mut server = Server::new(addresses, Duration::from_millis(50), 0);
        assert_eq!(exchange(&mut server, b"anyone?"), (None, false));
    }

    #[test]
    fn late_replies_to_earlier_lines_are_skipped() {
        let earlier = lines(&["x", "xy"]);
        assert!(
            is_late(&reply(b"x"), b"xyz", &earlier),
            "exactly an earlier line"
        );
        assert!(is_late(&reply(b"xy"), b"xyz", &earlier));
        assert!(
            !is_late(&reply(b"xyz"), b"xyz", &earlier),
            "this line's reply"
        );
        assert!(
            !is_late(&reply(b"xyz"), b"xyz", &lines(&["xyz"])),
            "a line sent twice"
        );
    }

    #[test]
    fn a_changed_server_is_answered_whatever_it_says() {
        let earlier = lines(&["date"]);
        assert!(!is_late(b"Wed Nov 25 17:28:42 2026", b"time", &earlier));
        assert!(!is_late(&reply(b"Nov 25"), b"date", &earlier));
    }

    #[test]
    fn a_cut_reply_to_this_line_is_taken_and_one_to_an_earlier_line_is_not() {
        assert!(!is_late(&reply(b"hel"), b"hello", &lines(&["help me"])));
        assert!(is_late(&reply(b"wor"), b"hello", &lines(&["world"])));
    }

    proptest! {
        /// Whatever was sent before, the reply to this very line is never skipped, and a
        /// repeat of an earlier line that is not this one always is.
        #[test]
        fn the_rule_never_skips_this_lines_reply(
            line in proptest::collection::vec(any::<u8>(), 1..12),
            earlier in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..12), 0..6),
        ) {
            let earlier: VecDeque<Vec<u8>> = earlier.into();
            prop_assert!(!is_late(&reply(&line), &line, &earlier));
            for old in &earlier {
                if *old != line {
                    prop_assert!(is_late(&reply(old), &line, &earlier));
                }
            }
        }
    }
}
