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
//! [`run`] follows the book's pseudo-code, each step under the book's name:
//!
//! ```text
//! cs = socket()                       # create the client socket
//! comm_loop():                        # the conversation loop
//!     cs.sendto()/cs.recvfrom()       # talk (send/receive)
//! cs.close()                          # close the client socket
//! ```
//!
//! Where the book's client would wait forever for a reply that never comes (UDP is
//! connectionless, book 16.2.3: nothing tells the sender that its datagram was lost, or that
//! no server is there), this one waits `--timeout` seconds, sends again up to `--retries`
//! times, says so if no reply came, and goes on with the next line. And it makes a socket for
//! each line rather than one for all of them, so that a late reply is never taken for the
//! answer to a later line (see [`server::Server::socket`]). Standard input is read on a small
//! thread of its own ([`Input`]), so that a line typed ahead of the prompt is taken without
//! one, and no reply runs after a `> ` the terminal never moved past.

mod server;

use std::collections::VecDeque;
use std::io::{self, BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use common::cli::{Shared, Target, bytes_up_to, positive_seconds, usage_error};
use common::lang::OsError;
use common::net::{MAX_DATAGRAM_V6, check_udp_bufsize};
use common::program::{nobody_reads, print_now};
use common::{out, problem, tr};
use server::{Heard, Server};

/// How many lines in a row may go unanswered before the client gives up on the server.
const UNANSWERED_IN_A_ROW: u32 = 3;

/// How long the client waits, before it shows the prompt, for a line typed ahead of it.
const TYPED_AHEAD: Duration = Duration::from_millis(100);

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
    common::program::exit_status("udp-client", run(&args))
}

