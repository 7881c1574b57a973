//! The server as this client sees it: where it is, the socket that talks to it, and which
//! datagram is the reply to the line just sent.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use socket2::{Domain, Protocol, Socket, Type};

use common::ctime::STAMP_LEN;
use common::lang::os_error;
use common::net::is_timeout;
use common::{tr, trace, trace_wait};

/// Room for the largest datagram there is, so no reply is ever cut on the way in.
const LARGEST_DATAGRAM: usize = 65_536;

/// The server, and the socket connected to it.
pub struct Remote {
    /// The socket, connected to `address`: the system then drops datagrams from anyone else,
    /// and tells us when the server's port refuses ours.
    cs: UdpSocket,
    /// The address in use.
    address: SocketAddr,
    /// Addresses still to try if this one refuses (`localhost` may have two).
    others: Vec<SocketAddr>,
    /// `--timeout`: how long to wait for each reply.
    timeout: Duration,
    /// `--retries`: how many times to send again.
    retries: u32,
    /// Room for the largest datagram, made once rather than for every line.
    buffer: Vec<u8>,
}

/// How one wait for a reply ended.
enum Wait {
    /// The reply to the line just sent, as received.
    Reply(Vec<u8>),
    /// Nothing came in time.
    Silence,
    /// The system said the server's port refused the datagram (ICMP port unreachable).
    Refused,
}

impl Remote {
    /// `cs = socket(AF_INET, SOCK_DGRAM)`, aimed at the first address.
    pub fn new(
        mut addresses: Vec<SocketAddr>,
        timeout: Duration,
        retries: u32,
    ) -> anyhow::Result<Remote> {
        let address = addresses.remove(0);
        Ok(Remote {
            cs: open_socket(address)?,
            address,
            others: addresses,
            timeout,
            retries,
            buffer: vec![0; LARGEST_DATAGRAM],
        })
    }

    /// Sends `line` and returns the server's reply, sending again after each `--timeout`
    /// without one, `--retries` times at most. `earlier` lines tell late replies apart.
    pub fn exchange(
        &mut self,
        line: &[u8],
        earlier: &VecDeque<Vec<u8>>,
    ) -> anyhow::Result<Vec<u8>> {
        let mut refused = false;
        let mut tries = 0;
        while tries <= self.retries {
            tries += 1;
            // cs.sendto(data, ADDR)
            let wait = match self.cs.send(line) {
                Ok(sent) => {
                    trace!("sendto({sent} bytes, {})", self.address);
                    self.wait_for_reply(line, earlier)?
                }
                Err(error) if is_refused(&error) => Wait::Refused,
                Err(error) => {
                    let (server, reason) = (self.address, os_error(&error));
                    return Err(anyhow!(tr!(
                        "cannot send to the server at {server}: {reason}",
                        "无法发送到服务器 {server}：{reason}"
                    )));
                }
            };
            match wait {
                Wait::Reply(reply) => return Ok(reply),
                Wait::Silence => trace!("no reply within {} s", self.timeout.as_secs_f64()),
                // A refusal from an address we then leave for the next one was not a try at
                // the server: it does not count against --retries.
                Wait::Refused if self.try_next_address()? => tries -= 1,
                Wait::Refused => refused = true,
            }
        }
        Err(self.no_reply(tries, refused))
    }

