//! The UDP server's checks (book 16.3.6), each from sockets of its own, with its own deadline.
//!
//! The kit's sockets are not connected, so a reply from anywhere is heard (and judged by the
//! `source` check alone). Over UDP a stopped server and one that answers somewhere else look
//! the same; only a port that refuses the datagram says for sure that nobody listens.

use std::cell::Cell;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::tr;

use super::judge::{self, exact_data, got, mistaken};
use super::reply::{self, Mistake};
use super::show::bytes as shown;
use super::{Check, Failure, LocalNow, Named, Outcome, run_in_turn};

/// The checks, each with its name, in the order they run.
pub const CHECKS: [Named<Server>; 8] = [
    ("reply", reply),
    ("time", time),
    ("several", several),
    ("senders", senders),
    ("source", source),
    ("chinese", chinese),
    ("not-utf8", not_utf8),
    ("vanished", vanished),
];

/// How long a reply may take.
const REPLY: Duration = Duration::from_secs(2);
/// How long the first reply is waited for before asking whether the port refuses datagrams.
const FIRST_WAIT: Duration = Duration::from_millis(300);
/// The largest datagram the kit reads; more is cut, as `recvfrom()` cuts it.
const LARGEST: usize = 65_536;

/// Runs every check against the server at `address`.
pub fn run(address: SocketAddr, now: LocalNow) -> Vec<Check> {
    let server = Server {
        address,
        now,
        answered: Cell::new(0),
    };
    run_in_turn(&CHECKS, &server, |server| server.answered.get())
}

/// The server under test.
pub struct Server {
    /// Where it listens.
    address: SocketAddr,
    /// The local time a right stamp shows.
    now: LocalNow,
    /// How many datagrams it answered so far: silence after some means it stopped.
    answered: Cell<usize>,
}

impl Server {
    /// A fresh socket of the kit's, on the side of this machine that reaches the server.
    fn socket(&self) -> Result<UdpSocket, Failure> {
        let ip = match (self.address.ip(), self.address.ip().is_loopback()) {
            (IpAddr::V4(_), true) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            (IpAddr::V4(_), false) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (IpAddr::V6(_), true) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            (IpAddr::V6(_), false) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        UdpSocket::bind(SocketAddr::new(ip, 0)).map_err(|error| {
            let error = common::lang::os_error(&error);
            Failure::plain(tr!(
                "cannot open a UDP socket on this machine: {error}",
                "无法在本机打开 UDP 套接字：{error}"
            ))
        })
    }

    /// Sends `message` from `socket`, and waits for the first datagram back, from anywhere.
    fn ask(&self, socket: &UdpSocket, message: &[u8]) -> Result<(Vec<u8>, SocketAddr), Failure> {
        self.ask_within(socket, message, REPLY)
    }

    /// Like [`Server::ask`], waiting at most `wait`.
    fn ask_within(
        &self,
        socket: &UdpSocket,
        message: &[u8],
        wait: Duration,
    ) -> Result<(Vec<u8>, SocketAddr), Failure> {
        if let Err(error) = socket.send_to(message, self.address) {
            let error = common::lang::os_error(&error);
            let address = self.address;
            return Err(Failure::plain(tr!(
                "cannot send to {address}: {error}",
                "无法向 {address} 发送：{error}"
            )));
        }
        self.receive(socket, wait)
            .ok_or_else(|| self.silent(message))
    }

    /// The first datagram to arrive at `socket` within `wait`.
    fn receive(&self, socket: &UdpSocket, wait: Duration) -> Option<(Vec<u8>, SocketAddr)> {
        let deadline = Instant::now() + wait;
        let mut buffer = vec![0; LARGEST];
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())?;
            let _ = socket.set_read_timeout(Some(left));
            match socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    self.answered.set(self.answered.get() + 1);
                    return Some((buffer[..len].to_vec(), from));
                }
                // Windows reports an earlier datagram's refusal here: not a reply, go on.
                Err(error) if error.kind() == ErrorKind::ConnectionReset => continue,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
    }

    /// No reply to `message`, in the student's words.
    fn silent(&self, message: &[u8]) -> Failure {
        let (sent, address, secs) = (shown(message), self.address, REPLY.as_secs());
        Failure::named(
            Mistake::Silent,
            tr!(
                "no reply to {sent} within {secs} s: over UDP a stopped server and one that replies elsewhere look alike; is it running at {address}, and does it reply with sendto(reply, addr), addr being what recvfrom() returned?",
                "{secs} 秒内没有收到对 {sent} 的回复：在 UDP 上，停止的服务器和把回复发到别处的服务器看起来一样；服务器在 {address} 上运行吗？它是用 sendto(reply, addr) 回复的吗（addr 是 recvfrom() 返回的地址）？"
            ),
        )
    }

    /// When the server's port refuses datagrams (nobody listens), the failure that says so.
    fn refused(&self) -> Option<Failure> {
        let socket = self.socket().ok()?;
        // Only a connected socket hears the refusal (ICMP "port unreachable") on every system.
        socket.connect(self.address).ok()?;
        socket.send(b"lab-check: anyone there?").ok()?;
        let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buffer = [0; 64];
        let error = socket.recv(&mut buffer).err()?;
        let address = self.address;
        matches!(
            error.kind(),
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
        )
        .then(|| {
            Failure::named(
                Mistake::NotListening,
                tr!(
                    "nothing is listening at {address} (the port refused the datagram): is the UDP server running, on this address and port?",
                    "{address} 上没有程序在监听（该端口拒收了数据报）：UDP 服务器在运行吗？地址和端口对吗？"
                ),
            )
        })
    }

    /// Asks `message` from a fresh socket; the reply, whoever sent it.
    fn ask_fresh(&self, message: &[u8]) -> Result<Vec<u8>, Failure> {
        let socket = self.socket()?;
        self.ask(&socket, message).map(|(reply, _)| reply)
    }
}

