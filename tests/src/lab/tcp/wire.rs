//! The TCP checks' side of the wire: connecting (and saying why not), sending, and listening
//! for a reply until it is whole, the server pauses, closes, floods, or the deadline passes.
//! Every byte each way goes into the transcript.

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::tr;

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
    pub(super) connected: Cell<usize>,
    /// How many connections the kit opened, to number them in the transcript.
    opened: Cell<usize>,
    /// Set when a connection attempt timed out: later checks fail at once instead of each
    /// waiting as long again.
    pub(super) unreachable: Cell<bool>,
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
