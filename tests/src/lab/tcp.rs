//! The TCP server's checks (book 16.3.3), each on connections of its own, with its own
//! deadline.
//!
//! They run one after another, in an order that keeps them apart: the checks that can end a
//! fragile server (bytes that are not UTF-8, a reset) come last, and a server that stopped is
//! named as such by every check after.

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::tr;

use super::judge::{self, exact_data, got, mistaken};
use super::reply::{self, Mistake};
use super::show::bytes as shown;
use super::{Check, Failure, LocalNow, Named, Outcome, run_in_turn};

/// The checks, each with its name, in the order they run.
pub const CHECKS: [Named<Server>; 9] = [
    ("reply", reply),
    ("time", time),
    ("several", several),
    ("long", long),
    ("chinese", chinese),
    ("next-client", next_client),
    ("at-once", at_once),
    ("not-utf8", not_utf8),
    ("reset", reset),
];

/// How long a connection may take: a LAN answers in milliseconds.
const CONNECT: Duration = Duration::from_secs(3);
/// How long a reply may take to begin.
const REPLY: Duration = Duration::from_secs(2);
/// How long a message longer than the buffer may take to come back whole.
const LONG: Duration = Duration::from_secs(4);
/// How long the class of clients connected together waits for its replies.
const AT_ONCE: Duration = Duration::from_secs(3);
/// Once a reply is complete, how long to listen for anything more (an extra newline).
const GRACE: Duration = Duration::from_millis(150);
/// Once some of a reply came, how long a pause means the server has sent all it will.
const QUIET: Duration = Duration::from_millis(500);
/// More than any reply to our messages could be: a server past this answers forever.
const TOO_MUCH: usize = 64 * 1024;
/// The clients held connected together in the "at once" check: a few students.
const CLASS: usize = 5;
/// The message longer than the book's `BUFSIZ` of 1024 bytes.
const LONG_LEN: usize = 3000;

/// Runs every check against the server at `address`.
pub fn run(address: SocketAddr, now: LocalNow) -> Vec<Check> {
    let server = Server {
        address,
        now,
        answered: Cell::new(0),
        connected: Cell::new(0),
        unreachable: Cell::new(false),
    };
    run_in_turn(&CHECKS, &server, |server| server.answered.get())
}

/// The server under test, and what the checks so far learnt about it.
pub struct Server {
    /// Where it listens.
    address: SocketAddr,
    /// The local time a right stamp shows.
    now: LocalNow,
    /// How many connections it answered so far: nothing listening after some means it stopped.
    answered: Cell<usize>,
    /// How many connections it accepted so far: a connection that then goes unanswered means
    /// a full listen queue, not a wrong address.
    connected: Cell<usize>,
    /// Set when a connection attempt timed out: later checks fail at once instead of each
    /// waiting as long again.
    unreachable: Cell<bool>,
}

/// One connection of a check.
struct Connection {
    /// The socket.
    stream: TcpStream,
    /// True once the server answered on it (counted once in [`Server::answered`]).
    answered: bool,
}

/// What came back for one message, and how the server stopped sending.
struct Heard {
    /// Every byte that came.
    bytes: Vec<u8>,
    /// Why the listening stopped.
    ending: Ending,
}