/// The book's client sends `hello`; the reply must be `[` + ctime + `] hello`, nothing more.
fn reply(server: &Server) -> Outcome {
    let message = b"hello";
    let socket = server.socket()?;
    let reply = match server.ask_within(&socket, message, FIRST_WAIT) {
        Ok((reply, _)) => reply,
        // Nothing yet: a port that refuses datagrams says nobody listens, at once.
        Err(failure) => match server.refused() {
            Some(refused) => return Err(refused),
            None => match server.receive(&socket, REPLY - FIRST_WAIT) {
                Some((reply, _)) => reply,
                None => return Err(failure),
            },
        },
    };
    let reading = reply::read(&reply, message);
    let mut mistakes = reading.mistakes;
    mistakes.extend(reply::data_mistake(&reading.data, message));
    mistaken(&reply, &mistakes)
}

/// The stamp is this machine's local time, and it moves.
fn time(server: &Server) -> Outcome {
    judge::time_now_and_moving(|message| {
        let reply = server.ask_fresh(message)?;
        judge::time_of(&reply, message, server.now)
    })
}

/// Several datagrams from one client are each answered with their own data.
fn several(server: &Server) -> Outcome {
    let socket = server.socket()?;
    for message in [&b"one"[..], b"two", b"three"] {
        let (reply, _) = server.ask(&socket, message)?;
        let data = reply::read(&reply, message).data;
        if reply::data_mistake(&data, message).is_some() {
            let (got, sent) = (got(&reply), shown(message));
            return Err(Failure::named(
                Mistake::Changed,
                tr!(
                    "{got} for {sent}: each datagram is answered with its own data, after the stamp",
                    "对 {sent} {got}：每个数据报都应在时间戳之后带回它自己的数据"
                ),
            ));
        }
    }
    Ok(tr!(
        "3 datagrams from one client, 3 replies",
        "同一客户端的 3 个数据报都得到了回复"
    ))
}

/// Clients on different ports each get their own reply: the server answers the address that
/// came with each datagram, not one it kept.
fn senders(server: &Server) -> Outcome {
    let class = [server.socket()?, server.socket()?, server.socket()?];
    for (i, socket) in class.iter().enumerate() {
        let n = i + 1;
        let message = format!("from client {n}").into_bytes();
        match server.ask(socket, &message) {
            Ok((reply, _)) => {
                let data = reply::read(&reply, &message).data;
                if data != message {
                    let (got, sent) = (got(&reply), shown(&message));
                    return Err(Failure::named(
                        Mistake::WrongAddress,
                        tr!(
                            "client {n} sent {sent} and {got}: each client gets the reply to its own datagram",
                            "客户端 {n} 发送了 {sent}，{got}：每个客户端都应收到对它自己数据报的回复"
                        ),
                    ));
                }
            }
            Err(failure) => {
                // Did the reply go to an earlier client instead?
                let elsewhere = class[..i].iter().any(|earlier| {
                    server
                        .receive(earlier, Duration::from_millis(100))
                        .is_some()
                });
                if !elsewhere {
                    return Err(failure);
                }
                return Err(Failure::named(
                    Mistake::WrongAddress,
                    tr!(
                        "the reply to client {n} went to an earlier client's address: the server answers an address it kept; reply to the addr that recvfrom() returned with this datagram",
                        "对客户端 {n} 的回复被发到了之前某个客户端的地址：服务器回复的是它保存下来的旧地址；请回复到这次 recvfrom() 返回的 addr"
                    ),
                ));
            }
        }
    }
    Ok(tr!(
        "3 clients on 3 ports each got their own reply",
        "3 个端口上的 3 个客户端都收到了各自的回复"
    ))
}