/// The book's client, step by step.
fn run(args: &Args) -> anyhow::Result<ExitCode> {
    // ADDR = (HOST, PORT)
    let (host, port) = args.target.host_and_port::<Args>()?;
    let addresses = common::net::resolve(&host, port)?;
    check_udp_bufsize(args.bufsize, addresses[0]).map_err(usage_error::<Args>)?;
    let mut server = Server::new(addresses, args.timeout, args.retries);
    let screen = Screen::new();
    let mut input = Input::start(|| io::stdin().lock())?;
    let mut earlier: VecDeque<Vec<u8>> = VecDeque::new();
    let mut unanswered_in_a_row = 0;
    let mut some_line_failed = false;

    // comm_loop():
    loop {
        // data = raw_input('> '); if not data: break
        let Some(data) = input.read_line(&screen)? else {
            break;
        };
        if data.len() > args.bufsize {
            say_too_long(data.len(), args.bufsize);
            some_line_failed = true;
            continue;
        }
        // cs = socket(), then connect(ADDR): a new socket for each line (why: Server::socket)
        let mut cs = server.socket()?;
        let reply = loop {
            // cs.sendto(data, ADDR): cs is connected to ADDR, so the call is cs.send(data)
            cs.send(&data)?;
            // data, ADDR = cs.recvfrom(BUFSIZ), for at most --timeout
            match cs.recv_from(&data, &earlier)? {
                Heard::Reply(reply) => break Some(reply),
                // no reply: send again (--retries), or to the server's next address
                heard => {
                    if !cs.try_again(&heard)? {
                        break None;
                    }
                }
            }
        };
        let refused_everywhere = cs.refused_everywhere();
        // cs.close()
        cs.close();

        match reply {
            // print data
            Some(reply) => {
                unanswered_in_a_row = 0;
                if screen.print_reply(&reply)? == Printed::NobodyReads {
                    break;
                }
            }
            None if refused_everywhere => return Err(server.down()),
            None => {
                unanswered_in_a_row += 1;
                some_line_failed = true;
                if unanswered_in_a_row == UNANSWERED_IN_A_ROW {
                    return Err(server.likely_down(unanswered_in_a_row));
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

/// Where the client's input comes from and its replies go: a person at a terminal, or pipes.
struct Screen {
    /// Standard input is a terminal: someone types, so the prompt is shown.
    typing: bool,
    /// Standard output is a terminal: a reply's control characters are shown, not obeyed.
    showing: bool,
}

/// Whether a reply reached standard output.
#[derive(PartialEq, Eq)]
enum Printed {
    /// It did.
    Yes,
    /// Nobody reads standard output any more (`udp-client | head -1`): stop quietly.
    NobodyReads,
}

impl Screen {
    /// Looks at what standard input and output are.
    fn new() -> Screen {
        Screen {
            typing: io::stdin().is_terminal(),
            showing: io::stdout().is_terminal(),
        }
    }

    /// `> `, on a terminal, after every note and error so far: they start on a line of their
    /// own, and the prompt comes after them, not before.
    fn prompt(&self) -> anyhow::Result<()> {
        out::flush(Duration::from_secs(1));
        if self.typing {
            print_now(b"> ").or_else(ignore_nobody_reads)?;
        }
        Ok(())
    }

    /// The reply on a line of its own, after the `--trace` lines of the calls that brought
    /// it. On a terminal its control characters are shown visibly (a forged reply must not
    /// retitle the window or rewrite the line); into a pipe or file it goes as it came.
    fn print_reply(&self, reply: &[u8]) -> anyhow::Result<Printed> {
        out::flush(Duration::from_secs(1));
        let mut line = if self.showing {
            common::screen::visible(reply).into_owned()
        } else {
            reply.to_vec()
        };
        line.push(b'\n');
        match print_now(&line) {
            Ok(()) => Ok(Printed::Yes),
            Err(error) if nobody_reads(&error) => Ok(Printed::NobodyReads),
            Err(error) => Err(common::program::cannot_write_reply(error)),
        }
    }

    /// Ends the prompt's line when input ends without a newline (Ctrl+D), so whatever
    /// follows, the shell's prompt too, starts on a line of its own.
    fn end_line(&self) -> anyhow::Result<()> {
        if self.typing {
            print_now(b"\n").or_else(ignore_nobody_reads)?;
        }
        Ok(())
    }
}

/// A prompt nobody reads is no error: the replies will find that out and stop the client.
fn ignore_nobody_reads(error: io::Error) -> anyhow::Result<()> {
    if nobody_reads(&error) {
        return Ok(());
    }
    Err(OsError::new(error)).context(tr!("cannot write to standard output", "无法写到标准输出"))
}

/// Standard input, a line at a time, read by a thread of its own: so the client can tell a
/// line typed ahead of the prompt (a quick typist, a paste) from one not typed yet.
struct Input {
    /// Each line as read, with its `\n` if it had one; an empty one at the end of input.
    lines: Receiver<io::Result<Vec<u8>>>,
    /// The input has ended: on a terminal Ctrl+D after some typing sends that text as the
    /// last line, and a terminal would go on reading after it, so the end is kept here.
    ended: bool,
}

impl Input {
    /// Starts the thread that reads the lines of what `open` gives, one ahead of the loop.
    fn start<R: BufRead>(open: impl FnOnce() -> R + Send + 'static) -> anyhow::Result<Input> {
        let (tell, lines) = mpsc::sync_channel(0);
        thread::Builder::new()
            .name("keyboard".into())
            .spawn(move || read_lines(open(), &tell))
            .map_err(OsError::new)
            .context(tr!(
                "cannot start the thread that reads standard input",
                "无法启动读取标准输入的线程"
            ))?;
        Ok(Input {
            lines,
            ended: false,
        })
    }

    /// `raw_input('> ')`: shows the prompt on a terminal and reads one line of input, without
    /// its `\n` (or `\r\n`, as Windows and `telnet` end lines). `None` ends the client: end
    /// of input, or an empty line, as in the book.
    fn read_line(&mut self, screen: &Screen) -> anyhow::Result<Option<Vec<u8>>> {
        if self.ended {
            return Ok(None);
        }
        let mut line = self.next_line(screen)?;
        match line.last() {
            Some(b'\n') => {
                line.pop();
            }
            // Ctrl+D, on the prompt's line or after some text typed
            _ => {
                self.ended = true;
                screen.end_line()?;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok((!line.is_empty()).then_some(line))
    }

    /// The next line as read, after the prompt, unless it was typed ahead of it with its
    /// Enter: the terminal echoed that line and moved to a new one before the prompt could
    /// come, and a prompt shown now would leave the reply glued after `> `.
    fn next_line(&self, screen: &Screen) -> anyhow::Result<Vec<u8>> {
        let typed_ahead = if screen.typing {
            self.lines.recv_timeout(TYPED_AHEAD).ok()
        } else {
            None
        };
        let entered = matches!(&typed_ahead, Some(Ok(line)) if line.ends_with(b"\n"));
        if !entered {
            screen.prompt()?;
        }
        let read = match typed_ahead {
            Some(read) => read,
            None => self.lines.recv().unwrap_or_else(|_| Ok(Vec::new())),
        };
        read.map_err(common::program::cannot_read_input)
    }
}

/// The keyboard thread: reads each line (with its `\n`, if it has one) and hands it over,
/// until the input ends (a line without `\n`) or fails.
fn read_lines(mut source: impl BufRead, tell: &SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut line = Vec::new();
        let read = source.read_until(b'\n', &mut line).map(|_| line);
        let goes_on = matches!(&read, Ok(line) if line.ends_with(b"\n"));
        if tell.send(read).is_err() || !goes_on {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_drops_the_newline_and_a_carriage_return() {
        let mut input = Input::start(|| &b"one\r\ntwo\n\nthree"[..]).unwrap();
        let pipes = Screen {
            typing: false,
            showing: false,
        };
        let mut next = || input.read_line(&pipes).unwrap();
        assert_eq!(next(), Some(b"one".to_vec()));
        assert_eq!(next(), Some(b"two".to_vec()));
        assert_eq!(next(), None);
        assert_eq!(next(), Some(b"three".to_vec()));
        assert_eq!(next(), None);
    }

    /// A terminal: each read gives what was typed up to Enter or Ctrl+D, and Ctrl+D at a
    /// line's start reads as the end (0 bytes), after which reading goes on.
    struct Terminal(VecDeque<&'static [u8]>);

    impl io::Read for Terminal {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let typed = self.0.pop_front().unwrap_or_default();
            buffer[..typed.len()].copy_from_slice(typed);
            Ok(typed.len())
        }
    }

    /// A terminal goes on reading after Ctrl+D; the client must not.
    #[test]
    fn after_a_last_line_without_a_newline_nothing_more_is_read() {
        let typing = [&b"last"[..], b"", b"typed after Ctrl+D\n"];
        let mut input = Input::start(move || io::BufReader::new(Terminal(typing.into()))).unwrap();
        let pipes = Screen {
            typing: false,
            showing: false,
        };
        assert_eq!(input.read_line(&pipes).unwrap(), Some(b"last".to_vec()));
        assert_eq!(input.read_line(&pipes).unwrap(), None);
    }
}