/// Why the kit stopped listening for a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
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
    /// Connects, or says why not in the student's words.
    fn open(&self) -> Result<Connection, Failure> {
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
        match TcpStream::connect_timeout(&address, CONNECT) {
            Ok(stream) => {
                self.connected.set(self.connected.get() + 1);
                let _ = stream.set_nodelay(true);
                let _ = stream.set_write_timeout(Some(REPLY));
                Ok(Connection {
                    stream,
                    answered: false,
                })
            }
            Err(error) => Err(self.cannot_connect(&error)),
        }
    }

    /// Why a connection failed, and what that says about the server.
    fn cannot_connect(&self, error: &std::io::Error) -> Failure {
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
            ErrorKind::ConnectionRefused => Failure::named(
                Mistake::NotListening,
                tr!(
                    "nothing is listening at {address} (connection refused): is the server running, on this address and port?",
                    "{address} 上没有程序在监听（连接被拒绝）：服务器在运行吗？地址和端口对吗？"
                ),
            ),
            ErrorKind::TimedOut | ErrorKind::WouldBlock if self.connected.get() > 0 => {
                self.unreachable.set(true);
                let secs = CONNECT.as_secs();
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
                let secs = CONNECT.as_secs();
                Failure::named(
                    Mistake::NotListening,
                    tr!(
                        "no answer from {address} within {secs} s: check the address, that the server listens on every interface (HOST = '' or --host 0.0.0.0), and the firewall",
                        "{secs} 秒内 {address} 没有应答：请检查地址是否正确、服务器是否监听所有网络接口（HOST = '' 或 --host 0.0.0.0）、防火墙是否放行了该端口"
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

    /// Sends `message` and listens for its reply; `Err` when nothing usable came.
    fn ask(&self, connection: &mut Connection, message: &[u8]) -> Result<Vec<u8>, Failure> {
        if let Err(error) = connection.stream.write_all(message) {
            return Err(nothing(&Heard::after_write_error(&error), message, REPLY));
        }
        let deadline = Instant::now() + REPLY;
        let heard = hear(&mut connection.stream, deadline, |bytes| {
            answers(bytes, message)
        });
        self.count(connection, &heard);
        match heard.ending {
            Ending::Flood => Err(nothing(&heard, message, REPLY)),
            _ if heard.bytes.is_empty() => Err(self.stopped_or(nothing(&heard, message, REPLY))),
            _ => Ok(heard.bytes),
        }
    }

    /// A connection closed without a reply may be the server ending (it was still in the
    /// backlog as the server closed its socket): when nothing listens now, that is the
    /// failure to name; otherwise `failure`.
    fn stopped_or(&self, failure: Failure) -> Failure {
        if failure.mistake != Some(Mistake::ClosedWithoutReply) {
            return failure;
        }
        match TcpStream::connect_timeout(&self.address, CONNECT) {
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
                self.cannot_connect(&error)
            }
            _ => failure,
        }
    }

    /// Counts a connection as answered at its first reply.
    fn count(&self, connection: &mut Connection, heard: &Heard) {
        if !heard.bytes.is_empty() && !connection.answered {
            connection.answered = true;
            self.answered.set(self.answered.get() + 1);
        }
    }
}

/// True once `bytes` hold a whole reply to `message`: as long as `[` + ctime + `] ` and the
/// message, or a reply of another form whose data is the message (so a short stamp is not
/// waited on).
fn answers(bytes: &[u8], message: &[u8]) -> bool {
    bytes.len() >= 27 + message.len() || reply::read(bytes, message).data == message
}

impl Heard {
    /// What a failed send says about the connection.
    fn after_write_error(error: &std::io::Error) -> Heard {
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

/// Listens until `complete` says the reply is all there (then a moment more), the server
/// pauses after sending some, closes, sends too much, or `deadline` passes.
fn hear(stream: &mut TcpStream, deadline: Instant, complete: impl Fn(&[u8]) -> bool) -> Heard {
    let mut bytes = Vec::new();
    let mut buffer = [0; 16 * 1024];
    loop {
        let now = Instant::now();
        let Some(left) = deadline
            .checked_duration_since(now)
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
            (true, _) => left,
            (false, true) => GRACE.min(left),
            (false, false) => QUIET.min(left),
        };
        let _ = stream.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let ending = match stream.read(&mut buffer) {
            Ok(0) => Ending::Closed,
            Ok(read) => {
                bytes.extend_from_slice(&buffer[..read]);
                if bytes.len() <= TOO_MUCH {
                    continue;
                }
                Ending::Flood
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
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

/// Why nothing usable came back for `message`, in the student's words.
fn nothing(heard: &Heard, message: &[u8], waited: Duration) -> Failure {
    let len = message.len();
    let sent = if len > 100 {
        tr!("{len} bytes", "{len} 字节")
    } else {
        shown(message)
    };
    let secs = waited.as_secs();
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
                "the server closed the connection without replying to {sent}: did it fail on the message (an exception in its loop?)",
                "服务器没有回复 {sent} 就关闭了连接：它是不是在处理这条消息时出错了（循环里抛出了异常？）"
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

/// The book's client sends `hello`; the reply must be `[` + ctime + `] hello`, nothing more.
fn reply(server: &Server) -> Outcome {
    let message = b"hello";
    let mut connection = server.open()?;
    let reply = server.ask(&mut connection, message)?;
    let reading = reply::read(&reply, message);
    let mut mistakes = reading.mistakes;
    mistakes.extend(reply::data_mistake(&reading.data, message));
    mistaken(&reply, &mistakes)
}

/// Asks for one stamp on a connection of its own, and reads its time in any layout.
fn stamped(server: &Server, message: &[u8]) -> Result<judge::Stamped, Failure> {
    let mut connection = server.open()?;
    let reply = server.ask(&mut connection, message)?;
    judge::time_of(&reply, message, server.now)
}

/// The stamp is this machine's local time, and it moves.
fn time(server: &Server) -> Outcome {
    judge::time_now_and_moving(|message| stamped(server, message))
}

/// Several messages on one connection are each answered: the inner loop.
fn several(server: &Server) -> Outcome {
    let messages: [&[u8]; 3] = [b"one", b"two", b"three"];
    let mut connection = server.open()?;
    for (i, &message) in messages.iter().enumerate() {
        let reply = match server.ask(&mut connection, message) {
            Ok(reply) => reply,
            Err(failure) if i == 0 => return Err(failure),
            Err(failure) => return Err(later_message(&failure, i, message)),
        };
        let data = reply::read(&reply, message).data;
        if reply::data_mistake(&data, message).is_some() {
            let (got, sent) = (got(&reply), shown(message));
            return Err(Failure::named(
                Mistake::Changed,
                tr!(
                    "{got} for {sent}: each message comes back as it was sent, after its stamp",
                    "对 {sent} {got}：每条消息都应原样跟在时间戳后面返回"
                ),
            ));
        }
    }
    Ok(tr!(
        "3 messages on one connection, 3 replies",
        "同一连接上的 3 条消息都得到了回复"
    ))
}

/// Why a message after the first on the same connection went unanswered.
fn later_message(failure: &Failure, answered: usize, message: &[u8]) -> Failure {
    let sent = shown(message);
    match failure.mistake {
        Some(Mistake::ClosedWithoutReply) if answered == 1 => Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "the server closed the connection after its first reply: keep the inner loop (while True: data = recv(BUFSIZ) ...) going until recv() returns nothing",
                "服务器回复一次后就关闭了连接：请让内层循环（while True: data = recv(BUFSIZ) ……）一直进行，直到 recv() 返回空"
            ),
        ),
        Some(Mistake::ClosedWithoutReply) => Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "the server closed the connection after {answered} replies, before answering {sent}: keep the inner loop going until recv() returns nothing",
                "服务器回复 {answered} 次后、回复 {sent} 之前关闭了连接：请让内层循环一直进行，直到 recv() 返回空"
            ),
        ),
        _ => {
            let why = &failure.why;
            Failure {
                why: tr!(
                    "{answered} messages were answered on this connection, then: {why}",
                    "这个连接上前 {answered} 条消息得到了回复，然后：{why}"
                ),
                mistake: failure.mistake,
            }
        }
    }
}

/// The data of every stamped reply in `replies`, joined (the data holds no `[`).
fn joined_data(replies: &[u8], sent: &[u8]) -> (Vec<u8>, usize) {
    let mut data = Vec::new();
    let mut pieces = 0;
    for piece in replies
        .split(|&byte| byte == b'[')
        .filter(|piece| !piece.is_empty())
    {
        pieces += 1;
        let reply = [b"[", piece].concat();
        data.extend(reply::read(&reply, sent).data);
    }
    (data, pieces)
}

/// A message longer than the book's 1024-byte buffer comes back whole, in stamped pieces.
fn long(server: &Server) -> Outcome {
    let message: Vec<u8> = (0..LONG_LEN).map(|i| b'a' + (i % 26) as u8).collect();
    let mut connection = server.open()?;
    if let Err(error) = connection.stream.write_all(&message) {
        return Err(nothing(&Heard::after_write_error(&error), &message, LONG));
    }
    let deadline = Instant::now() + LONG;
    let heard = hear(&mut connection.stream, deadline, |bytes| {
        joined_data(bytes, &message).0.len() >= message.len()
    });
    server.count(&mut connection, &heard);
    if heard.bytes.is_empty() || heard.ending == Ending::Flood {
        return Err(nothing(&heard, &message, LONG));
    }
    let (data, pieces) = joined_data(&heard.bytes, &message);
    let (len, total) = (data.len(), message.len());
    if data == message {
        return Ok(tr!(
            "{total} bytes came back whole, in {pieces} stamped replies",
            "{total} 字节完整返回，分成了 {pieces} 段带时间戳的回复"
        ));
    }
    if !message.starts_with(&data) {
        let at = data
            .iter()
            .zip(&message)
            .position(|(a, b)| a != b)
            .unwrap_or(len.min(total));
        return Err(Failure::named(
            Mistake::Changed,
            tr!(
                "the {total} bytes came back changed from byte {at} on: each recv()'s bytes come back as they were, after a stamp",
                "{total} 字节从第 {at} 字节起被改动了：每次 recv() 收到的字节都应在时间戳之后原样返回"
            ),
        ));
    }
    let secs = LONG.as_secs();
    match heard.ending {
        Ending::Closed | Ending::Reset => Err(Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "only {len} of the {total} bytes came back, then the server closed the connection: it answers once and closes; keep recv()ing until recv() returns nothing",
                "{total} 字节只返回了 {len} 字节，服务器就关闭了连接：它只回复一次就关闭；请一直 recv()，直到 recv() 返回空"
            ),
        )),
        _ => Err(Failure::named(
            Mistake::NotWhole,
            tr!(
                "only {len} of the {total} bytes came back within {secs} s: a message longer than the buffer takes several recv() calls, and each one is answered",
                "{secs} 秒内 {total} 字节只返回了 {len} 字节：比缓冲区长的消息要分几次 recv() 才能读完，每一次都要回复"
            ),
        )),
    }
}

/// Chinese text comes back byte for byte.
fn chinese(server: &Server) -> Outcome {
    let message = "你好，世界！网络编程".as_bytes();
    let mut connection = server.open()?;
    let reply = server.ask(&mut connection, message)?;
    exact_data(&reply, message)
}

/// The outer loop: a second client is served after the first leaves.
fn next_client(server: &Server) -> Outcome {
    let mut first = server.open()?;
    server.ask(&mut first, b"first client")?;
    let _ = first.stream.shutdown(Shutdown::Both);
    drop(first);
    let address = server.address;
    let mut second = server.open()?;
    match server.ask(&mut second, b"second client") {
        Ok(_) => Ok(tr!(
            "a second client was served after the first left",
            "第一个客户端离开后，第二个客户端也得到了服务"
        )),
        Err(failure) if failure.mistake == Some(Mistake::Silent) => Err(Failure::named(
            Mistake::StuckOnGoneClient,
            tr!(
                "a second client, connected after the first left, got no reply: is the server still busy with the first? When recv() returns nothing (b''), that client has left: break out of the inner loop, close its socket and accept() the next ({address})",
                "第一个客户端离开后连接的第二个客户端没有收到回复：服务器是不是还在处理第一个客户端？recv() 返回空（b''）说明客户端已经离开：请跳出内层循环，关闭它的套接字，再 accept() 下一个（{address}）"
            ),
        )),
        Err(failure) => Err(failure),
    }
}

/// A class connected together is served together: every client gets its reply while all
/// stay connected. The book's loop serves the first and leaves the rest waiting.
fn at_once(server: &Server) -> Outcome {
    let mut class = Vec::new();
    for _ in 0..CLASS {
        class.push(server.open()?);
    }
    let messages: Vec<Vec<u8>> = (1..=CLASS)
        .map(|i| format!("student {i} of {CLASS}").into_bytes())
        .collect();
    for (connection, message) in class.iter_mut().zip(&messages) {
        let _ = connection.stream.write_all(message);
    }
    let deadline = Instant::now() + AT_ONCE;
    let mut answered = Vec::new();
    for (connection, message) in class.iter_mut().zip(&messages) {
        let heard = hear(&mut connection.stream, deadline, |bytes| {
            answers(bytes, message)
        });
        server.count(connection, &heard);
        answered.push(!heard.bytes.is_empty());
    }
    leave_politely(&mut class, Instant::now() + AT_ONCE);
    let count = answered.iter().filter(|&&answered| answered).count();
    let (waiting, secs) = (CLASS - count, AT_ONCE.as_secs());
    match count {
        0 => Err(Failure::named(
            Mistake::Silent,
            tr!(
                "none of {CLASS} clients connected together got a reply within {secs} s",
                "同时连接的 {CLASS} 个客户端在 {secs} 秒内都没有收到回复"
            ),
        )),
        CLASS => Ok(tr!(
            "{CLASS} clients connected together were each answered",
            "同时连接的 {CLASS} 个客户端都得到了回复"
        )),
        1 if answered[0] => Err(Failure::named(
            Mistake::OneAtATime,
            tr!(
                "of {CLASS} clients connected at the same time, only the first got a reply within {secs} s; the other {waiting} waited while it stayed connected: the server serves one client at a time (the book's loop). The exercise: a thread per client (socketserver.ThreadingTCPServer, threading) or an event loop (select, Twisted)",
                "同时连接的 {CLASS} 个客户端中，只有第一个在 {secs} 秒内收到了回复；它保持连接时，其余 {waiting} 个一直在等待：服务器一次只服务一个客户端（书中的循环）。练习：每个客户端一个线程（socketserver.ThreadingTCPServer、threading），或者用事件循环（select、Twisted）"
            ),
        )),
        _ => Err(Failure::named(
            Mistake::OneAtATime,
            tr!(
                "of {CLASS} clients connected at the same time, {count} got a reply within {secs} s, {waiting} waited: the server does not serve a class at once",
                "同时连接的 {CLASS} 个客户端中，{count} 个在 {secs} 秒内收到了回复，{waiting} 个一直在等待：服务器不能同时服务一个班的学生"
            ),
        )),
    }
}

/// Ends each connection as a patient client does: says it has no more to send, and reads
/// what comes until the server closes (or `deadline`). A server that serves one client at a
/// time then serves the rest in turn, instead of writing to clients that left and meeting
/// resets that the book's server does not survive (a check of its own, the last).
fn leave_politely(connections: &mut [Connection], deadline: Instant) {
    for connection in connections.iter_mut() {
        let _ = connection.stream.shutdown(Shutdown::Write);
    }
    for connection in connections.iter_mut() {
        let mut buffer = [0; 4096];
        for _ in 0..TOO_MUCH / buffer.len() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            let _ = connection
                .stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            match connection.stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    }
}

/// Bytes that are not UTF-8 come back as they were.
fn not_utf8(server: &Server) -> Outcome {
    let message: &[u8] = b"caf\xe9 \xff\xfe \x80 end";
    let mut connection = server.open()?;
    match server.ask(&mut connection, message) {
        Ok(reply) => exact_data(&reply, message),
        // Closed on these bytes only, by a server that answered before: a failed decode.
        Err(failure)
            if failure.mistake == Some(Mistake::ClosedWithoutReply)
                && server.answered.get() > 0 =>
        {
            let sent = shown(message);
            Err(Failure::named(
                Mistake::FailedDecode,
                tr!(
                    "the server closed the connection instead of answering {sent}, bytes that are not UTF-8: it probably failed to decode them (UnicodeDecodeError); send the received bytes back without decode()",
                    "服务器没有回复 {sent}（不是 UTF-8 的字节），而是关闭了连接：它很可能在解码时出错了（UnicodeDecodeError）；请不经 decode()，直接发回收到的字节"
                ),
            ))
        }
        Err(failure) => Err(failure),
    }
}

/// A client that resets its connection does not end the server.
fn reset(server: &Server) -> Outcome {
    let mut leaving = server.open()?;
    // A server that does not answer at all cannot show whether a reset ends it.
    server.ask(&mut leaving, b"about to reset")?;
    // SO_LINGER 0: close() sends RST, as a client killed mid-conversation does.
    let _ = socket2::SockRef::from(&leaving.stream).set_linger(Some(Duration::ZERO));
    drop(leaving);
    let address = server.address;
    let dies = || {
        Failure::named(
            Mistake::DiesOnReset,
            tr!(
                "after a client reset its connection, the server no longer answers at {address}: it stopped on the reset (ConnectionResetError from recv() or send()); catch it, close that client's socket and go back to accept()",
                "一个客户端重置连接后，{address} 上的服务器就不再应答了：它因为这次重置而停止（recv() 或 send() 抛出 ConnectionResetError）；请捕获这个异常，关闭该客户端的套接字，再回到 accept()"
            ),
        )
    };
    let mut next = match server.open() {
        Ok(next) => next,
        Err(failure) if failure.mistake == Some(Mistake::NotListening) => return Err(failure),
        Err(_) => return Err(dies()),
    };
    match server.ask(&mut next, b"after a reset") {
        Ok(_) => Ok(tr!(
            "the server went on after a client reset its connection",
            "客户端重置连接后，服务器继续正常服务"
        )),
        Err(_) => Err(dies()),
    }
}
