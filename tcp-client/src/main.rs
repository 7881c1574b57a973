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
//! `cs.send(data)` and `cs.recv(BUFSIZ)`, and `cs.close()`.
//!
//! One thing differs from the book, on purpose. TCP is a stream with no message boundaries
//! (book 16.2.3): one `recv()` may return half a reply, or two. So each line goes out with
//! a `\n`, and the client reads the reply up to its `\n`, however many reads that takes.
//! A line longer than the server's buffer comes back as one line with several timestamps,
//! and the client never falls out of step.

use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

use common::console::{read_line, show};
use common::net::is_timeout;
use common::output::Trace;
use common::text::Message;

/// The chapter's TCP timestamp client: sends each line of input, prints the stamped reply.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Start the server first: `cargo run -p tcp-server`.\n\
    An empty line or end of input (Ctrl+D; Ctrl+Z then Enter on Windows) ends the client."
)]
struct Args {
    /// The server's host name or address
    #[arg(long, default_value = common::HOST)]
    host: String,

    #[command(flatten)]
    shared: common::cli::Shared,

    /// Seconds to wait for the connection, and for each reply
    #[arg(long, value_name = "SECS", default_value = "10",
          value_parser = common::cli::positive_seconds)]
    timeout: Duration,
}

fn main() -> ExitCode {
    common::output::one_line_panics("tcp-client");
    let args = Args::parse();
    common::output::exit_status("tcp-client", run(args))
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trace = args.shared.trace();
    let (host, port) = (args.host.as_str(), args.shared.port);
    let addresses = common::net::resolve(host, port)?;

    // cs = socket(AF_INET, SOCK_STREAM); cs.connect(ADDR)
    let cs = connect(&addresses, args.timeout, trace)
        .with_context(|| Message::CannotConnect.with(&[("host", &host), ("port", &port)]))?;
    let server = cs.peer_addr().context(Message::CannotReadAddress.text())?;
    // Each line leaves at once (no Nagle delay), and no reply is waited for forever.
    cs.set_nodelay(true)
        .context(Message::CannotSetOption.with(&[("option", &"TCP_NODELAY")]))?;
    cs.set_read_timeout(Some(args.timeout))
        .context(Message::CannotSetOption.with(&[("option", &"SO_RCVTIMEO")]))?;

    // The book's BUFSIZ: each recv() asks for at most 1024 bytes, as in the book.
    let mut replies = BufReader::with_capacity(common::BUFSIZ, Traced { stream: &cs, trace });
    let mut input = io::stdin().lock();
    let show_prompt = io::stdin().is_terminal();
    let mut out = io::stdout().lock();
    loop {
        // data = input('> ')
        if show_prompt && show(&mut out, b"> ").is_err() {
            break;
        }
        let Some(line) = read_line(&mut input)? else {
            break;
        };

        // cs.send(data)
        send_line(&cs, &line, trace)
            .with_context(|| Message::CannotSend.with(&[("server", &server)]))?;

        // data = cs.recv(BUFSIZ), until the reply's '\n'
        let reply = read_reply(&mut replies, args.timeout)
            .with_context(|| Message::NoReplyFrom.with(&[("server", &server)]))?;
        if show(&mut out, &reply).is_err() {
            // stdout is closed (`tcp-client | head -1`): nobody is reading, so stop quietly.
            break;
        }
        if !reply.ends_with(b"\n") || server_has_closed(&replies) {
            bail!(Message::ServerClosed.with(&[("server", &server)]));
        }
    }
    // cs.close()
    drop(replies);
    drop(cs);
    trace.call("close()");
    Ok(ExitCode::SUCCESS)
}

/// `cs = socket()` and `cs.connect(ADDR)`, for each address `host` has until one answers.
fn connect(addresses: &[SocketAddr], timeout: Duration, trace: Trace) -> anyhow::Result<TcpStream> {
    let mut refused = false;
    let mut last_error = None;
    for &address in addresses {
        let cs = Socket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .context(Message::CannotCreateSocket.with(&[("kind", &"TCP")]))?;
        trace.call("socket()");
        match cs.connect_timeout(&address.into(), timeout) {
            Ok(()) => {
                trace.call(format_args!("connect({address})"));
                return Ok(cs.into());
            }
            Err(error) => {
                trace.call(format_args!("connect({address}) -> {error}"));
                refused |= error.kind() == io::ErrorKind::ConnectionRefused;
                last_error = Some(error);
            }
        }
    }
    let tried = common::net::list(addresses);
    if refused {
        let message = Message::ConnectionRefused;
        bail!(message.with(&[("tried", &tried), ("server", &"tcp-server")]));
    }
    let secs = timeout.as_secs_f64();
    match last_error {
        Some(error) if error.kind() == io::ErrorKind::TimedOut => {
            bail!(Message::NoAnswerInTime.with(&[("tried", &tried), ("secs", &secs)]))
        }
        Some(error) => {
            Err(anyhow::Error::new(error).context(Message::Tried.with(&[("tried", &tried)])))
        }
        None => bail!(Message::NoAddressToTry.text()),
    }
}

/// `cs.send(data)`: the line and its `\n`, in one write.
fn send_line(mut cs: &TcpStream, line: &[u8], trace: Trace) -> io::Result<()> {
    let mut message = Vec::with_capacity(line.len() + 1);
    message.extend_from_slice(line);
    message.push(b'\n');
    cs.write_all(&message)?;
    trace.call(format_args!("send({} bytes)", message.len()));
    Ok(())
}

/// Reads one reply, up to and including its `\n`. A reply without `\n` at the end means the
/// server closed the connection after sending it.
fn read_reply(replies: &mut impl BufRead, timeout: Duration) -> anyhow::Result<Vec<u8>> {
    let mut reply = Vec::new();
    match replies.read_until(b'\n', &mut reply) {
        Ok(_) => Ok(reply),
        Err(error) if is_timeout(&error) => {
            let secs = timeout.as_secs_f64();
            Err(anyhow!(Message::ReplyTimedOut.with(&[("secs", &secs)])))
        }
        // A reset after a complete reply is the server closing the connection.
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset && !reply.is_empty() => {
            Ok(reply)
        }
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
            Err(anyhow!(Message::ServerReset.text()))
        }
        Err(error) => Err(error.into()),
    }
}

/// True when the server has already closed its side, as a busy server does right after its
/// one line. Looks without waiting, and only when no more reply bytes are buffered.
fn server_has_closed(replies: &BufReader<Traced<'_>>) -> bool {
    if !replies.buffer().is_empty() {
        return false;
    }
    let cs = replies.get_ref().stream;
    if cs.set_nonblocking(true).is_err() {
        return false;
    }
    let peeked = cs.peek(&mut [0; 1]);
    let _ = cs.set_nonblocking(false);
    match peeked {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != io::ErrorKind::WouldBlock,
    }
}

/// The socket as a reader that reports each `recv()` to `--trace`.
struct Traced<'a> {
    /// The connected socket.
    stream: &'a TcpStream,
    /// Where to report each call.
    trace: Trace,
}

impl Read for Traced<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buffer)?;
        self.trace
            .call(format_args!("recv({}) -> {n} bytes", buffer.len()));
        Ok(n)
    }
}