    /// Waits up to `--timeout` for the reply to `line`, passing over late replies.
    fn wait_for_reply(&mut self, line: &[u8], earlier: &VecDeque<Vec<u8>>) -> anyhow::Result<Wait> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Wait::Silence);
            }
            let _ = self.cs.set_read_timeout(Some(left));
            // data, ADDR = cs.recvfrom(BUFSIZ)
            trace_wait!("recvfrom({LARGEST_DATAGRAM}) ...");
            let (received, sender) = match self.cs.recv_from(&mut self.buffer) {
                Ok(received) => received,
                Err(error) if is_timeout(&error) => return Ok(Wait::Silence),
                Err(error) if is_refused(&error) => {
                    trace!("recvfrom() -> {error}");
                    return Ok(Wait::Refused);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    let reason = os_error(&error);
                    return Err(anyhow!(tr!(
                        "cannot receive the reply: {reason}",
                        "无法接收回复：{reason}"
                    )));
                }
            };
            trace!("recvfrom({LARGEST_DATAGRAM}) -> {received} bytes from {sender}");
            let reply = &self.buffer[..received];
            // Unlike the book's client, take datagrams from the server only (the connected
            // socket already drops the others), and skip a late answer to an earlier line.
            if sender != self.address {
                trace!("skipped: {sender} is not the server");
            } else if is_late(reply, line, earlier) {
                trace!("skipped: a late reply to an earlier line");
            } else {
                return Ok(Wait::Reply(reply.to_vec()));
            }
        }
    }

    /// After a refusal, moves on to the host's next address, if it has one.
    fn try_next_address(&mut self) -> anyhow::Result<bool> {
        if self.others.is_empty() {
            return Ok(false);
        }
        self.address = self.others.remove(0);
        self.cs = open_socket(self.address)?;
        Ok(true)
    }

    /// The error after the last try: no reply, and whether the server is likely down.
    fn no_reply(&self, tries: u32, refused: bool) -> anyhow::Error {
        let server = self.address;
        let secs = self.timeout.as_secs_f64();
        let tries_en = match tries {
            1 => "1 try".to_string(),
            n => format!("{n} tries"),
        };
        if !refused {
            return anyhow!(tr!(
                "no reply from {server} after {tries_en}, {secs} s each: the server may be down or unreachable (over UDP a lost datagram and a missing server look the same); check that udp-server runs there, with the same --port",
                "尝试 {tries} 次（每次等 {secs} 秒）后 {server} 仍没有回复：服务器可能没有运行或无法到达（在 UDP 上，丢失的数据报和不存在的服务器看起来一样）；请检查 udp-server 是否在那里运行，且使用相同的 --port"
            ));
        }
        // A TCP server on the same port is a common mix-up: TCP and UDP ports are separate.
        if TcpStream::connect_timeout(&server, Duration::from_millis(300)).is_ok() {
            return anyhow!(tr!(
                "no reply from {server}: no UDP server is there (its port refused the datagrams), but a TCP server answers on that port: TCP and UDP ports are separate; start `cargo run -p udp-server`, or talk to the TCP server with tcp-client",
                "{server} 没有回复：那里没有 UDP 服务器（它的端口拒绝了数据报），但该端口上有一个 TCP 服务器在应答：TCP 和 UDP 的端口是分开的；请启动 `cargo run -p udp-server`，或用 tcp-client 和那个 TCP 服务器对话"
            ));
        }
        anyhow!(tr!(
            "no reply from {server}: the server is down (its port refused the datagrams: nothing is listening there); start it with `cargo run -p udp-server`, with the same --host and --port",
            "{server} 没有回复：服务器没有运行（它的端口拒绝了数据报：那里没有程序在监听）；请用 `cargo run -p udp-server` 启动它，使用相同的 --host 和 --port"
        ))
    }
}

/// `cs = socket(AF_INET, SOCK_DGRAM)`, connected to `address`.
///
/// The book's client never connects a UDP socket. Connecting one sends nothing; it only
/// fixes the peer, so that the system drops datagrams from anyone else and reports an ICMP
/// "port unreachable" (no server there) on the next receive.
fn open_socket(address: SocketAddr) -> anyhow::Result<UdpSocket> {
    let cannot = |error: io::Error| {
        let reason = os_error(&error);
        anyhow!(tr!(
            "cannot reach {address}: {reason}",
            "无法到达 {address}：{reason}"
        ))
    };
    let cs = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(cannot)?;
    trace!("socket()");
    cs.connect(&address.into()).map_err(cannot)?;
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
