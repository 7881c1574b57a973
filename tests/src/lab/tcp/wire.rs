//! The TCP checks' side of the wire: connecting (and saying why not), sending, and listening
//! for a reply until it is whole, the server pauses, closes, floods, or the deadline passes.
//! Every byte each way goes into the transcript.

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::tr;

use super::super::local;
use super::super::reply;
use super::super::show::bytes as shown;
use super::super::transcript::Transcript;
use super::super::{Clock, Failure, Mistake, Patience, Settings};

/// More than any reply to our messages could be: a server past this answers forever.
pub const TOO_MUCH: usize = 64 * 1024;

/// The server under test, and what the checks so far learnt about it.
pub struct Server {
    /// Where it listens.
    pub address: SocketAddr,
    /// The time a right stamp shows.
    pub clock: Clock,
    /// How long to wait.
    pub patience: Patience,
    /// What was sent and what came.
    pub transcript: Transcript,
    /// How many connections it answered so far: nothing listening after some means it stopped.
    pub answered: Cell<usize>,
    /// How many connections it accepted so far: a connection that then goes unanswered means
    /// a full listen queue, not a wrong address.
    connected: Cell<usize>,
    /// How many connections the kit opened, to number them in the transcript.
    opened: Cell<usize>,
    /// Set when a connection attempt timed out: later checks fail at once instead of each
    /// waiting as long again.
    unreachable: Cell<bool>,
}

/// One connection of a check.
pub struct Connection {
    /// The socket.
    pub stream: TcpStream,
    /// Its number in the transcript: `#3`.
    pub who: String,
    /// True once the server answered on it (counted once in [`Server::answered`]).
    answered: bool,
}

/// What came back for one message, and how the server stopped sending.
pub struct Heard {
    /// Every byte that came.
    pub bytes: Vec<u8>,
    /// Why the listening stopped.
    pub ending: Ending,
}

