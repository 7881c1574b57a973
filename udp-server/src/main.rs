//! The chapter's UDP timestamp server (book 16.3.6), in Rust.
//!
//! Every datagram that arrives is answered with one datagram back to its sender: the same
//! bytes, stamped with the time. Try it in two terminals:
//!
//! ```text
//! cargo run -p udp-server          # terminal 1: waits for datagrams on 127.0.0.1:21567
//! cargo run -p udp-client          # terminal 2: type a line, see it come back stamped
//! ```
//!
//! This file is the book's server, step by step, each step under the book's name for it:
//!
//! ```python
//! udpSerSock = socket(AF_INET, SOCK_DGRAM)
//! udpSerSock.bind(ADDR)
//! while True:
//!     print '等待消息（数据报）的到来...'      # the English edition: 'waiting for message...'
//!     data, addr = udpSerSock.recvfrom(BUFSIZ)
//!     udpSerSock.sendto('[%s] %s' % (ctime(), data), addr)
//!     print '...received from and returned to:', addr
//! udpSerSock.close()
//! ```
//!
//! There is no `listen()` and no `accept()`: UDP has no connections (book 16.2.3), so one
//! socket hears every client, and each datagram says who sent it. What is not the book is one
//! named call away: datagrams that would start a loop between servers are not answered
//! (`loops.rs`), the log's volume is bounded per sender (`log_volume.rs`), and a server bound
//! to every interface answers from the address each datagram was sent to (`destination.rs`).

mod destination;
mod log_volume;
mod loops;

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{Listen, Shared, bytes_up_to, usage_error};
use common::ctime::{STAMP_LEN, stamp_into};
use common::lang::{count, os_error};
use common::net::{MAX_DATAGRAM_V6, bind_error, cannot, cannot_set, check_udp_bufsize, is_timeout};
use common::out::{self, Printable};
use common::{log, problem, tr, trace, trace_wait};
use destination::Destinations;
use log_volume::LogShares;
use loops::{Loop, Loops};

/// Room for the largest datagram there is. Reading into less would cut a long datagram
/// differently on each system (Windows even reports it as an error, with no sender to
/// answer), so the server reads it whole and answers its first `--bufsize` bytes itself.
const LARGEST_DATAGRAM: usize = 65_536;

