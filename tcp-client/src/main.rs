//! The chapter's TCP timestamp client (book 16.3.4), in Rust.
//!
//! It reads lines from standard input, sends each to the server, and prints the server's
//! stamped reply: type `hello`, see `[Wed Nov 25 17:28:42 2026] hello`. Try it in two
//! terminals:
//!
//! ```text
//! cargo run -p tcp-server          # terminal 1
//! cargo run -p tcp-client          # terminal 2: type lines; an empty line ends it
//! ```
//!
//! `main` follows the book's pseudo-code: `cs = socket()`, `cs.connect(ADDR)`, then a loop of
//! `data = input('> ')`, `cs.send(data)`, `data = cs.recv(BUFSIZ)`, and `cs.close()`.
//!
//! Two things differ from the book, on purpose:
//! - **A `\n` ends each line, and each reply.** TCP is a stream with no message boundaries
//!   (book 16.2.3): one `recv()` may return half a reply, or two. So each line goes out with a
//!   `\n`, and the reply is read up to its `\n`, however many reads that takes. A line longer
//!   than the server's buffer comes back as one line carrying several timestamps, and the
//!   client never falls out of step.
//! - **Replies are received on a thread of their own** ([`replies`]), while this one sends.
//!   The book's loop sends a whole line before reading any reply: with a line longer than
//!   the sockets' buffers (a few megabytes), the replies fill them, the server cannot send,
//!   stops reading, and both sides wait for each other forever. Here the replies are printed
//!   as they arrive, so a line of any length goes out and memory stays small.

mod input;
mod replies;

