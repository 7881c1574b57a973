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
//! `main` follows the book's pseudo-code: `ss = socket()`, `ss.bind()`, then an endless loop
//! of `ss.recvfrom()` and `ss.sendto()`. There is no `listen()` and no `accept()`: UDP has no
//! connections (book 16.2.3), so one socket hears every client, and each datagram says who
//! sent it.

mod destination;

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{Shared, bytes_up_to, server_port, usage_error};
use common::lang::{count, os_error};
use common::net::{MAX_DATAGRAM_V6, bind_error, cannot, check_udp_bufsize};
use common::out::{self, Printable};
use common::{log, problem, tr, trace, trace_wait};

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
        "本章的 UDP 时间戳服务器：给每个数据报回复 [ctime] 数据。"
    ),
    after_help = tr!(
        "Try it: `cargo run -p udp-server` here, then `cargo run -p udp-client` in another terminal.\n\
         A lab across machines: --host 0.0.0.0. The timestamp is local time (TZ on Linux and macOS).",
        "试一试：在这里运行 `cargo run -p udp-server`，再在另一个终端运行 `cargo run -p udp-client`。\n\
         跨机器的实验课：--host 0.0.0.0。时间戳是本地时间（Linux 和 macOS 上遵从 TZ）。"
    )
)]
struct Args {
    /// `--host`: where to listen.
    #[arg(long, default_value = common::SERVER_HOST, help = tr!(
        "Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 (or ::) lets other machines send, as a lab needs",
        "监听的地址：127.0.0.1 仅限本机；0.0.0.0（或 ::）允许其他机器发送，实验课需要这样"
    ))]
    host: String,

    /// `--port`: the book's PORT, or 0 for any free port.
    #[arg(long, default_value_t = common::PORT, value_parser = server_port, help = tr!(
        "Port to listen on (the book's 21567); 0 picks a free one and prints it",
        "监听的端口（书中的 21567）；0 表示任选一个空闲端口并打印出来"
    ))]
    port: u16,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--bufsize`: the book's BUFSIZ.
    #[arg(long, default_value_t = common::BUFSIZ,
          value_parser = bytes_up_to(MAX_DATAGRAM_V6 - common::ctime::STAMP_LEN), help = tr!(
        "Most bytes of a datagram answered (the book's BUFSIZ); a longer one is cut to this. At most 65480 where IPv4 clients can send (65500 for IPv6 only), so that the reply fits in a datagram",
        "一个数据报最多回复的字节数（书中的 BUFSIZ）；更长的会被截断。IPv4 客户端能发送时最大 65480（仅 IPv6 时 65500），这样回复才放得进一个数据报"
    ))]
    bufsize: usize,

    /// `--quiet`: a quiet log for a busy lab.
    #[arg(long, help = tr!(
        "Log only the address line, problems with the server and what it prints when it stops",
        "日志只保留地址那一行、服务器自身的问题和停止时打印的内容"
    ))]
    quiet: bool,
}

/// What the server has answered, for the line it prints when it stops.
static DATAGRAMS: AtomicU64 = AtomicU64::new(0);
/// Bytes answered (of data, without the stamps).
static BYTES: AtomicU64 = AtomicU64::new(0);

fn main() -> ExitCode {
    common::run::one_line_panics("udp-server");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(args.quiet, args.shared.trace);
    common::run::exit_status("udp-server", run(&args))
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let address = common::net::resolve(&args.host, args.port)?[0];
    let bufsize = args.bufsize;
    check_udp_bufsize(bufsize, address).unwrap_or_else(|message| usage_error::<Args>(message));

    // ss = socket(AF_INET, SOCK_DGRAM)
    let ss = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(|error| cannot("socket()", &error))?;
    trace!("socket()");
    common::net::hear_ipv4_too(&ss, address)?;
    let option = destination::note_destinations(&ss, address)
        .map_err(|error| common::net::cannot_set("IP_PKTINFO", &error))?;
    if !option.is_empty() {
        trace!("setsockopt({option}, 1)");
    }
    // No SO_REUSEADDR here, unlike the TCP server: with it, a second UDP server could bind
    // the same port and silently share (or steal) the datagrams. Without it, the second one
    // fails with "address already in use", which is what a student needs to see.

    // ss.bind(ADDR)
    ss.bind(&address.into())
        .map_err(|error| bind_error(address, error))?;
    trace!("bind({address})");
    let ss: UdpSocket = ss.into();

    announce(&ss, bufsize)?;
    out::on_stop(summary);
    let mut buffer = vec![0; LARGEST_DATAGRAM];
    let mut control = Vec::new();
    loop {
        log!("waiting for message...", "等待消息（数据报）的到来...");
        // data, addr = ss.recvfrom(BUFSIZ)
        trace_wait!("recvfrom({bufsize}) ...");
        let Some(received) = receive(&ss, &mut buffer, &mut control) else {
            continue;
        };
        let (len, addr) = (received.len, received.from);
        let data = &buffer[..len.min(bufsize)];
        let answered = data.len();
        match len > bufsize {
            false => trace!("recvfrom({bufsize}) -> {len} bytes from {addr}"),
            true => trace!("recvfrom({bufsize}) -> {answered} bytes from {addr} (of {len}: cut)"),
        }

        // ss.sendto('[%s] %s' % (ctime(), data), addr)
        let reply = common::reply(data);
        match destination::sendto(&ss, &reply, addr, received.to) {
            Ok(sent) => trace!("sendto({sent} bytes, {addr})"),
            Err(error) => {
                let reason = os_error(&error);
                log!(
                    "could not answer {addr}: {reason}",
                    "无法回复 {addr}：{reason}"
                );
                continue;
            }
        }
        DATAGRAMS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(answered as u64, Ordering::Relaxed);
        let (shown, bytes) = (Printable(data), count(len as u64, "byte"));
        match len > bufsize {
            false => log!(
                "...received from and returned to: {addr}: {bytes}: {shown}",
                "...接收自并返回到：{addr}，{len} 字节：{shown}"
            ),
            true => log!(
                "...received from and returned to: {addr}: a datagram of {len} bytes, longer than {bufsize}, cut: answered with its first {bufsize} bytes: {shown}",
                "...接收自并返回到：{addr}，数据报有 {len} 字节，超过了 {bufsize} 字节，已截断：只回复了前 {bufsize} 字节：{shown}"
            ),
        }
    }
}

/// `ss.recvfrom()`: the next datagram, or `None` after an error that concerns one client only
/// (logged), so the loop goes on.
fn receive(
    ss: &UdpSocket,
    buffer: &mut [u8],
    control: &mut Vec<u8>,
) -> Option<destination::Received> {
    match destination::recvfrom(ss, buffer, control) {
        Ok(received) => Some(received),
        // An earlier reply bounced: its sender had gone, and the ICMP "port unreachable" that
        // came back surfaces here (on Windows even on this unconnected socket, as a reset).
        // That is one client's business, not the server's.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
            ) =>
        {
            trace!("recvfrom() -> {error}");
            let reason = os_error(&error);
            log!(
                "a reply could not be delivered (its sender has gone: {reason}); going on",
                "有一个回复无法送达（发送方已经离开：{reason}）；继续运行"
            );
            None
        }
        Err(error) if error.kind() == io::ErrorKind::Interrupted => None,
        Err(error) => {
            let reason = os_error(&error);
            problem!(
                "recvfrom() failed: {reason}; trying again",
                "recvfrom() 失败：{reason}；重试"
            );
            // Never spin: a socket that keeps failing is retried ten times a second.
            thread::sleep(Duration::from_millis(100));
            None
        }
    }
}

/// The first line names the address the server is bound to; bound to every interface, the
/// lines after it give the command a student types for each of this machine's addresses.
fn announce(ss: &UdpSocket, bufsize: usize) -> anyhow::Result<()> {
    let bound: SocketAddr = ss
        .local_addr()
        .map_err(|error| cannot("getsockname()", &error))?;
    out::stdout(tr!(
        "udp-server listening on {bound}",
        "udp-server 正在监听 {bound}"
    ));
    for ip in common::net::board(bound) {
        let command = common::net::client_command("udp-client", ip, bound.port());
        log!(
            "  students connect with: {command}",
            "  学生这样连接：{command}"
        );
    }
    let buffer = count(bufsize as u64, "byte");
    log!(
        "buffer {buffer}; stop with Ctrl+C",
        "缓冲区 {bufsize} 字节；按 Ctrl+C 停止"
    );
    Ok(())
}

/// The line the server prints when it stops.
fn summary() -> String {
    let datagrams = DATAGRAMS.load(Ordering::Relaxed);
    let bytes = BYTES.load(Ordering::Relaxed);
    let (datagrams_en, bytes_en) = (count(datagrams, "datagram"), count(bytes, "byte"));
    tr!(
        "udp-server stopped: answered {datagrams_en}, {bytes_en}",
        "udp-server 已停止：共回复 {datagrams} 个数据报、{bytes} 字节"
    )
}