/// The chapter's UDP timestamp server: answers each datagram with `[ctime] data`.
#[derive(Parser, Debug)]
#[command(
    version,
    about = tr!(
        "The chapter's UDP timestamp server: answers each datagram with [ctime] data.",
        "本章的 UDP 时间戳服务器：对收到的每个数据报回复“[ctime] 数据”。"
    ),
    after_help = tr!(
        "Try it: `cargo run -p udp-server` here, then `cargo run -p udp-client` in another terminal.\n\
         A lab across machines: --host 0.0.0.0. The timestamp is local time (TZ on Linux and macOS).",
        "试一试：在这里运行 `cargo run -p udp-server`，再在另一个终端运行 `cargo run -p udp-client`。\n\
         跨机器的实验课：--host 0.0.0.0。时间戳是本地时间（在 Linux 和 macOS 上由环境变量 TZ 决定时区）。"
    ),
    mut_arg("trace", |arg| arg.help(tr!(
        "Print each socket call to stderr as it happens: socket(), bind(), recvfrom(), sendto(), ...",
        "把每次套接字调用实时打印到标准错误（stderr）：socket()、bind()、recvfrom()、sendto()……"
    )))
)]
struct Args {
    /// `--host`, `--port` and `--quiet`, as both servers take them.
    #[command(flatten)]
    listen: Listen,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--bufsize`: the book's BUFSIZ.
    #[arg(long, value_name = tr!("BUFSIZE", "字节数"), default_value_t = common::BUFSIZ,
          value_parser = bytes_up_to(MAX_DATAGRAM_V6 - STAMP_LEN), help = tr!(
        "Most bytes of a datagram answered (the book's BUFSIZ); a longer one is cut to this. At most 65480 where IPv4 clients can send (65500 for IPv6 only), so that the reply fits in a datagram",
        "一个数据报最多回复的字节数（书中的 BUFSIZ），更长的会被截断；监听 IPv4 地址（含 ::）时最大 65480，只监听 IPv6 时最大 65500，这样回复才放得进一个数据报"
    ))]
    bufsize: usize,
}

/// What the server has answered, for the line it prints when it stops.
static DATAGRAMS: AtomicU64 = AtomicU64::new(0);
/// Bytes answered (of data, without the stamps).
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Datagrams not answered because answering could start a loop.
static NOT_ANSWERED: AtomicU64 = AtomicU64::new(0);

fn main() -> ExitCode {
    common::program::one_line_panics("udp-server");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(args.listen.quiet, args.shared.trace);
    common::program::exit_status("udp-server", run(&args))
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let address = common::net::resolve(&args.listen.host, args.listen.port)?[0];
    let bufsize = args.bufsize;
    check_udp_bufsize(bufsize, address).map_err(usage_error::<Args>)?;

    // ss = socket(AF_INET, SOCK_DGRAM)
    let ss = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(|error| cannot("socket()", error))?;
    trace!("socket()");
    common::net::hear_ipv4_too(&ss, address)?;
    let mut destinations =
        Destinations::asked_for(&ss, address).map_err(|error| cannot_set("IP_PKTINFO", error))?;
    // No SO_REUSEADDR here, unlike the TCP server: with it, a second UDP server could bind
    // the same port and silently share (or steal) the datagrams. Without it, the second one
    // fails with "address already in use", which is what a student needs to see.

    // ss.bind(ADDR)
    ss.bind(&address.into())
        .map_err(|error| bind_error(address, error))?;
    trace!("bind({address})");
    let ss: UdpSocket = ss.into();

    let bound = announce(&ss, bufsize)?;
    out::on_stop(summary);
    let mut loops = Loops::new(bound, common::net::board(bound));
    let mut log = LogShares::new(out::logging(), Instant::now());
    let mut data = vec![0; LARGEST_DATAGRAM];
    let mut reply = Vec::with_capacity(STAMP_LEN + bufsize);
    let (mut say_waiting, mut timed_out, mut ticking) = (true, false, false);
    loop {
        ticking = wake_to_summarise(&ss, log.has_untold(), ticking)?;
        if say_waiting {
            // print 'waiting for message...'
            log!("waiting for message...", "等待消息（数据报）的到来...");
        }
        if !timed_out {
            trace_wait!("recvfrom({bufsize}) ...");
        }

        // data, addr = ss.recvfrom(BUFSIZ)
        let received = match destinations.as_mut() {
            None => ss.recv_from(&mut data).map(|(len, addr)| (len, addr, None)),
            Some(destinations) => destinations.recv_from(&ss, &mut data),
        };
        let now = Instant::now();
        let (len, addr, answer_from) = match received {
            Ok(received) => received,
            Err(error) => {
                timed_out = is_timeout(&error);
                say_waiting = if timed_out {
                    log.tick(now)
                } else {
                    receive_failed(&error, &mut log, now)
                };
                continue;
            }
        };
        timed_out = false;
        // Judged whole, before the cut: cut to a --bufsize below a stamp's 27 bytes, another
        // server's reply no longer looks like one, and two such servers answer each other.
        let whole = &data[..len.min(data.len())];
        let data = &whole[..len.min(bufsize)];
        trace_received(len, bufsize, addr);
        say_waiting = log.tick(now);

        // Not the book: no answer that could start a loop between two servers.
        if let Some(why) = loops.check(whole, addr, answer_from) {
            NOT_ANSWERED.fetch_add(1, Ordering::Relaxed);
            if loops.first_from(addr) && log.may_log(addr, now) {
                not_answered(addr, why);
                say_waiting = true;
            }
            continue;
        }

        // ss.sendto('[%s] %s' % (ctime(), data), addr)
        reply.clear();
        stamp_into(&mut reply);
        reply.extend_from_slice(data);
        // Counted before it leaves: a stop (Ctrl+C) the moment the client has it counts it.
        DATAGRAMS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(data.len() as u64, Ordering::Relaxed);
        let sent = match answer_from {
            None => ss.send_to(&reply, addr),
            Some(from) => destination::send_to_from(&ss, &reply, addr, from),
        };
        if let Err(error) = sent {
            DATAGRAMS.fetch_sub(1, Ordering::Relaxed);
            BYTES.fetch_sub(data.len() as u64, Ordering::Relaxed);
            say_waiting |= log.may_log(addr, now) && could_not_answer(addr, &error);
            continue;
        }
        trace!("sendto({} bytes, {addr})", reply.len());

        // print '...received from and returned to:', addr
        // (not the book: a few lines a second from each sender, the rest counted)
        if !log.may_log(addr, now) {
            continue;
        }
        say_waiting = true;
        let (shown, bytes) = (Printable(data), count(len as u64, "byte"));
        if len <= bufsize {
            log!(
                "...received from and returned to: {addr}: {bytes}: {shown}",
                "...received from and returned to: {addr}，{len} 字节：{shown}"
            );
        } else {
            log!(
                "...received from and returned to: {addr}: a datagram of {len} bytes, longer than {bufsize}, cut: answered with its first {bufsize} bytes: {shown}",
                "已收到并回复 {addr}：数据报有 {len} 字节，超过了 {bufsize} 字节，已截断，只回复了前 {bufsize} 字节：{shown}"
            );
        }
    }
}

/// Not the book: while lines a flood did not show wait to be summarised (`needed`), the
/// socket's reads give up after a second, so the summary comes on time even when nothing
/// else arrives; otherwise they wait as the book's do. `set` says how they are now; returns
/// how they are after.
fn wake_to_summarise(ss: &UdpSocket, needed: bool, set: bool) -> anyhow::Result<bool> {
    if needed != set {
        ss.set_read_timeout(needed.then_some(log_volume::TICK))
            .map_err(|error| cannot_set("SO_RCVTIMEO", error))?;
    }
    Ok(needed)
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
fn not_answered(addr: SocketAddr, why: Loop) {
    match why {
        Loop::AReply => log!(
            "not answered: {addr} sent a timestamp reply, not a message (answering it could start two servers answering each other forever); its next ones are not logged",
            "未回复 {addr}：它发来的是时间戳回复，不是消息（回复它可能让两个服务器无休止地互相应答）；它之后发来的同类数据报不再记录"
        ),
        Loop::FromItself => log!(
            "not answered: a datagram claims to come from this server's own address {addr} (forged: answering it would make the server answer itself forever); the next ones are not logged",
            "未回复：有数据报自称来自本服务器自己的地址 {addr}（是伪造的：回复它会让服务器无休止地自问自答）；之后的同类数据报不再记录"
        ),
    }
}

/// Logs a reply that could not be sent; true (it logged).
fn could_not_answer(addr: SocketAddr, error: &io::Error) -> bool {
    let reason = os_error(error);
    log!(
        "could not answer {addr}: {reason}",
        "无法回复 {addr}：{reason}"
    );
    true
}

/// After `ss.recvfrom()` failed: an error that concerns one client only is logged (within
/// the log's share for it) and the loop goes on; true when it logged.
fn receive_failed(error: &io::Error, log: &mut LogShares, now: Instant) -> bool {
    match error.kind() {
        // An earlier reply bounced: its sender had gone, and the ICMP "port unreachable" that
        // came back surfaces here (on Windows even on this unconnected socket, as a reset).
        // That is one client's business, not the server's.
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => {
            trace!("recvfrom() -> {error}");
            if !log.may_log_bounce(now) {
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

/// The address the server is bound to, the board's lines ([`common::net::announce`]), and the
/// buffer it answers with. Returns that address.
fn announce(ss: &UdpSocket, bufsize: usize) -> anyhow::Result<SocketAddr> {
    let bound: SocketAddr = ss
        .local_addr()
        .map_err(|error| cannot("getsockname()", error))?;
    common::net::announce("udp-server", "udp-client", bound);
    let buffer = count(bufsize as u64, "byte");
    log!(
        "buffer {buffer}; stop with Ctrl+C",
        "缓冲区 {bufsize} 字节；按 Ctrl+C 停止"
    );
    Ok(bound)
}

/// The line the server prints when it stops: it counts every datagram, logged or not.
fn summary() -> String {
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
            "; not answered (they could have started a loop): {refused_en}",
            "；另有 {refused} 个数据报未回复（回复它们可能引起循环）"
        )
}
