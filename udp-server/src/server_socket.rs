//! The book's `udpSerSock`, with what a classroom needs beside each of its calls.
//!
//! `main.rs` reads as the book's loop: `recvfrom`, `sendto`, and the two prints, one named
//! call each. What is not the book happens inside those calls, and each is one call away:
//! the log's share for each sender (`log_volume.rs`), the replies that would keep a loop
//! between servers going (`loops.rs`), the address each reply leaves from
//! (`destination.rs`), and the counts printed when the server stops.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::ctime::{STAMP_LEN, stamp_into};
use common::lang::{OsError, count, os_error};
use common::net::{bind_error, cannot_set, is_timeout};
use common::out::{self, Printable};
use common::{log, problem, tr, trace, trace_wait};

use crate::destination::{self, Destinations};
use crate::log_volume::{self, LogShares};
use crate::loops::{Loops, Verdict};

/// Room for the largest datagram there is. Reading into less would cut a long datagram
/// differently on each system (Windows even reports it as an error, with no sender to
/// answer), so the server reads it whole and answers its first `--bufsize` bytes itself.
const LARGEST_DATAGRAM: usize = 65_536;

/// Datagrams answered, for the line the server prints when it stops.
static DATAGRAMS: AtomicU64 = AtomicU64::new(0);
/// Bytes answered (of data, without the stamps).
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Datagrams not answered because answering would have kept a loop going.
static NOT_ANSWERED: AtomicU64 = AtomicU64::new(0);

/// One datagram received: its data stays in the socket's buffer until the next `recvfrom`.
#[derive(Clone, Copy, Debug)]
pub struct Datagram {
    /// Its length as sent (it may be longer than `--bufsize`).
    pub len: usize,
    /// The address to answer from, where the system told where it was sent.
    answer_from: Option<IpAddr>,
    /// When it came.
    at: Instant,
}

/// The server's socket, and what each of its calls needs.
pub struct ServerSocket {
    /// The bound socket.
    socket: UdpSocket,
    /// For a server bound to every interface: where each datagram was sent.
    destinations: Option<Destinations>,
    /// `--bufsize`: the book's BUFSIZ, the most bytes of a datagram answered.
    bufsize: usize,
    /// The last datagram received, whole.
    data: Vec<u8>,
    /// The reply being sent, kept to be written into again.
    reply: Vec<u8>,
    /// What tells a datagram that would keep a loop going.
    loops: Loops,
    /// Whether the last datagram judged carries one of this server's stamps (see
    /// [`Loops::answered`]).
    echo: bool,
    /// Each sender's share of the log.
    log: LogShares,
    /// Something was logged since the book's "waiting" line: it is said again. A flood whose
    /// lines are not shown does not get a "waiting" line per datagram either.
    logged: bool,
    /// Whether `recvfrom` gives up after a second, to summarise the lines a flood did not show.
    wakes_to_summarise: bool,
}

impl ServerSocket {
    /// The socket bound to `bound`, answering up to `bufsize` bytes of each datagram.
    pub fn new(
        socket: UdpSocket,
        bound: SocketAddr,
        destinations: Option<Destinations>,
        bufsize: usize,
    ) -> ServerSocket {
        ServerSocket {
            socket,
            destinations,
            bufsize,
            data: vec![0; LARGEST_DATAGRAM],
            reply: Vec::with_capacity(STAMP_LEN + bufsize),
            loops: Loops::new(bound, common::net::board(bound)),
            echo: false,
            log: LogShares::new(out::logging(), Instant::now()),
            logged: true,
            wakes_to_summarise: false,
        }
    }

    /// The book's `print '等待消息（数据报）的到来...'`, when something was logged since it was
    /// last said.
    pub fn print_waiting(&mut self) {
        if std::mem::take(&mut self.logged) {
            log!("waiting for message...", "等待消息（数据报）的到来...");
        }
    }

    /// `data, addr = udpSerSock.recvfrom(BUFSIZ)`: waits for the next datagram. An error that
    /// concerns one client only (its reply bounced) is logged and the wait goes on; so is any
    /// other, after a pause: nothing a client sends stops the server.
    pub fn recvfrom(&mut self) -> (Datagram, SocketAddr) {
        let bufsize = self.bufsize;
        trace_wait!("recvfrom({bufsize}) ...");
        loop {
            self.wake_to_summarise();
            let received = match self.destinations.as_mut() {
                None => self
                    .socket
                    .recv_from(&mut self.data)
                    .map(|(len, addr)| (len, addr, None)),
                Some(destinations) => destinations.recv_from(&self.socket, &mut self.data),
            };
            let at = Instant::now();
            self.logged |= self.log.tick(at);
            match received {
                Ok((len, addr, answer_from)) => {
                    trace_received(len, bufsize, addr);
                    let datagram = Datagram {
                        len,
                        answer_from,
                        at,
                    };
                    return (datagram, addr);
                }
                Err(error) if is_timeout(&error) => {}
                Err(error) => {
                    if self.receive_failed(&error, at) {
                        self.logged = true;
                        trace_wait!("recvfrom({bufsize}) ...");
                    }
                }
            }
        }
    }