/// Why the kit stopped listening for a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The reply was complete, or the server paused after sending some.
    Quiet,
    /// Nothing at all came before the deadline.
    Silent,
    /// The server closed the connection.
    Closed,
    /// The connection was reset.
    Reset,
    /// More came than any reply could be.
    Flood,
    /// Bytes were still trickling in at the deadline.
    Deadline,
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
            connected: Cell::new(0),
            opened: Cell::new(0),
            unreachable: Cell::new(false),
        }
    }

    /// Connects, or says why not in the student's words.
    pub fn open(&self) -> Result<Connection, Failure> {
        let address = self.address;
        if self.unreachable.get() {
            return Err(Failure::named(
                Mistake::NotListening,
                tr!(
                    "not tried: an earlier connection to {address} got no answer",
                    "未检查：之前连接 {address} 时没有应答"
                ),
            ));
        }
        self.opened.set(self.opened.get() + 1);
        let who = format!("#{}", self.opened.get());
        match TcpStream::connect_timeout(&address, self.patience.connect()) {
            Ok(stream) => {
                self.connected.set(self.connected.get() + 1);
                let _ = stream.set_nodelay(true);
                let _ = stream.set_write_timeout(Some(self.patience.reply()));
                let from = stream
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                self.transcript
                    .note(&who, &tr!("connected from {from}", "已连接，本端 {from}"));
                Ok(Connection {
                    stream,
                    who,
                    answered: false,
                })
            }
            Err(error) => {
                let error_text = common::lang::os_error(&error);
                self.transcript
                    .note(&who, &tr!("connect: {error_text}", "连接：{error_text}"));
                Err(self.cannot_connect(&error))
            }
        }
    }

    /// Why a connection failed, and what that says about the server.
    pub fn cannot_connect(&self, error: &std::io::Error) -> Failure {
        let address = self.address;
        let answered = self.answered.get();
        match error.kind() {
            ErrorKind::ConnectionRefused if answered == 1 => Failure::named(
                Mistake::EndsAfterFirstClient,
                tr!(
                    "nothing listens at {address} any more: the server answered its first client, and ended when that client left; keep accept() inside the outer loop (while True:), and close only the client's socket",
                    "{address} 上已经没有程序在监听：服务器回复了第一个客户端，在它离开后就结束了；请把 accept() 放在外层循环（while True:）里，并且只关闭客户端的套接字"
                ),
            ),
            ErrorKind::ConnectionRefused if answered > 1 => Failure::named(
                Mistake::Stopped,
                tr!(
                    "nothing listens at {address} any more, though the server answered {answered} earlier connections: it has stopped, on what an earlier check sent (see the first check that failed)",
                    "{address} 上已经没有程序在监听，而服务器之前回复过 {answered} 个连接：它已经停止了，是前面某项检查发送的内容让它停下的（见第一项未通过的检查）"
                ),
            ),
            ErrorKind::ConnectionRefused => self.refused(),
            ErrorKind::TimedOut | ErrorKind::WouldBlock if self.connected.get() > 0 => {
                self.unreachable.set(true);
                let secs = self.patience.connect().as_secs_f64();
                Failure::named(
                    Mistake::Silent,
                    tr!(
                        "a connection to {address} got no answer within {secs} s, though earlier ones were taken: its listen queue is full, so the server is not calling accept() for new clients",
                        "{secs} 秒内连接 {address} 没有应答，而之前的连接都被接受了：它的等待队列已满，说明服务器没有为新客户端调用 accept()"
                    ),
                )
            }
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                self.unreachable.set(true);
                let (secs, port) = (self.patience.connect().as_secs_f64(), address.port());
                Failure::named(
                    Mistake::NotListening,
                    tr!(
                        "no answer from {address} within {secs} s: no machine answered there (a wrong address, a machine that is off or on another network), or a firewall drops the connection: check the address, and that the server machine's firewall lets port {port} in",
                        "{secs} 秒内 {address} 没有应答：那里没有机器应答（地址不对，或机器关着、不在同一个网络），或者防火墙丢弃了连接：请检查地址，以及服务器所在机器的防火墙是否放行了端口 {port}"
                    ),
                )
            }
            _ => {
                let error = common::lang::os_error(error);
                Failure::named(
                    Mistake::NotListening,
                    tr!(
                        "cannot connect to {address}: {error}",
                        "无法连接 {address}：{error}"
                    ),
                )
            }
        }
    }

    /// A refusal before any reply: nothing listens, or not on the interface asked, and what
    /// the kit can tell of which.
    fn refused(&self) -> Failure {
        let (address, ip, port) = (self.address, self.address.ip(), self.address.port());
        if !local::is_this_machine(ip) {
            return Failure::named(
                Mistake::RefusedFromOutside,
                tr!(
                    "{ip} refused the connection to port {port} (connection refused): a machine is there, but no program takes connections from other machines on that port. Either the server is not running there (or runs on another port), or it listens on 127.0.0.1 only (our servers without --host, Python's HOST = 'localhost'): start it to listen on every interface, HOST = '' as the book does (--host 0.0.0.0 for ours). From here the kit cannot tell which (a firewall that rejects looks the same)",
                    "{ip} 拒绝了到端口 {port} 的连接（连接被拒绝）：那台机器在，但它的这个端口上没有程序接受其他机器的连接。要么服务器没有运行（或者用的是别的端口），要么它只监听 127.0.0.1（我们的服务器不加 --host，Python 的 HOST = 'localhost'）：请让它监听所有网络接口，即书中的 HOST = ''（我们的服务器用 --host 0.0.0.0）。从这里无法分辨是哪一种（拒绝连接的防火墙看起来也一样）"
                ),
            );
        }
        if let Some(other) = local::tcp_elsewhere(address, self.patience.probe()) {
            let only = other.ip();
            return Failure::named(
                Mistake::OneInterfaceOnly,
                tr!(
                    "nothing listens at {address} (connection refused), but port {port} of this machine takes connections at {other}: the server listens on {only} only, so clients at {ip} (and other machines) are refused; listen on every interface: HOST = '' as the book does (--host 0.0.0.0 for ours)",
                    "{address} 上没有程序在监听（连接被拒绝），但本机的端口 {port} 在 {other} 上接受连接：服务器只监听 {only}，所以连接 {ip} 的客户端（以及其他机器）都会被拒绝；请监听所有网络接口：即书中的 HOST = ''（我们的服务器用 --host 0.0.0.0）"
                ),
            );
        }
        Failure::named(
            Mistake::NotListening,
            tr!(
                "nothing is listening at {address} (connection refused): is the server running, on this address and port?",
                "{address} 上没有程序在监听（连接被拒绝）：服务器在运行吗？地址和端口对吗？"
            ),
        )
    }

    /// Sends `message` on `connection`, into the transcript.
    pub fn send(&self, connection: &mut Connection, message: &[u8]) -> std::io::Result<()> {
        self.transcript.sent(&connection.who, message);
        let sent = connection.stream.write_all(message);
        if let Err(error) = &sent {
            let error = common::lang::os_error(error);
            self.transcript
                .note(&connection.who, &tr!("send: {error}", "发送：{error}"));
        }
        sent
    }

    /// Sends `message` and listens for its reply; `Err` when nothing usable came.
    pub fn ask(&self, connection: &mut Connection, message: &[u8]) -> Result<Vec<u8>, Failure> {
        let reply = self.patience.reply();
        if let Err(error) = self.send(connection, message) {
            return Err(nothing(&Heard::after_write_error(&error), message, reply));
        }
        let heard = self.hear(connection, Instant::now() + reply, |bytes| {
            answers(bytes, message)
        });
        match heard.ending {
            Ending::Flood => Err(nothing(&heard, message, reply)),
            _ if heard.bytes.is_empty() => {
                Err(self.stopped_or(nothing(&heard, message, reply), message))
            }
            _ => Ok(heard.bytes),
        }
    }

    /// A connection closed without a reply may be the server ending (it crashed on the
    /// message, or it was still in the backlog as the server closed its socket): when nothing
    /// listens now, that is the failure to name; otherwise `failure`.
    fn stopped_or(&self, failure: Failure, message: &[u8]) -> Failure {
        if failure.mistake != Some(Mistake::ClosedWithoutReply) {
            return failure;
        }
        match TcpStream::connect_timeout(&self.address, self.patience.connect()) {
            Err(error) if error.kind() != ErrorKind::ConnectionRefused => failure,
            Ok(_) => failure,
            Err(_) if self.answered.get() == 0 => {
                let (address, sent) = (self.address, shown(message));
                Failure::named(
                    Mistake::CrashedOnFirstMessage,
                    tr!(
                        "the server accepted the connection, closed it without replying to {sent}, and nothing listens at {address} since: it crashed on the first message. In Python 3 the usual cause is send('[%s] %s' % (ctime(), data)): a str where bytes are needed raises TypeError (see the server's terminal); send bytes: ('[%s] ' % ctime()).encode() + data",
                        "服务器接受了连接，没有回复 {sent} 就关闭了它，之后 {address} 上再没有程序在监听：它在收到第一条消息时崩溃了。在 Python 3 中，常见的原因是 send('[%s] %s' % (ctime(), data))：需要 bytes 的地方给了 str，会抛出 TypeError（见服务器的终端）；请发送字节：('[%s] ' % ctime()).encode() + data"
                    ),
                )
            }
            Err(error) => self.cannot_connect(&error),
        }
    }

    /// Counts a connection as answered at its first reply.
    pub fn count(&self, connection: &mut Connection, heard: &Heard) {
        if !heard.bytes.is_empty() && !connection.answered {
            connection.answered = true;
            self.answered.set(self.answered.get() + 1);
        }
    }

    /// Listens on `connection` until `complete` says the reply is all there (then a moment
    /// more), the server pauses after sending some, closes, sends too much, or `deadline`
    /// passes; counts the connection as answered when anything came.
    pub fn hear(
        &self,
        connection: &mut Connection,
        deadline: Instant,
        complete: impl Fn(&[u8]) -> bool,
    ) -> Heard {
        self.hear_for(connection, deadline, complete, true)
    }

    /// Like [`Server::hear`], stopping as soon as the reply is complete when not `linger`
    /// (a check that needs no more than the reply: a class of clients answered at once).
    pub fn hear_for(
        &self,
        connection: &mut Connection,
        deadline: Instant,
        complete: impl Fn(&[u8]) -> bool,
        linger: bool,
    ) -> Heard {
        let heard = self.listen(connection, deadline, complete, linger);
        let what = match heard.ending {
            Ending::Quiet => None,
            Ending::Silent => Some(tr!("nothing more came", "没有再收到任何内容")),
            Ending::Closed => Some(tr!("closed by the server", "服务器关闭了连接")),
            Ending::Reset => Some(tr!("reset by the server", "连接被服务器重置")),
            Ending::Flood => Some(tr!(
                "more than 64 KiB: stopped listening",
                "超过 64 KiB：不再接收"
            )),
            Ending::Deadline => Some(tr!("still coming at the deadline", "到时限时仍在传来")),
        };
        if let Some(what) = what {
            self.transcript.note(&connection.who, &what);
        }
        self.count(connection, &heard);
        heard
    }

    /// [`Server::hear`]'s loop.
    fn listen(
        &self,
        connection: &mut Connection,
        deadline: Instant,
        complete: impl Fn(&[u8]) -> bool,
        linger: bool,
    ) -> Heard {
        let mut bytes = Vec::new();
        let mut buffer = [0; 16 * 1024];
        loop {
            let Some(left) = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
            else {
                let ending = if bytes.is_empty() {
                    Ending::Silent
                } else if complete(&bytes) {
                    Ending::Quiet
                } else {
                    Ending::Deadline
                };
                return Heard { bytes, ending };
            };
            let wait = match (bytes.is_empty(), complete(&bytes)) {
                (false, true) if !linger => {
                    return Heard {
                        bytes,
                        ending: Ending::Quiet,
                    };
                }
                (true, _) => left,
                (false, true) => self.patience.grace().min(left),
                (false, false) => self.patience.quiet().min(left),
            };
            let stream = &mut connection.stream;
            let _ = stream.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            let ending = match stream.read(&mut buffer) {
                Ok(0) => Ending::Closed,
                Ok(read) => {
                    self.transcript.came(&connection.who, &buffer[..read]);
                    bytes.extend_from_slice(&buffer[..read]);
                    if bytes.len() <= TOO_MUCH {
                        continue;
                    }
                    Ending::Flood
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    if bytes.is_empty() {
                        continue; // the deadline ends it, above
                    }
                    Ending::Quiet
                }
                Err(_) => Ending::Reset,
            };
            return Heard { bytes, ending };
        }
    }
}

