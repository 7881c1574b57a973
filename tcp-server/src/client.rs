//! One client's conversation, the same in every mode: what to answer to each read, why the
//! conversation ended, and what the server says when it does.
//!
//! Nothing here touches a socket. Each mode reads (`data = cs.recv(BUFSIZ)`), hands the bytes
//! to [`Conversation::on_recv`], and sends what it appended (`cs.send(...)`): the threaded
//! and iterative modes at once, the event mode when the socket can take it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::ctime::STAMP_LEN;
use common::lang::{count, os_error};
use common::out::{self, LogShare, Printable, Turn};
use common::{log, tr, trace};

use crate::admission::Permit;
use crate::utf8::Utf8HoldBack;

/// What the server has done since it started, for the line it prints when it stops.
pub static TALLY: Tally = Tally {
    clients: AtomicU64::new(0),
    messages: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};

/// Counts of what the server did.
pub struct Tally {
    /// Clients accepted.
    pub clients: AtomicU64,
    /// Reads answered.
    messages: AtomicU64,
    /// Bytes received.
    bytes: AtomicU64,
}

impl Tally {
    /// The line the server prints when it stops.
    pub fn summary(&self) -> String {
        let clients = self.clients.load(Ordering::Relaxed);
        let messages = self.messages.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let (clients_en, messages_en, bytes_en) = (
            count(clients, "client"),
            count(messages, "message"),
            count(bytes, "byte"),
        );
        tr!(
            "tcp-server stopped: served {clients_en}, {messages_en}, {bytes_en}",
            "tcp-server 已停止：共服务 {clients} 个客户端，收到 {messages} 条消息、{bytes} 字节"
        )
    }
}

/// One connected client, as every mode sees it.
pub struct Conversation {
    /// Who the client is, for the log and `--trace`.
    pub peer: SocketAddr,
    /// `--bufsize`: a read this long filled the buffer, and may have cut a character.
    bufsize: usize,
    /// The start of a character that the last full read cut off.
    held: Utf8HoldBack,
    /// This client's share of the log: a client that floods the server gets a few lines a
    /// second and a count of the rest, so it cannot fill the teacher's disk.
    share: LogShare,
}

impl Conversation {
    /// A client has just been accepted.
    pub fn new(peer: SocketAddr, bufsize: usize) -> Conversation {
        Conversation {
            peer,
            bufsize,
            held: Utf8HoldBack::default(),
            share: LogShare::new(Instant::now()),
        }
    }

    /// `data = cs.recv(BUFSIZ)` returned `data`: logs it, and appends the reply to `replies`.
    ///
    /// This is the heart of the server, the same in every mode:
    /// `cs.send('[%s] %s' % (ctime(), data))`.
    pub fn on_recv(&mut self, data: &[u8], replies: &mut Vec<u8>) {
        let (peer, bufsize, n) = (self.peer, self.bufsize, data.len());
        trace!("recv({bufsize}) -> {n} bytes  [{peer}]");
        TALLY.messages.fetch_add(1, Ordering::Relaxed);
        TALLY.bytes.fetch_add(n as u64, Ordering::Relaxed);
        // '[%s] %s' % (ctime(), data): the stamp, then the data with whole characters only
        let start = replies.len();
        common::ctime::stamp_into(replies);
        if self.held.take_into(data, n == bufsize, replies) == 0 {
            replies.truncate(start); // every byte held back: no reply this time
        }
        // print '服务器接受TCP数据：', data: the data as the reply carries it
        let answered = replies.get(start + STAMP_LEN..).unwrap_or_default();
        self.log_received(n, answered);
    }

    /// The log line for one read, within this client's share of the log.
    fn log_received(&mut self, n: usize, answered: &[u8]) {
        if !out::logging() {
            return;
        }
        // --trace asks for every call, and gets every line with it.
        let turn = match out::tracing() {
            true => Turn::Log { skipped: 0 },
            false => self.share.take(Instant::now()),
        };
        let Turn::Log { skipped } = turn else {
            return; // counted, and said with the next line shown
        };
        let peer = self.peer;
        out::log_skipped(peer, skipped);
        let (shown, bytes) = (Printable(answered), count(n as u64, "byte"));
        log!(
            "received {bytes} from {peer}: {shown}",
            "服务器接受TCP数据：来自 {peer}，{n} 字节：{shown}"
        );
    }