    /// not the book: true when answering `data` from `addr` would keep a loop between servers
    /// going, or make the server answer itself ([`crate::loops`]). It is not answered, and
    /// the log says so once for each peer.
    pub fn is_a_loop(&mut self, data: &Datagram, addr: SocketAddr) -> bool {
        let whole = &self.data[..data.len.min(self.data.len())];
        let verdict = self.loops.judge(whole, addr, data.answer_from, data.at);
        let Verdict::Answer { echo } = verdict else {
            NOT_ANSWERED.fetch_add(1, Ordering::Relaxed);
            if self.loops.first_from(addr) && self.log.may_log(addr, data.at) {
                not_answered(common::net::unmapped(addr), verdict);
                self.logged = true;
            }
            return true;
        };
        self.echo = echo;
        false
    }

    /// `udpSerSock.sendto('[%s] %s' % (ctime(),data),addr)`: the stamp and the first
    /// `--bufsize` bytes of the datagram, in one datagram back to its sender, from the address
    /// it was sent to. Counted once it has left; a failure is logged (within the sender's
    /// share) and returned.
    pub fn sendto(&mut self, data: &Datagram, addr: SocketAddr) -> io::Result<()> {
        let answered = &self.data[..data.len.min(self.bufsize)];
        self.reply.clear();
        stamp_into(&mut self.reply);
        self.reply.extend_from_slice(answered);
        let sent = match data.answer_from {
            None => self.socket.send_to(&self.reply, addr),
            Some(from) => destination::send_to_from(&self.socket, &self.reply, addr, from),
        };
        if let Err(error) = sent {
            if self.log.may_log(addr, data.at) {
                let (addr, reason) = (common::net::unmapped(addr), os_error(&error));
                log!(
                    "could not answer {addr}: {reason}",
                    "无法回复 {addr}：{reason}"
                );
                self.logged = true;
            }
            return Err(error);
        }
        // Counted before it is traced: what the trace shows is in the counts at the stop.
        DATAGRAMS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(answered.len() as u64, Ordering::Relaxed);
        trace!("sendto({} bytes, {addr})", self.reply.len());
        self.loops.answered(&self.reply, self.echo, data.at);
        Ok(())
    }

    /// The book's `print '...received from and returned to:',addr`, in the book's words in
    /// every language (the Chinese edition prints this line in English too), with what was
    /// answered; within the sender's share of the log (a few lines a second, the rest
    /// counted and summarised).
    pub fn print_returned(&mut self, data: &Datagram, addr: SocketAddr) {
        if !self.log.may_log(addr, data.at) {
            return;
        }
        self.logged = true;
        let (len, bufsize, addr) = (data.len, self.bufsize, common::net::unmapped(addr));
        let shown = Printable(&self.data[..len.min(bufsize)]);
        let bytes = count(len as u64, "byte");
        if len <= bufsize {
            log!(
                "...received from and returned to: {addr}: {bytes}: {shown}",
                "...received from and returned to: {addr}，{len} 字节：{shown}"
            );
        } else {
            log!(
                "...received from and returned to: {addr}: a datagram of {len} bytes, longer than {bufsize}, cut: answered with its first {bufsize} bytes: {shown}",
                "...received from and returned to: {addr}，数据报有 {len} 字节，超过了 {bufsize} 字节，已截断，只回复了前 {bufsize} 字节：{shown}"
            );
        }
    }

    /// While lines a flood did not show wait to be summarised, the socket's reads give up
    /// after a second, so the summary comes on time even when nothing else arrives;
    /// otherwise they wait as the book's do.
    fn wake_to_summarise(&mut self) {
        let needed = self.log.has_untold();
        if needed == self.wakes_to_summarise {
            return;
        }
        let timeout = needed.then_some(log_volume::SUMMARISE_EVERY);
        match self.socket.set_read_timeout(timeout) {
            Ok(()) => self.wakes_to_summarise = needed,
            Err(error) => {
                let error = cannot_set("SO_RCVTIMEO", error);
                problem!("{error}", "{error}");
            }
        }
    }

