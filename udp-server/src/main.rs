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
//! This file is the book's server, step by step, each step under the book's line for it
//! (`ss` is the pseudo-code's name for `udpSerSock`):
//!
//! ```python
//! udpSerSock = socket(AF_INET,SOCK_DGRAM)         # 创建一个服务器套接字
//! udpSerSock.bind(ADDR)                           # 绑定服务器套接字
//!
//! while True:                                     # 服务器无限循环
//!     print '等待消息（数据报）的到来...'
//!     data,addr = udpSerSock.recvfrom(BUFSIZ)
//!     udpSerSock.sendto('[%s] %s' % (ctime(),data),addr)
//!     print '...received from and returned to:',addr
//!
//! udpSerSock.close()
//! ```
//!
//! There is no `listen()` and no `accept()`: UDP has no connections (book 16.2.3), so one
//! socket hears every client, and each datagram says who sent it. What is not the book is one
//! named call away (`server_socket.rs`): datagrams that would keep a loop between servers
//! going are not answered (`loops.rs`), the log's volume is bounded per sender
//! (`log_volume.rs`), and a server bound to every interface answers from the address each
//! datagram was sent to (`destination.rs`).

mod destination;
mod log_volume;
mod loops;
mod server_socket;

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{Listen, Shared, bytes_up_to, usage_error};
use common::ctime::STAMP_LEN;
use common::lang::count;
use common::net::{MAX_DATAGRAM_V6, cannot, cannot_set, check_udp_bufsize};
use common::{log, out, tr, trace};
use destination::Destinations;
use server_socket::ServerSocket;

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

    // udpSerSock = socket(AF_INET,SOCK_DGRAM)
    let ss = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(|error| cannot("socket()", error))?;
    trace!("socket()");
    // not the book: on `::`, IPv4 clients are heard too, on every system.
    common::net::hear_ipv4_too(&ss, address)?;
    // not the book: on every interface, each datagram says where it was sent, to answer from.
    let destinations =
        Destinations::asked_for(&ss, address).map_err(|error| cannot_set("IP_PKTINFO", error))?;
    // No SO_REUSEADDR here, unlike the TCP server: with it, a second UDP server could bind
    // the same port and silently share (or steal) the datagrams. Without it, the second one
    // fails with "address already in use", which is what a student needs to see.

    // udpSerSock.bind(ADDR)
    ss.bind(&address.into())
        .map_err(|error| server_socket::bind_failed(address, error))?;
    trace!("bind({address})");
    let ss = UdpSocket::from(ss);
    let bound = announce(&ss, bufsize)?;
    out::on_stop(server_socket::summary);
    let mut ss = ServerSocket::new(ss, bound, destinations, bufsize);

    // while True:
    loop {
        // print '等待消息（数据报）的到来...'
        ss.print_waiting();
        // data,addr = udpSerSock.recvfrom(BUFSIZ)
        let (data, addr) = ss.recvfrom();
        // not the book: no answer that would keep two servers answering each other.
        if ss.is_a_loop(&data, addr) {
            continue;
        }
        // udpSerSock.sendto('[%s] %s' % (ctime(),data),addr)
        if ss.sendto(&data, addr).is_err() {
            continue;
        }
        // print '...received from and returned to:',addr
        ss.print_returned(&data, addr);
    }
}

/// The address the server is bound to, the board's lines ([`common::net::announce`]), and the
/// buffer it answers with. Returns that address.
fn announce(ss: &UdpSocket, bufsize: usize) -> anyhow::Result<SocketAddr> {
    let bound = ss
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
