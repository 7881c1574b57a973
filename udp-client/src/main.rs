//! The chapter's UDP timestamp client (book 16.3.7), in Rust.
//!
//! It sends each line of standard input as one datagram and prints the server's stamped
//! reply. Try it in two terminals:
//!
//! ```text
//! cargo run -p udp-server          # terminal 1
//! cargo run -p udp-client          # terminal 2: type lines; an empty line ends it
//! ```
//!
//! [`run`] is the book's program (`tsUclnt.py`), step by step, each under the book's line:
//!
//! ```python
//! HOST = 'localhost'
//! PORT = 21567
//! BUFSIZ = 1024
//! ADDR = (HOST,PORT)
//!
//! udpCliSock = socket(AF_INET,SOCK_DGRAM)
//!
//! while True:
//!     data = raw_input('> ')
//!     if not data:
//!         break
//!     udpCliSock.sendto(data,ADDR)
//!     data,ADDR = udpCliSock.recvfrom(BUFSIZ)
//!     if not data:
//!         break
//!     print data
//!
//! udpCliSock.close()
//! ```
//!
//! Where the book's client would wait forever for a reply that never comes (UDP is
//! connectionless, book 16.2.3: nothing tells the sender that its datagram was lost, or that
//! no server is there), this one waits `--timeout` seconds, sends again up to `--retries`
//! times, says so if no reply came, and goes on with the next line. And it makes a socket for
//! each line rather than one for all of them, so that a late reply is never taken for the
//! answer to a later line (see [`server::Server::socket`]). Standard input is read on a small
//! thread of its own ([`keyboard`]), so that a line typed ahead of the prompt is taken without
//! one, and no reply runs after a `> ` the terminal never moved past.

mod keyboard;
mod screen;
mod server;

use std::collections::VecDeque;
use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use common::cli::{Shared, Target, bytes_up_to, positive_seconds, usage_error};
use common::net::{MAX_DATAGRAM_V6, check_udp_bufsize};
use common::{out, problem, tr};
use keyboard::Input;
use screen::Screen;
use server::{Heard, Server};

/// How many lines in a row may go unanswered before the client gives up on the server.
const UNANSWERED_IN_A_ROW: u32 = 3;

/// How many earlier lines the client remembers, to know a late answer to one of them.
const REMEMBERED: usize = 1000;

