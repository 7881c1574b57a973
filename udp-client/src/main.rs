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

use std::fmt::Display;
use std::io::{self, IsTerminal};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{MAX_UDP_BUFSIZE_V6, check_udp_bufsize, exit_with_usage_error};
use common::console::{read_line, show};
use common::net::is_timeout;
use common::output::Trace;
use common::reply::STAMP_LEN;
use common::text::Message;

/// Room for the largest datagram there is, so no reply is ever cut on the way in.
const LARGEST_DATAGRAM: usize = 65_536;

/// The chapter's UDP timestamp client: sends each line as a datagram, prints the reply.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Start the server first: `cargo run -p udp-server`.\n\
    An empty line or end of input (Ctrl+D; Ctrl+Z then Enter on Windows) ends the client."
)]
struct Args {
    /// The server's host name or address
    #[arg(long, default_value = common::HOST)]
    host: String,

    #[command(flatten)]
    shared: common::cli::Shared,

    /// Longest line sent (the book's BUFSIZ): a longer one would be cut by the server, so it
    /// is not sent. At most 65480 over IPv4 and 65500 over IPv6
    #[arg(long, default_value_t = common::BUFSIZ,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_UDP_BUFSIZE_V6 as u64))]
    bufsize: usize,

    /// Seconds to wait for each reply before sending again
    #[arg(long, value_name = "SECS", default_value = "2",
          value_parser = common::cli::positive_seconds)]
    timeout: Duration,

    /// How many times to send again when no reply comes
    #[arg(long, default_value_t = 2)]
    retries: u32,
}

fn main() -> ExitCode {
    common::output::one_line_panics("udp-client");
    let args = Args::parse();
    common::output::exit_status("udp-client", run(args))
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trace = args.shared.trace();
    let addresses = common::net::resolve(&args.host, args.shared.port)?;
    if let Err(message) = check_udp_bufsize(args.bufsize, &addresses[0]) {
        exit_with_usage_error::<Args>(message);
    }
    let mut server = Server::new(addresses, args.timeout, args.retries, trace)?;

    let mut input = io::stdin().lock();
    let show_prompt = io::stdin().is_terminal();
    let mut out = io::stdout().lock();
    let mut some_line_not_sent = false;
    loop {
        // data = input('> ')
        if show_prompt && show(&mut out, b"> ").is_err() {
            break;
        }
        let Some(line) = read_line(&mut input)? else {
            break;
        };
        if line.len() > args.bufsize {
            let values: [(&str, &dyn Display); 2] =
                [("len", &line.len()), ("bufsize", &args.bufsize)];
            eprintln!("{}", Message::LineNotSent.with(&values));
            some_line_not_sent = true;
            continue;
        }
        // cs.sendto(data, ADDR); data, ADDR = cs.recvfrom(BUFSIZ)
        let mut reply = server.exchange(&line)?;
        reply.push(b'\n');
        if show(&mut out, &reply).is_err() {
            // stdout is closed (`udp-client | head -1`): nobody is reading, so stop quietly.
            break;
        }
    }
    // cs.close()
    trace.call("close()");
    Ok(match some_line_not_sent {
        true => ExitCode::FAILURE,
        false => ExitCode::SUCCESS,
    })
}

/// The server as this client sees it: where it is, and the socket that talks to it.
struct Server {
    /// The socket, connected to `address`: the system then drops datagrams from anyone else,
    /// and tells us when the server's port refuses ours.
    cs: UdpSocket,
    /// The address in use.
    address: SocketAddr,
    /// Addresses still to try if this one refuses (`localhost` may have two).
    others: Vec<SocketAddr>,
    /// `--timeout`: how long to wait for each reply.
    timeout: Duration,
    /// `--retries`: how many times to send again.
    retries: u32,
    /// `--trace` output.
    trace: Trace,
    /// Room for the largest datagram, made once rather than for every line.
    buffer: Vec<u8>,
}

/// How one wait for a reply ended.
enum Wait {
    /// The reply to the line just sent, as received.
    Reply(Vec<u8>),
    /// Nothing came in time.
    Silence,
    /// The system said the server's port refused the datagram (ICMP port unreachable).
    Refused,
}

impl Server {
    /// `cs = socket(AF_INET, SOCK_DGRAM)`, aimed at the first address.
    fn new(
        mut addresses: Vec<SocketAddr>,
        timeout: Duration,
        retries: u32,
        trace: Trace,
    ) -> anyhow::Result<Server> {
        let address = addresses.remove(0);
        Ok(Server {
            cs: open_socket(address, trace)?,
            address,
            others: addresses,
            timeout,
            retries,
            trace,
            buffer: vec![0; LARGEST_DATAGRAM],
        })
    }

