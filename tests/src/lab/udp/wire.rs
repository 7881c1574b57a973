//! The UDP checks' side of the wire: sockets of the kit's, datagrams sent and heard, and what
//! a port that refuses datagrams (or took one and then refused) says. Every datagram each
//! way goes into the transcript.
//!
//! The kit's sockets are not connected, so a reply from anywhere is heard (and judged by the
//! `source` check alone). Over UDP a stopped server and one that answers somewhere else look
//! the same; only a port that refuses a datagram (an ICMP "port unreachable", seen by a
//! connected socket) says for sure that nobody listens.

use std::cell::Cell;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::tr;

use super::super::local;
use super::super::show::bytes as shown;
use super::super::transcript::Transcript;
use super::super::{Clock, Failure, Mistake, Patience, Settings};

/// The largest datagram the kit reads; more is cut, as `recvfrom()` cuts it.
const LARGEST: usize = 65_536;

/// What the kit sends to ask whether anyone is there.
pub const PROBE: &[u8] = b"lab-check: anyone there?";

/// The server under test.
pub struct Server {
    /// Where it listens.
    pub address: SocketAddr,
    /// The time a right stamp shows.
    pub clock: Clock,
    /// How long to wait.
    pub patience: Patience,
    /// What was sent and what came.
    pub transcript: Transcript,
    /// How many datagrams it answered so far: silence after some means it stopped.
    pub answered: Cell<usize>,
    /// How many sockets the kit opened, to number them in the transcript.
    opened: Cell<usize>,
}

/// One of the kit's sockets, numbered for the transcript.
pub struct Socket {
    /// The socket.
    pub socket: UdpSocket,
    /// Its number in the transcript: `#3`.
    pub who: String,
}

/// What a connected socket heard after sending: a reply, a refusal, or nothing.
pub enum Heard {
    /// A datagram.
    Reply(Vec<u8>),
    /// The port refused the datagram: nothing listens there.
    Refused,
    /// Nothing in time.
    Nothing,
}

impl Server {
    /// The server at `address`, checked as `settings` say.
    pub fn new(address: SocketAddr, settings: &Settings, transcript: Transcript) -> Server {
        Server {
            address,
            clock: settings.clock.clone(),
            patience: settings.patience,
            transcript,
            answered: Cell::new(0),
            opened: Cell::new(0),
        }
    }

    /// A fresh socket of the kit's, on the side of this machine that reaches the server.
    pub fn socket(&self) -> Result<Socket, Failure> {
        let ip = match (self.address.ip(), self.address.ip().is_loopback()) {
            (IpAddr::V4(_), true) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            (IpAddr::V4(_), false) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (IpAddr::V6(_), true) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            (IpAddr::V6(_), false) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).map_err(|error| {
            let error = common::lang::os_error(&error);
            Failure::plain(tr!(
                "cannot open a UDP socket on this machine: {error}",
                "无法在本机打开 UDP 套接字：{error}"
            ))
        })?;
        self.opened.set(self.opened.get() + 1);
        let who = format!("#{}", self.opened.get());
        let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
        self.transcript.note(
            &who,
            &tr!("a socket on port {port}", "端口 {port} 上的套接字"),
        );
        Ok(Socket { socket, who })
    }

    /// Sends `message` from `socket` (not connected: to the server's address).
    pub fn send(&self, socket: &Socket, message: &[u8]) -> Result<(), Failure> {
        self.transcript.sent(&socket.who, message);
        socket
            .socket
            .send_to(message, self.address)
            .map(|_| ())
            .map_err(|error| {
                let (error, address) = (common::lang::os_error(&error), self.address);
                Failure::plain(tr!(
                    "cannot send to {address}: {error}",
                    "无法向 {address} 发送：{error}"
                ))
            })
    }

    /// Sends `message` from `socket`, and waits for the first datagram back, from anywhere.
    pub fn ask(&self, socket: &Socket, message: &[u8]) -> Result<(Vec<u8>, SocketAddr), Failure> {
        self.send(socket, message)?;
        self.receive(socket, self.patience.reply())
            .ok_or_else(|| self.silent(message))
    }