    /// After `recvfrom()` failed: an error that concerns one client only is logged (within
    /// the log's share for it) and the wait goes on; true when it logged.
    fn receive_failed(&mut self, error: &io::Error, now: Instant) -> bool {
        match error.kind() {
            // An earlier reply bounced: its sender had gone, and the ICMP "port unreachable"
            // that came back surfaces here (on Windows even on this unconnected socket, as a
            // reset). That is one client's business, not the server's.
            io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => {
                trace!("recvfrom() -> {error}");
                if !self.log.may_log_bounce(now) {
                    return false;
                }
                let reason = os_error(error);
                log!(
                    "a reply could not be delivered (its sender has gone: {reason}); going on",
                    "有一个回复无法送达（发送方已经离开：{reason}）；继续运行"
                );
                true
            }
            io::ErrorKind::Interrupted => false,
            _ => {
                let reason = os_error(error);
                problem!(
                    "recvfrom() failed: {reason}; trying again",
                    "recvfrom() 失败：{reason}；重试"
                );
                // Never spin: a socket that keeps failing is retried ten times a second.
                thread::sleep(Duration::from_millis(100));
                false
            }
        }
    }
}

/// `--trace` of what `recvfrom()` returned.
fn trace_received(len: usize, bufsize: usize, addr: SocketAddr) {
    if len > bufsize {
        trace!("recvfrom({bufsize}) -> {bufsize} bytes from {addr} (of {len}: cut)");
    } else {
        trace!("recvfrom({bufsize}) -> {len} bytes from {addr}");
    }
}

/// Logs, once per sender, why its datagram is not answered.
fn not_answered(addr: SocketAddr, why: Verdict) {
    match why {
        Verdict::Loop => log!(
            "not answered: {addr} keeps sending this server's replies back (this datagram carried the answer, sent within a second, to one that already carried a reply): a loop between two servers, started by a forged datagram; it stops here, and the next datagrams like it are not logged",
            "未回复 {addr}：它不断把本服务器的回复发回来（这个数据报里带着本服务器一秒之内对它上一个数据报的回复，而那个数据报里已经带着一个回复）：这是两个服务器在互相应答，是有人伪造数据报挑起的；循环到此为止，之后的同类数据报不再记录"
        ),
        Verdict::FromItself => log!(
            "not answered: a datagram claims to come from this server's own address {addr} (forged: answering it would make the server answer itself forever); the next ones are not logged",
            "未回复：有数据报自称来自本服务器自己的地址 {addr}（是伪造的：回复它会让服务器无休止地自问自答）；之后的同类数据报不再记录"
        ),
        Verdict::Answer { .. } => {}
    }
}

/// `bind()` failed: said as for any server, but in UDP's words when the port is taken. UDP
/// has no connections, so no connection that has just ended holds a port: another program
/// does, most likely another UDP server.
pub fn bind_failed(address: SocketAddr, error: io::Error) -> anyhow::Error {
    if error.kind() != io::ErrorKind::AddrInUse {
        return bind_error(address, error);
    }
    let port = address.port();
    let next = port.wrapping_add(1).max(1024);
    let message = tr!(
        "address {address} is already in use: a program on this machine holds UDP port {port}, most likely another UDP server (perhaps in another terminal); choose another port with --port (for example --port {next}), or stop the other server",
        "地址 {address} 已被占用：本机有程序占着 UDP 端口 {port}，可能是另一个 UDP 服务器（也许在另一个终端里）；请用 --port 换一个端口（例如 --port {next}），或停止另一个服务器"
    );
    OsError::explained(message, error).into()
}

/// The line the server prints when it stops: it counts every datagram, logged or not.
pub fn summary() -> String {
    let datagrams = DATAGRAMS.load(Ordering::Relaxed);
    let bytes = BYTES.load(Ordering::Relaxed);
    let refused = NOT_ANSWERED.load(Ordering::Relaxed);
    let (datagrams_en, bytes_en) = (count(datagrams, "datagram"), count(bytes, "byte"));
    let answered = tr!(
        "udp-server stopped: answered {datagrams_en}, {bytes_en}",
        "udp-server 已停止：共回复 {datagrams} 个数据报、{bytes} 字节"
    );
    if refused == 0 {
        return answered;
    }
    let refused_en = count(refused, "datagram");
    answered
        + &tr!(
            "; not answered (they would have kept a loop going): {refused_en}",
            "；另有 {refused} 个数据报未回复（回复它们会让循环继续下去）"
        )
}