/// The chapter's UDP timestamp client: sends each line as a datagram, prints the reply.
#[derive(Parser, Debug)]
#[command(
    version,
    about = tr!(
        "The chapter's UDP timestamp client: sends each line as a datagram, prints the reply.",
        "本章的 UDP 时间戳客户端：把每一行作为一个数据报发送，打印回复。"
    ),
    after_help = tr!(
        "Start the server first: `cargo run -p udp-server`. Name it as for nc: \
         `udp-client 192.168.1.5` or `udp-client 192.168.1.5:21567`.\n\
         An empty line or end of input (Ctrl+D; Ctrl+Z then Enter on Windows) ends the client.",
        "先启动服务器：`cargo run -p udp-server`。可以像 nc 那样指定服务器：\
         `udp-client 192.168.1.5` 或 `udp-client 192.168.1.5:21567`。\n\
         空行或输入结束（Ctrl+D；Windows 上 Ctrl+Z 再回车）会结束客户端。"
    ),
    mut_arg("trace", |arg| arg.help(tr!(
        "Print each socket call to stderr as it happens: socket(), sendto(), recvfrom(), ...",
        "把每次套接字调用实时打印到标准错误（stderr）：socket()、sendto()、recvfrom()……"
    )))
)]
struct Args {
    /// Where the server is: `SERVER`, `--host`, `--port`.
    #[command(flatten)]
    target: Target,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--bufsize`: the book's BUFSIZ, the longest line worth sending (the server reads no
    /// more of a datagram).
    #[arg(long, value_name = tr!("BUFSIZE", "字节数"), default_value_t = common::BUFSIZ,
          value_parser = bytes_up_to(MAX_DATAGRAM_V6 - common::ctime::STAMP_LEN), help = tr!(
        "The most bytes a line can have and still be sent (a Chinese character takes 3): the book's BUFSIZ, all the server reads of a datagram. At most 65480 over IPv4 and 65500 over IPv6",
        "一行最多发送的字节数（一个汉字占 3 字节），即书中的 BUFSIZ：服务器每次最多读取这么多字节，更长的行不会发送；IPv4 上最大 65480，IPv6 上最大 65500"
    ))]
    bufsize: usize,

    /// `--timeout`: how long to wait for each reply.
    #[arg(long, value_name = tr!("SECS", "秒数"), default_value = "2", value_parser = positive_seconds, help = tr!(
        "Seconds to wait for each reply before sending the line again; at most a year",
        "等待每个回复的秒数，超时就重发（最多一年）"
    ))]
    timeout: Duration,

    /// `--retries`: how many times to send a line again.
    #[arg(long, value_name = tr!("RETRIES", "次数"), default_value_t = 2, value_parser = common::cli::whole_number(0, u32::MAX), help = tr!(
        "How many times to send a line again when no reply comes within --timeout",
        "每行最多重发几次（每次等待 --timeout 秒）"
    ))]
    retries: u32,
}

fn main() -> ExitCode {
    common::program::one_line_panics("udp-client");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(false, args.shared.trace);
    // Nobody reads the replies any more (`udp-client | head -1`): stop quietly.
    let result = common::screen::quiet_when_nobody_reads(run(&args));
    common::program::exit_status("udp-client", result)
}

/// The book's client, step by step.
fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // ADDR = (HOST,PORT)
    let (host, port) = args.target.host_and_port::<Args>()?;
    let addresses = common::net::resolve(&host, port)?;
    // not the book: a --bufsize whose reply cannot fit in a datagram is refused
    check_udp_bufsize(args.bufsize, addresses[0]).map_err(usage_error::<Args>)?;
    // not the book: the server's addresses, and how long and how often to try each line
    let mut server = Server::new(addresses, args.timeout, args.retries);
    // not the book: where the prompt and the replies go (screen.rs), and standard input,
    // read by a thread of its own (keyboard.rs)
    let screen = Screen::new();
    let mut input = Input::start(|| io::stdin().lock(), args.bufsize)?;
    // not the book: the lines sent (to know a late reply), and the unanswered ones
    let mut earlier: VecDeque<Vec<u8>> = VecDeque::new();
    let mut unanswered_in_a_row = 0;
    let mut some_line_failed = false;

    // while True:
    loop {
        // data = raw_input('> ')
        // if not data: break
        let Some(line) = input.raw_input(&screen)? else {
            break;
        };
        // not the book: a line longer than --bufsize is not sent (the server would cut it)
        if line.len > args.bufsize {
            say_too_long(line.len, args.bufsize);
            some_line_failed = true;
            continue;
        }
        let data = line.bytes;
        // udpCliSock = socket(AF_INET,SOCK_DGRAM)
        //   (not the book: a new socket for each line, connected to ADDR; why: Server::socket)
        let mut udp_cli_sock = server.socket()?;
        let reply = loop {
            // udpCliSock.sendto(data,ADDR)   (connected to ADDR, so the call is send(data))
            udp_cli_sock.send(&data)?;
            // data,ADDR = udpCliSock.recvfrom(BUFSIZ)
            //   (for at most --timeout; only from ADDR; a late reply to an earlier line skipped)
            match udp_cli_sock.wait_for_reply(&data, &earlier)? {
                Heard::Reply(reply) => break Some(reply),
                // not the book: no reply: send again (--retries), or to the next address
                heard => {
                    if !udp_cli_sock.try_again(&heard)? {
                        break None;
                    }
                }
            }
        };
        // not the book: whether every address refused the line (nothing listens there)
        let refused_everywhere = udp_cli_sock.refused_everywhere();
        // udpCliSock.close()   (each line's socket, once the line is done)
        udp_cli_sock.close();

        // if not data: break   (not the book: an empty datagram is a reply too, shown as one)
        match reply {
            Some(reply) => {
                unanswered_in_a_row = 0;
                // print data
                screen.print(&reply)?;
            }
            // not the book: no reply to a line
            None if refused_everywhere => return Err(server.down()),
            None => {
                unanswered_in_a_row += 1;
                some_line_failed = true;
                if unanswered_in_a_row == UNANSWERED_IN_A_ROW {
                    return Err(server.given_up(unanswered_in_a_row));
                }
                server.say_unanswered(&data);
            }
        }
        remember(&mut earlier, data);
    }
    if some_line_failed {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Remembers a line sent, forgetting the oldest beyond [`REMEMBERED`].
fn remember(earlier: &mut VecDeque<Vec<u8>>, line: Vec<u8>) {
    if earlier.len() == REMEMBERED {
        earlier.pop_front();
    }
    earlier.push_back(line);
}

/// Says why a line longer than `--bufsize` is not sent.
fn say_too_long(len: usize, bufsize: usize) {
    problem!(
        "udp-client: line of {len} bytes not sent: it is longer than --bufsize {bufsize}, and the server reads at most {bufsize} bytes of a datagram and drops the rest; split the line, or raise --bufsize on both programs",
        "udp-client：这一行有 {len} 字节，没有发送：它超过了 --bufsize {bufsize}，而服务器每次最多读取 {bufsize} 字节，多出的部分会被丢弃；请把这一行拆短，或在两个程序上都调大 --bufsize"
    );
}