/// True once `bytes` hold a whole reply to `message`: as long as `[` + ctime + `] ` and the
/// message, or a reply of another form whose data is the message (so a short stamp is not
/// waited on).
pub fn answers(bytes: &[u8], message: &[u8]) -> bool {
    bytes.len() >= 27 + message.len() || reply::read(bytes, message).data == message
}

impl Heard {
    /// What a failed send says about the connection.
    pub fn after_write_error(error: &std::io::Error) -> Heard {
        let ending = match error.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => Ending::Silent,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Ending::Reset,
            _ => Ending::Closed,
        };
        Heard {
            bytes: Vec::new(),
            ending,
        }
    }
}

/// Why nothing usable came back for `message`, in the student's words.
pub fn nothing(heard: &Heard, message: &[u8], waited: Duration) -> Failure {
    let len = message.len();
    let sent = if len > 100 {
        tr!("{len} bytes", "{len} 字节")
    } else {
        shown(message)
    };
    let secs = waited.as_secs_f64();
    match heard.ending {
        Ending::Flood => Failure::named(
            Mistake::AnswersForever,
            tr!(
                "more than 64 KiB came back for {len} bytes sent, and more was coming: the server keeps sending (a send() in a loop that never ends?)",
                "发送了 {len} 字节，却收到了超过 64 KiB 的回复，而且还在继续：服务器在不停地发送（send() 放在了一个不会结束的循环里？）"
            ),
        ),
        Ending::Closed | Ending::Reset => Failure::named(
            Mistake::ClosedWithoutReply,
            tr!(
                "the server closed the connection without replying to {sent}: it failed on the message (an exception in its loop? In Python 3 the usual one is a TypeError from send('[%s] %s' % (ctime(), data)): send bytes, ('[%s] ' % ctime()).encode() + data); see the server's terminal",
                "服务器没有回复 {sent} 就关闭了连接：它在处理这条消息时出错了（循环里抛出了异常？在 Python 3 中常见的是 send('[%s] %s' % (ctime(), data)) 引发的 TypeError：请发送字节，('[%s] ' % ctime()).encode() + data）；请查看服务器的终端"
            ),
        ),
        _ => Failure::named(
            Mistake::Silent,
            tr!(
                "no reply within {secs} s to {sent}: the server must answer each recv() as it comes; does it wait for more (a newline, readline(), a full buffer)?",
                "{secs} 秒内没有收到对 {sent} 的回复：服务器应当每次 recv() 之后立即回复；它是不是在等待更多数据（换行符、readline()、填满缓冲区）？"
            ),
        ),
    }
}
