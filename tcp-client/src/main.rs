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
//! `run` is the book's program (`tsTclnt.py`), step by step, each under the book's line:
//!
//! ```python
//! HOST = 'localhost'
//! PORT = 21567
//! BUFSIZ = 1024
//! ADDR = (HOST,PORT)
//!
//! tcpCliSock = socket(AF_INET,SOCK_STREAM)
//! tcpCliSock.connect(ADDR)
//!
//! while True:
//!     data = raw_input('> ')
//!     if not data:
//!         break
//!     tcpCliSock.send(data)
//!     data = tcpCliSock.recv(BUFSIZ)
//!     if not data:
//!         break
//!     print data
//!
//! tcpCliSock.close()
//! ```
//!
//! What differs from the book, on purpose (each marked "not the book" where it happens):
//! - **A `\n` ends each line, and each reply.** TCP is a stream with no message boundaries
//!   (book 16.2.3): one `recv()` may return half a reply, or two, and a slow network may pause
//!   for seconds inside one. So each line goes out with a `\n`, and `recv` gives what comes
//!   up to the reply's `\n`, however many reads that takes: the client never falls out of
//!   step. What a reply says is the server's business ([`replies`]).
//! - **Waiting happens on small threads** ([`threads`]): the keyboard, `recv()` and `send()`
//!   each wait on a thread of their own and tell the loop what happened, as the Rust Book's
//!   `for received in rx` loop hears its threads. So the server closing the connection ends
//!   the client at once, even while it waits for the keyboard, and a line of any length goes
//!   out while its replies are shown.
//! - **After the last line**, the client half-closes (`shutdown(SHUT_WR)`) and shows every
//!   byte the server still sends, until the server closes.
//! - **A name with several addresses** is connected as Happy Eyeballs does ([`connect`]).

mod connect;
mod errors;
mod replies;
mod screen;
mod talk;
mod threads;

use std::io::{self, IsTerminal};
use std::net::Shutdown;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use common::cli::{Shared, Target, positive_seconds};
use common::lang::OsError;
use common::{tr, trace};
use replies::Reader;
use screen::Screen;
use talk::Talk;

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
    ),
    mut_arg("trace", |arg| arg.help(tr!(
        "Print each socket call to stderr as it happens: socket(), connect(), send(), recv(), ...",
        "把每次套接字调用实时打印到标准错误（stderr）：socket()、connect()、send()、recv()……"
    )))
)]
struct Args {
    /// Where the server is: `SERVER`, `--host`, `--port`.
    #[command(flatten)]
    target: Target,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--timeout`: how long the connect may take.
    #[arg(long, value_name = tr!("SECS", "秒数"), default_value = "10", value_parser = positive_seconds, help = tr!(
        "Seconds to wait for the connection (at most a year)",
        "等待连接建立的秒数（最多一年）"
    ))]
    timeout: Duration,

    /// `--reply-timeout`: how long a reply may take; without it, as long as the connection lasts.
    #[arg(long, value_name = tr!("SECS", "秒数"), value_parser = positive_seconds, help = tr!(
        "Seconds to wait for each reply before giving up (default: as long as the connection lasts, as the book's client does)",
        "每个回复最多等待的秒数，超过就放弃（默认：只要连接还在就一直等，和书中的客户端一样）"
    ))]
    reply_timeout: Option<Duration>,
}

fn main() -> ExitCode {
    common::program::one_line_panics("tcp-client");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    common::out::start(false, args.shared.trace);
    // Nobody reads the replies any more (`tcp-client | head -1`): stop quietly.
    let result = common::screen::quiet_when_nobody_reads(run(&args));
    common::program::exit_status("tcp-client", result)
}

/// The book's client, step by step.
fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // ADDR = (HOST,PORT)
    let (host, port) = args.target.host_and_port::<Args>()?;
    let addresses = common::net::resolve(&host, port)?;

    // tcpCliSock = socket(AF_INET,SOCK_STREAM)
    // tcpCliSock.connect(ADDR)
    //   (a socket for each address the name has, the first to connect kept: see `connect`)
    let tcp_cli_sock = connect::first_to_answer(&host, port, &addresses, args.timeout)?;
    // not the book: the server's address, for messages
    let server = tcp_cli_sock.peer_addr().map_err(OsError::new).context(tr!(
        "the connection ended as soon as it was made",
        "连接刚建立就断开了"
    ))?;
    // not the book: TCP_NODELAY, so each line leaves at once, not held back by Nagle
    tcp_cli_sock
        .set_nodelay(true)
        .map_err(|error| common::net::cannot_set("TCP_NODELAY", error))?;
    // not the book: who types (a person at a terminal sees the prompt; a pipe does not), and
    // where the replies are shown (screen.rs)
    let reader = if io::stdin().is_terminal() {
        Reader::Person
    } else {
        Reader::Program
    };
    let mut screen = Screen::new(server, reader, io::stdout().is_terminal());
    // not the book: the threads that wait for the keyboard, recv() and send() (threads.rs)
    let mut talk = Talk::start(&tcp_cli_sock, server, reader, args.reply_timeout)?;

    // while True:
    loop {
        // data = raw_input('> ')
        // if not data: break
        let Some(data) = talk.raw_input(&mut screen)? else {
            break;
        };
        // tcpCliSock.send(data)
        talk.send(data, &mut screen)?;
        // data = tcpCliSock.recv(BUFSIZ)   (what comes, up to the reply's '\n')
        // if not data: break               (the server closed: an error, said by `recv`)
        for data in talk.recv() {
            // print data
            screen.print(data?)?;
        }
    }
    // not the book: shutdown(SHUT_WR), nothing more to send; what the server still sends is
    // shown until it closes
    if tcp_cli_sock.shutdown(Shutdown::Write).is_ok() {
        trace!("shutdown(SHUT_WR)");
    }
    for data in talk.recv_the_rest() {
        // print data
        screen.print(data?)?;
    }
    // tcpCliSock.close()
    drop(tcp_cli_sock);
    trace!("close()");
    Ok(ExitCode::SUCCESS)
}