    /// Sends `line` and returns the server's reply, sending again after each `--timeout`
    /// without one, `--retries` times at most.
    fn exchange(&mut self, line: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut refused = false;
        let mut tries = 0;
        while tries <= self.retries {
            tries += 1;
            // cs.sendto(data, ADDR)
            let wait = match self.cs.send(line) {
                Ok(sent) => {
                    self.trace
                        .call(format_args!("sendto({sent} bytes, {})", self.address));
                    self.wait_for_reply(line)?
                }
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => Wait::Refused,
                Err(error) => {
                    return Err(error)
                        .context(Message::CannotSend.with(&[("server", &self.address)]));
                }
            };
            match wait {
                Wait::Reply(reply) => return Ok(reply),
                Wait::Silence => self.trace.call(format_args!(
                    "no reply within {} s",
                    self.timeout.as_secs_f64()
                )),
                // A refusal from an address we then leave for the next one was not a try at
                // the server: it does not count against --retries.
                Wait::Refused if self.try_next_address()? => tries -= 1,
                Wait::Refused => refused = true,
            }
        }
        Err(self.no_reply(tries, refused))
    }

    /// Waits up to `--timeout` for the reply to `line`, passing over anything else.
    fn wait_for_reply(&mut self, line: &[u8]) -> anyhow::Result<Wait> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Wait::Silence);
            }
            self.cs.set_read_timeout(Some(left))?;
            // data, ADDR = cs.recvfrom(BUFSIZ)
            let (received, sender) = match self.cs.recv_from(&mut self.buffer) {
                Ok(received) => received,
                Err(error) if is_timeout(&error) => return Ok(Wait::Silence),
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                    self.trace.call("recvfrom() -> connection refused");
                    return Ok(Wait::Refused);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error).context(Message::CannotReceive.text()),
            };
            self.trace.call(format_args!(
                "recvfrom({LARGEST_DATAGRAM}) -> {received} bytes from {sender}"
            ));
            let reply = &self.buffer[..received];
            // Unlike the book's client, take replies from the server only, and only the one
            // to this line: a late answer to an earlier resend would put us out of step.
            if sender != self.address {
                self.trace
                    .call(format_args!("ignored: {sender} is not the server"));
            } else if !is_reply_to(line, reply) {
                self.trace
                    .call("ignored: not the reply to this line (a late one?)");
            } else {
                return Ok(Wait::Reply(reply.to_vec()));
            }
        }
    }

    /// After a refusal, moves on to the host's next address, if it has one.
    fn try_next_address(&mut self) -> anyhow::Result<bool> {
        if self.others.is_empty() {
            return Ok(false);
        }
        self.address = self.others.remove(0);
        self.cs = open_socket(self.address, self.trace)?;
        Ok(true)
    }

    /// The error after the last try: no reply, and whether the server is likely down.
    fn no_reply(&self, tries: u32, refused: bool) -> anyhow::Error {
        let message = match refused {
            true => Message::UdpServerDown,
            false => Message::UdpNoReply,
        };
        let secs = self.timeout.as_secs_f64();
        let values: [(&str, &dyn Display); 3] = [
            ("server", &self.address),
            ("tries", &tries),
            ("secs", &secs),
        ];
        anyhow!(message.with(&values))
    }
}

/// `cs = socket(AF_INET, SOCK_DGRAM)`, connected to `address`.
///
/// The book's client never connects a UDP socket. Connecting one sends nothing; it only
/// fixes the peer, so that the system drops datagrams from anyone else and reports an ICMP
/// "port unreachable" (no server there) as "connection refused" on the next receive.
fn open_socket(address: SocketAddr, trace: Trace) -> anyhow::Result<UdpSocket> {
    let cs = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .context(Message::CannotCreateSocket.with(&[("kind", &"UDP")]))?;
    trace.call("socket()");
    cs.connect(&address.into())
        .with_context(|| Message::CannotReach.with(&[("address", &address)]))?;
    trace.call(format_args!("connect({address})"));
    Ok(cs.into())
}

/// True if `reply` is `[ctime] ` followed by `line`, or by its start (a server with a
/// smaller `--bufsize` cuts it).
fn is_reply_to(line: &[u8], reply: &[u8]) -> bool {
    let stamped = reply.len() >= STAMP_LEN && reply[0] == b'[' && &reply[25..27] == b"] ";
    stamped && line.starts_with(&reply[STAMP_LEN..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_the_line_or_its_start_behind_a_stamp() {
        let stamp = b"[Wed Nov 25 17:28:42 2026] ";
        let reply = |data: &[u8]| [&stamp[..], data].concat();
        assert!(is_reply_to(b"hello", &reply(b"hello")));
        assert!(is_reply_to(b"hello", &reply(b"hel")));
        assert!(!is_reply_to(b"hello", &reply(b"older line")));
        assert!(!is_reply_to(b"hello", &reply(b"hello!")));
        assert!(!is_reply_to(b"hello", b"hello"));
    }
}