use std::io::{self, IsTerminal, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{Shared, Target, positive_seconds};
use common::lang::os_error;
use common::run::print_now;
use common::{out, tr, trace};
use input::{Input, Piece};
use replies::{Replies, Waited};

/// How long the client, at the end of its input, waits to see whether the server has closed
/// the connection on its own.
const CLOSE_GRACE: Duration = Duration::from_millis(100);

/// The chapter's TCP timestamp client: sends each line of input, prints the stamped reply.
#[derive(Parser, Debug)]
#[command(
    version,
    about = tr!(
        "The chapter's TCP timestamp client: sends each line of input, prints the stamped reply.",
        "本章的 TCP 时间戳客户端：发送输入的每一行，打印带时间戳的回复。"
    ),
    after_help = tr!(
        "Start the server first: `cargo run -p tcp-server`. Name it as for telnet or nc: \
         `tcp-client 192.168.1.5` or `tcp-client 192.168.1.5:21567`.\n\
         An empty line or end of input (Ctrl+D; Ctrl+Z then Enter on Windows) ends the client.",
        "先启动服务器：`cargo run -p tcp-server`。可以像 telnet 或 nc 那样指定服务器：\
         `tcp-client 192.168.1.5` 或 `tcp-client 192.168.1.5:21567`。\n\
         空行或输入结束（Ctrl+D；Windows 上 Ctrl+Z 再回车）会结束客户端。"
    )
)]
struct Args {
    /// Where the server is: `SERVER`, `--host`, `--port`.
    #[command(flatten)]
    target: Target,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--timeout`: how long the connect may take.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = positive_seconds, help = tr!(
        "Seconds to wait for the connection (at most a year)",
        "等待连接建立的秒数（最多一年）"
    ))]
    timeout: Duration,

    /// `--reply-timeout`: how long a reply may take; without it, as long as the connection lasts.
    #[arg(long, value_name = "SECS", value_parser = positive_seconds, help = tr!(
        "Seconds to wait for each reply before giving up (default: as long as the connection lasts, as the book's client does)",
        "每个回复最多等待的秒数，超过就放弃（默认：只要连接还在就一直等，和书中的客户端一样）"
    ))]
    reply_timeout: Option<Duration>,
}

fn main() -> ExitCode {
    common::run::one_line_panics("tcp-client");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(false, args.shared.trace);
    common::run::exit_status("tcp-client", run(&args))
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (host, port) = args.target.host_and_port::<Args>();
    let addresses = common::net::resolve(&host, port)?;

    // cs = socket(AF_INET, SOCK_STREAM); cs.connect(ADDR)
    let cs = connect(&host, port, &addresses, args.timeout)?;
    let server = cs.peer_addr().map_err(|error| anyhow!(os_error(&error)))?;
    // Each line leaves at once, not held back by Nagle's algorithm.
    cs.set_nodelay(true)
        .map_err(|error| common::net::cannot_set("TCP_NODELAY", &error))?;

    // data = cs.recv(BUFSIZ), on a thread of its own: each reply is printed as it arrives.
    let replies = Replies::start(&cs, server)?;
    let on_terminal = io::stdin().is_terminal();
    let mut input = Input::new(io::stdin().lock());
    let mut piece = Vec::new();
    loop {
        // data = input('> ')
        if on_terminal && print_now(b"> ").is_err() {
            return Ok(ExitCode::SUCCESS); // stdout is closed: nobody is reading
        }
        let first = input.next_piece(&mut piece, true)?;
        if first == Piece::Stop {
            if on_terminal {
                let _ = print_now(b"\n"); // after Ctrl+D, the shell's prompt starts on a line of its own
            }
            break;
        }
        // cs.send(data): the line and its '\n', in one write, or in pieces if it is long
        let reply_number = replies.expect_one_more();
        let mut last = first;
        loop {
            send(&cs, &piece, server, &replies)?;
            if last == Piece::LineEnd {
                break;
            }
            last = input.next_piece(&mut piece, false)?;
        }
        // ... data = cs.recv(BUFSIZ), up to the reply's '\n'
        match replies.wait_for(reply_number, args.reply_timeout, on_terminal) {
            Waited::Reply => {}
            Waited::StdoutClosed => return Ok(ExitCode::SUCCESS),
            Waited::Failed(error) => return Err(error),
        }
        if replies.server_has_closed(&cs, Duration::ZERO) {
            bail!(closed_by_server(server));
        }
    }
    // A server that closes after its last reply (a busy one, an idle close) closes at once:
    // a moment's wait tells that apart from the end of a conversation.
    if replies.server_has_closed(&cs, CLOSE_GRACE) {
        bail!(closed_by_server(server));
    }
    // cs.close()
    let _ = cs.shutdown(Shutdown::Both);
    drop(cs);
    trace!("close()");
    Ok(ExitCode::SUCCESS)
}

/// `cs = socket()` and `cs.connect(ADDR)`, for each address `host` has until one answers.
fn connect(
    host: &str,
    port: u16,
    addresses: &[SocketAddr],
    timeout: Duration,
) -> anyhow::Result<TcpStream> {
    let mut refused = false;
    let mut last_error = None;
    for &address in addresses {
        let cs = Socket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .map_err(|error| anyhow!(os_error(&error)))?;
        trace!("socket()");
        trace!("connect({address}) ...");
        match cs.connect_timeout(&address.into(), timeout) {
            Ok(()) => {
                trace!("connect({address}) -> ok");
                return Ok(cs.into());
            }
            Err(error) => {
                trace!("connect({address}) -> {error}");
                refused |= error.kind() == io::ErrorKind::ConnectionRefused;
                last_error = Some(error);
            }
        }
    }
    let tried: Vec<String> = addresses.iter().map(SocketAddr::to_string).collect();
    let tried = tried.join(", ");
    let secs = timeout.as_secs_f64();
    Err(anyhow!(match last_error {
        _ if refused => tr!(
            "cannot connect to {host}:{port}: connection refused at {tried}: no server is running there; start one with `cargo run -p tcp-server` (with the same --host and --port)",
            "无法连接到 {host}:{port}：连接被拒绝（connection refused）：{tried} 上没有服务器在运行；请先用 `cargo run -p tcp-server` 启动服务器（使用相同的 --host 和 --port）"
        ),
        Some(error) if error.kind() == io::ErrorKind::TimedOut => tr!(
            "cannot connect to {host}:{port}: no answer from {tried} within {secs} s (--timeout): check the address, that the server runs with --host 0.0.0.0, and that no firewall blocks the port",
            "无法连接到 {host}:{port}：{secs} 秒内 {tried} 没有应答（--timeout）：请检查地址、服务器是否以 --host 0.0.0.0 运行，以及防火墙是否放行了该端口"
        ),
        Some(error) => {
            let reason = os_error(&error);
            tr!(
                "cannot connect to {host}:{port}: {reason} (tried {tried})",
                "无法连接到 {host}:{port}：{reason}（尝试了 {tried}）"
            )
        }
        None => tr!(
            "cannot connect to {host}:{port}: it has no address",
            "无法连接到 {host}:{port}：它没有地址"
        ),
    }))
}

/// `cs.send(data)`: one piece of a line, whole. A failure means the server has gone; the
/// reader may know why.
fn send(
    mut cs: &TcpStream,
    piece: &[u8],
    server: SocketAddr,
    replies: &Replies,
) -> anyhow::Result<()> {
    if let Err(error) = cs.write_all(piece) {
        if replies.server_has_closed(cs, Duration::ZERO) {
            bail!(closed_by_server(server));
        }
        let reason = os_error(&error);
        bail!(tr!(
            "cannot send to the server at {server}: {reason}",
            "无法发送到服务器 {server}：{reason}"
        ));
    }
    trace!("send({} bytes)", piece.len());
    Ok(())
}

/// The error when the server has closed the connection on its side.
fn closed_by_server(server: SocketAddr) -> String {
    tr!(
        "the server at {server} closed the connection",
        "服务器 {server} 关闭了连接"
    )
}