    /// The first datagram to arrive at `socket` within `wait`.
    pub fn receive(&self, socket: &Socket, wait: Duration) -> Option<(Vec<u8>, SocketAddr)> {
        let _ = socket.socket.set_nonblocking(false); // a watching socket waits too, here
        let deadline = Instant::now() + wait;
        let mut buffer = vec![0; LARGEST];
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())?;
            let _ = socket.socket.set_read_timeout(Some(left));
            match socket.socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    self.answered.set(self.answered.get() + 1);
                    let what = tr!("from {from}:", "来自 {from}：");
                    self.transcript.note(&socket.who, &what);
                    self.transcript.came(&socket.who, &buffer[..len]);
                    return Some((buffer[..len].to_vec(), from));
                }
                // Windows reports an earlier datagram's refusal here: not a reply, go on.
                Err(error) if error.kind() == ErrorKind::ConnectionReset => continue,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
    }

    /// Asks `message` from a fresh socket; the reply, whoever sent it.
    pub fn ask_fresh(&self, message: &[u8]) -> Result<Vec<u8>, Failure> {
        let socket = self.socket()?;
        self.ask(&socket, message).map(|(reply, _)| reply)
    }

    /// Sends `message` from a socket connected to the server, which hears a refusal (an ICMP
    /// "port unreachable") on every system but replies only from the server's own address;
    /// waits `wait`.
    pub fn ask_connected(&self, message: &[u8], wait: Duration) -> Result<Heard, Failure> {
        let socket = self.socket()?;
        if socket.socket.connect(self.address).is_err() {
            return Ok(Heard::Nothing);
        }
        self.transcript.sent(&socket.who, message);
        if socket.socket.send(message).is_err() {
            return Ok(Heard::Nothing);
        }
        let _ = socket.socket.set_read_timeout(Some(wait));
        let mut buffer = vec![0; LARGEST];
        Ok(match socket.socket.recv(&mut buffer) {
            Ok(len) => {
                self.answered.set(self.answered.get() + 1);
                self.transcript.came(&socket.who, &buffer[..len]);
                Heard::Reply(buffer[..len].to_vec())
            }
            Err(error) if is_refusal(&error) => {
                let what = tr!("refused (port unreachable)", "被拒收（端口不可达）");
                self.transcript.note(&socket.who, &what);
                Heard::Refused
            }
            Err(_) => Heard::Nothing,
        })
    }

    /// Sends `message` from a socket connected to the server, left non-blocking, so that
    /// [`Server::poll`] says at once whether the port refused it.
    pub fn watch(&self, message: &[u8]) -> Option<Socket> {
        let watch = self.socket().ok()?;
        watch.socket.connect(self.address).ok()?;
        self.transcript.sent(&watch.who, message);
        watch.socket.send(message).ok()?;
        watch.socket.set_nonblocking(true).ok()?;
        Some(watch)
    }

    /// What a watching socket has heard so far, without waiting.
    pub fn poll(&self, watch: &Socket) -> Heard {
        let mut buffer = vec![0; LARGEST];
        match watch.socket.recv(&mut buffer) {
            Ok(len) => {
                self.answered.set(self.answered.get() + 1);
                self.transcript.came(&watch.who, &buffer[..len]);
                Heard::Reply(buffer[..len].to_vec())
            }
            Err(error) if is_refusal(&error) => {
                let what = tr!("refused (port unreachable)", "被拒收（端口不可达）");
                self.transcript.note(&watch.who, &what);
                Heard::Refused
            }
            Err(_) => Heard::Nothing,
        }
    }

    /// No reply to `message`, in the student's words.
    pub fn silent(&self, message: &[u8]) -> Failure {
        let (sent, address) = (shown(message), self.address);
        let secs = self.patience.reply().as_secs_f64();
        Failure::named(
            Mistake::Silent,
            tr!(
                "no reply to {sent} within {secs} s: over UDP a stopped server and one that replies elsewhere look alike; is it running at {address}, and does it reply with sendto(reply, addr), addr being what recvfrom() returned?",
                "{secs} 秒内没有收到对 {sent} 的回复：在 UDP 上，停止的服务器和把回复发到别处的服务器看起来一样；服务器在 {address} 上运行吗？它是用 sendto(reply, addr) 回复的吗（addr 是 recvfrom() 返回的地址）？"
            ),
        )
    }

    /// The port refused a datagram before any reply: nothing listens, or not on the
    /// interface asked, and what the kit can tell of which.
    pub fn refused(&self) -> Failure {
        let (address, ip, port) = (self.address, self.address.ip(), self.address.port());
        if !local::is_this_machine(ip) {
            return Failure::named(
                Mistake::RefusedFromOutside,
                tr!(
                    "{ip} refused the datagram to port {port} (port unreachable): a machine is there, but no program takes datagrams from other machines on that port. Either the server is not running there (or runs on another port), or it listens on 127.0.0.1 only (our servers without --host, Python's HOST = 'localhost'): start it to listen on every interface, HOST = '' as the book does (--host 0.0.0.0 for ours). From here the kit cannot tell which (a firewall that rejects looks the same)",
                    "{ip} 拒收了发往端口 {port} 的数据报（端口不可达）：那台机器在，但它的这个端口上没有程序接收其他机器的数据报。要么服务器没有运行（或者用的是别的端口），要么它只监听 127.0.0.1（我们的服务器不加 --host，Python 的 HOST = 'localhost'）：请让它监听所有网络接口，即书中的 HOST = ''（我们的服务器用 --host 0.0.0.0）。从这里无法分辨是哪一种（拒绝连接的防火墙看起来也一样）"
                ),
            );
        }
        if let Some(other) = local::udp_elsewhere(address, PROBE, self.patience.probe()) {
            let only = other.ip();
            return Failure::named(
                Mistake::OneInterfaceOnly,
                tr!(
                    "nothing is listening at {address} (the port refused the datagram), but port {port} of this machine answers at {other}: the server listens on {only} only, so datagrams to {ip} (and from other machines) are refused; listen on every interface: HOST = '' as the book does (--host 0.0.0.0 for ours)",
                    "{address} 上没有程序在监听（该端口拒收了数据报），但本机的端口 {port} 在 {other} 上有回复：服务器只监听 {only}，所以发往 {ip} 的数据报（以及来自其他机器的）都会被拒收；请监听所有网络接口：即书中的 HOST = ''（我们的服务器用 --host 0.0.0.0）"
                ),
            );
        }
        Failure::named(
            Mistake::NotListening,
            tr!(
                "nothing is listening at {address} (the port refused the datagram): is the UDP server running, on this address and port?",
                "{address} 上没有程序在监听（该端口拒收了数据报）：UDP 服务器在运行吗？地址和端口对吗？"
            ),
        )
    }
}

/// True when a connected socket's error is the refusal of an earlier datagram: Linux and
/// macOS say refused; Windows, reset.
fn is_refusal(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