    /// The conversation is over: how many of its log lines were not shown and not yet said.
    pub fn skipped_lines(self) -> u64 {
        self.share.finish()
    }

    /// `recv()` returned nothing: the client has finished sending. Appends the last reply,
    /// for bytes still held back, if any.
    pub fn on_end(&mut self, replies: &mut Vec<u8>) {
        let (peer, bufsize) = (self.peer, self.bufsize);
        trace!("recv({bufsize}) -> 0 bytes (end)  [{peer}]");
        self.answer_held(replies);
    }

    /// The client sent nothing for `--idle-timeout`: appends the bytes still held back, then
    /// one line that tells the client why the server closes its connection.
    pub fn on_idle(&mut self, after: Duration, replies: &mut Vec<u8>) {
        self.answer_held(replies);
        let secs = after.as_secs_f64();
        let line = tr!(
            "the server closed the connection: you were idle, sending nothing for {secs} s (its --idle-timeout); connect again to go on",
            "服务器关闭了连接：你已有 {secs} 秒没有发送任何内容（超过了服务器的 --idle-timeout）；请重新连接"
        );
        replies.extend_from_slice(line.as_bytes());
        replies.push(b'\n');
    }

    /// Appends a reply for the bytes still held back, if any.
    fn answer_held(&mut self, replies: &mut Vec<u8>) {
        let start = replies.len();
        common::ctime::stamp_into(replies);
        if self.held.finish_into(replies) == 0 {
            replies.truncate(start);
        }
    }
}

/// `cs.close()` has happened: traces it, frees the client's place and logs why it left,
/// after the count of its lines the log did not show (`skipped`).
pub fn closed(peer: SocketAddr, permit: Permit<'_>, ending: &Ending, skipped: u64) {
    trace!("close()  [{peer}]");
    let now = permit.release();
    out::log_skipped(peer, skipped);
    log!(
        "{peer} {ending} ({now} connected)",
        "{peer} {ending}；当前 {now} 个客户端"
    );
}

/// Why a client's connection ended, as the log says it.
#[derive(Debug)]
pub enum Ending {
    /// The client closed its side: the normal end.
    Left,
    /// The client sent nothing for `--idle-timeout`.
    Idle(Duration),
    /// The client left its replies unread for `--write-timeout`.
    NotReading(Duration),
    /// The client reset the connection.
    Reset,
    /// The client went away before its reply could be sent.
    Vanished,
    /// Anything else the network reported.
    Failed(io::Error),
}

impl Ending {
    /// Names the end that a failed `recv()` or `send()` means.
    pub fn from_error(error: io::Error) -> Ending {
        match error.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Ending::Reset,
            io::ErrorKind::BrokenPipe => Ending::Vanished,
            _ => Ending::Failed(error),
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Ending::Left => tr!("disconnected", "已断开连接"),
            Ending::Idle(after) => {
                let secs = after.as_secs_f64();
                tr!(
                    "closed: sent nothing for {secs} s (--idle-timeout)",
                    "已关闭：{secs} 秒内没有发来任何数据（--idle-timeout）"
                )
            }
            Ending::NotReading(after) => {
                let secs = after.as_secs_f64();
                tr!(
                    "closed: left its replies unread for {secs} s (--write-timeout)",
                    "已关闭：{secs} 秒内没有读取回复（--write-timeout）"
                )
            }
            Ending::Reset => tr!(
                "disconnected: connection reset by the client",
                "已断开：客户端重置了连接"
            ),
            Ending::Vanished => tr!(
                "disconnected: gone before its reply was sent",
                "已断开：回复发出之前客户端已经离开"
            ),
            Ending::Failed(error) => {
                let error = os_error(error);
                tr!("disconnected: {error}", "已断开：{error}")
            }
        };
        f.write_str(&text)
    }
}