/// The reply comes from the address and port the datagram was sent to: a client that
/// accepts replies only from its server (as udp-client does) hears it.
fn source(server: &Server) -> Outcome {
    let socket = server.socket()?;
    let (_, from) = server.ask(&socket, b"who is answering?")?;
    let address = server.address;
    let same = from == address
        || (from.port() == address.port()
            && from.ip().to_canonical() == address.ip().to_canonical());
    if same {
        return Ok(tr!("the reply came from {from}", "回复来自 {from}"));
    }
    Err(Failure::named(
        Mistake::WrongSource,
        tr!(
            "the reply came from {from}, not from {address} where the datagram went: a client that takes replies only from its server drops it; reply with the socket that received the datagram (udpSerSock.sendto)",
            "回复来自 {from}，而不是数据报发往的 {address}：只接受服务器回复的客户端会丢弃它；请用收到数据报的那个套接字回复（udpSerSock.sendto）"
        ),
    ))
}

/// Chinese text comes back byte for byte.
fn chinese(server: &Server) -> Outcome {
    let message = "你好，世界！网络编程".as_bytes();
    let reply = server.ask_fresh(message)?;
    exact_data(&reply, message)
}

/// Bytes that are not UTF-8 come back as they were; no reply while plain text is still
/// answered is a failed decode.
fn not_utf8(server: &Server) -> Outcome {
    let message: &[u8] = b"caf\xe9 \xff\xfe \x80 end";
    match server.ask_fresh(message) {
        Ok(reply) => exact_data(&reply, message),
        // Silent on these bytes only, for a server that answered before: a failed decode.
        Err(failure) if failure.mistake == Some(Mistake::Silent) && server.answered.get() > 0 => {
            let sent = shown(message);
            let still = server.ask_fresh(b"still there?").is_ok();
            Err(Failure::named(
                Mistake::FailedDecode,
                if still {
                    tr!(
                        "no reply to {sent}, bytes that are not UTF-8, while plain text is still answered: the server probably failed to decode them (UnicodeDecodeError); send the received bytes back without decode()",
                        "没有收到对 {sent}（不是 UTF-8 的字节）的回复，而普通文本仍有回复：服务器很可能在解码时出错了（UnicodeDecodeError）；请不经 decode()，直接发回收到的字节"
                    )
                } else {
                    tr!(
                        "no reply to {sent}, bytes that are not UTF-8, and none since: the server stopped on them (UnicodeDecodeError?); send the received bytes back without decode()",
                        "没有收到对 {sent}（不是 UTF-8 的字节）的回复，之后也再没有回复：服务器因它们而停止了（UnicodeDecodeError？）；请不经 decode()，直接发回收到的字节"
                    )
                },
            ))
        }
        Err(failure) => Err(failure),
    }
}

/// A client that leaves before its reply comes (the reply meets a closed port) does not end
/// the server.
fn vanished(server: &Server) -> Outcome {
    // A server that never answered cannot show whether a vanished client ends it.
    if server.answered.get() == 0 {
        return Err(Failure::named(
            Mistake::Silent,
            tr!(
                "not checked: the server has answered no datagram so far",
                "未检查：服务器到目前为止没有回复过任何数据报"
            ),
        ));
    }
    {
        let gone = server.socket()?;
        let _ = gone.send_to(b"gone before the reply", server.address);
    }
    match server.ask_fresh(b"are you still there?") {
        Ok(_) => Ok(tr!(
            "the server went on after a client left before its reply",
            "客户端在收到回复前离开后，服务器继续正常服务"
        )),
        Err(_) => Err(Failure::named(
            Mistake::DiesOnReset,
            tr!(
                "after a client left before its reply came, the server answers no more: the refused reply (an ICMP error, ConnectionResetError on Windows) ended it; catch the error around sendto()/recvfrom() and go on",
                "一个客户端在收到回复前离开后，服务器就不再回复了：被拒收的回复（ICMP 错误，在 Windows 上是 ConnectionResetError）让它停止了；请在 sendto()/recvfrom() 外捕获这个错误并继续"
            ),
        )),
    }
}
