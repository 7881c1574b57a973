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
//! `main` follows the book's pseudo-code: `cs = socket()`, then a loop of `cs.sendto()` and
//! `cs.recvfrom()`. Where the book's client would wait forever for a reply that never comes
//! (UDP is connectionless, book 16.2.3: nothing tells the sender that its datagram was lost,
//! or that no server is there), this one waits `--timeout` seconds, sends again up to
//! `--retries` times, and then says so.

mod remote;

use std::collections::VecDeque;
use std::io::{self, BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use clap::Parser;

use common::cli::{Shared, Target, bytes_up_to, positive_seconds, usage_error};
use common::lang::os_error;
use common::net::{MAX_DATAGRAM_V6, check_udp_bufsize};
use common::run::print_now;
use common::{out, problem, tr, trace};
use remote::Remote;

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
    )
)]
struct Args {
    /// Where the server is: `SERVER`, `--host`, `--port`.
    #[command(flatten)]
    target: Target,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    shared: Shared,

    /// `--bufsize`: the book's BUFSIZ, the longest line worth sending.
    #[arg(long, default_value_t = common::BUFSIZ,
          value_parser = bytes_up_to(MAX_DATAGRAM_V6 - common::ctime::STAMP_LEN), help = tr!(
        "Longest line sent (the book's BUFSIZ): a longer one would be cut by the server, so it is not sent. At most 65480 over IPv4 and 65500 over IPv6",
        "发送的最长一行（书中的 BUFSIZ）：更长的会被服务器截断，所以不发送。IPv4 上最大 65480，IPv6 上最大 65500"
    ))]
    bufsize: usize,

    /// `--timeout`: how long to wait for each reply.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = positive_seconds, help = tr!(
        "Seconds to wait for each reply before sending again (at most a year)",
        "每次等待回复的秒数，超过就重发（最多一年）"
    ))]
    timeout: Duration,

    /// `--retries`: how many times to send again.
    #[arg(long, default_value_t = 2, value_parser = common::cli::whole_number(0, u32::MAX), help = tr!(
        "How many times to send again when no reply comes",
        "没有回复时重发的次数"
    ))]
    retries: u32,
}

fn main() -> ExitCode {
    common::run::one_line_panics("udp-client");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(false, args.shared.trace);
    common::run::exit_status("udp-client", run(&args))
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (host, port) = args.target.host_and_port::<Args>();
    let addresses = common::net::resolve(&host, port)?;
    check_udp_bufsize(args.bufsize, addresses[0])
        .unwrap_or_else(|message| usage_error::<Args>(message));
    // cs = socket(AF_INET, SOCK_DGRAM)
    let mut server = Remote::new(addresses, args.timeout, args.retries)?;

    let on_terminal = io::stdin().is_terminal();
    let mut input = io::stdin().lock();
    let mut earlier: VecDeque<Vec<u8>> = VecDeque::new();
    let mut some_line_not_sent = false;
    loop {
        // data = input('> ')
        if on_terminal && print_now(b"> ").is_err() {
            break;
        }
        let Some(line) = read_line(&mut input)? else {
            if on_terminal {
                let _ = print_now(b"\n"); // after Ctrl+D, the shell's prompt starts on a line of its own
            }
            break;
        };
        if line.len() > args.bufsize {
            let (len, bufsize) = (line.len(), args.bufsize);
            problem!(
                "udp-client: line of {len} bytes not sent: it is longer than --bufsize {bufsize}, and a datagram is all or nothing (the server would cut it); split the line, or raise --bufsize on both programs",
                "udp-client：这一行有 {len} 字节，没有发送：它超过了 --bufsize {bufsize}，而数据报要么整个送达、要么完全不送（服务器会截断它）；请拆分这一行，或在两个程序上都调大 --bufsize"
            );
            some_line_not_sent = true;
            continue;
        }
        // cs.sendto(data, ADDR); data, ADDR = cs.recvfrom(BUFSIZ)
        let mut reply = server.exchange(&line, &earlier)?;
        reply.push(b'\n');
        match print_now(&reply) {
            Ok(()) => {}
            Err(error) if common::run::nobody_reads(&error) => break, // nobody reads: stop quietly
            Err(error) => {
                let reason = os_error(&error);
                return Err(anyhow!(tr!(
                    "cannot write the reply to standard output: {reason}",
                    "无法把回复写到标准输出：{reason}"
                )));
            }
        }
        if earlier.len() == REMEMBERED {
            earlier.pop_front();
        }
        earlier.push_back(line);
    }
    // cs.close()
    trace!("close()");
    Ok(match some_line_not_sent {
        true => ExitCode::FAILURE,
        false => ExitCode::SUCCESS,
    })
}

/// Reads one line of input, without its `\n` (or `\r\n`, as Windows and `telnet` end lines).
/// `None` ends the client: end of input, or an empty line, as in the book.
fn read_line(input: &mut impl BufRead) -> anyhow::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    input.read_until(b'\n', &mut line).map_err(|error| {
        let reason = os_error(&error);
        anyhow!(tr!(
            "cannot read standard input: {reason}",
            "无法读取标准输入：{reason}"
        ))
    })?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok((!line.is_empty()).then_some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_drops_the_newline_and_a_carriage_return() {
        let mut input = &b"one\r\ntwo\n\nthree"[..];
        assert_eq!(read_line(&mut input).unwrap(), Some(b"one".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), Some(b"two".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), None);
        assert_eq!(read_line(&mut input).unwrap(), Some(b"three".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), None);
    }
}
