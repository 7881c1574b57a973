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

use std::fmt::Display;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::{MAX_UDP_BUFSIZE_V6, check_udp_bufsize, exit_with_usage_error};
use common::output::{Log, Printable, Trace, goodbye_on_ctrl_c};
use common::text::Message;

/// The chapter's UDP timestamp server: answers each datagram with `[ctime] data`.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Try it: `cargo run -p udp-server` here, then \
    `cargo run -p udp-client` in another terminal.\nA lab across machines: --host 0.0.0.0"
)]
struct Args {
    /// Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 (or ::) lets other
    /// machines send, as a lab needs
    #[arg(long, default_value = common::SERVER_HOST)]
    host: String,

    #[command(flatten)]
    shared: common::cli::Shared,

    /// Most bytes of a datagram answered (the book's BUFSIZ); a longer one is cut to this.
    /// At most 65480 over IPv4 and 65500 over IPv6, so that the reply fits in a datagram
    #[arg(long, default_value_t = common::BUFSIZ,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_UDP_BUFSIZE_V6 as u64))]
    bufsize: usize,

    /// Log only the address line, problems with the server and the goodbye
    #[arg(long)]
    quiet: bool,
}

/// What the server counts, for the goodbye line.
#[derive(Default)]
struct Counts {
    /// Datagrams answered.
    datagrams: AtomicU64,
    /// Bytes received.
    bytes: AtomicU64,
}

fn main() -> ExitCode {
    common::output::one_line_panics("udp-server");
    let args = Args::parse();
    common::output::exit_status("udp-server", run(args))
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trace = args.shared.trace();
    let address = common::net::resolve(&args.host, args.shared.port)?[0];
    if let Err(message) = check_udp_bufsize(args.bufsize, &address) {
        exit_with_usage_error::<Args>(message);
    }

    // The book's two steps: ss = socket(AF_INET, SOCK_DGRAM), ss.bind(ADDR).
    let ss = open_socket(address, trace)?;
    let bound = ss.local_addr().context(Message::CannotReadAddress.text())?;

    let log = Log::start(args.quiet);
    log.always(
        Message::Listening,
        &[("program", &"udp-server"), ("address", &bound)],
    );
    log.event(Message::UdpSettings, &[("bufsize", &args.bufsize)]);
    let counts = Arc::new(Counts::default());
    let counted = Arc::clone(&counts);
    goodbye_on_ctrl_c(log.clone(), move || {
        let datagrams = counted.datagrams.load(Ordering::Relaxed);
        let bytes = counted.bytes.load(Ordering::Relaxed);
        Message::UdpStopped.with(&[("datagrams", &datagrams), ("bytes", &bytes)])
    });

    // One byte more than BUFSIZ: a datagram that fills it was longer than BUFSIZ.
    let mut buffer = vec![0; args.bufsize + 1];
    loop {
        log.event(Message::WaitingForMessage, &[]);
        // data, addr = ss.recvfrom(BUFSIZ)
        let Some((received, client)) = receive(&ss, &mut buffer, &log, trace) else {
            continue;
        };
        let cut = received > args.bufsize;
        let data = &buffer[..received.min(args.bufsize)];
        counts.datagrams.fetch_add(1, Ordering::Relaxed);
        counts.bytes.fetch_add(received as u64, Ordering::Relaxed);

        // ss.sendto('[%s] %s' % (ctime(), data), addr)
        let reply = common::reply(data);
        match ss.send_to(&reply, client) {
            Ok(sent) => trace.call(format_args!("sendto({sent} bytes, {client})")),
            Err(error) => {
                log.event(
                    Message::CouldNotAnswer,
                    &[("peer", &client), ("error", &error)],
                );
                continue;
            }
        }
        let message = match cut {
            true => Message::ReturnedCut,
            false => Message::ReturnedTo,
        };
        let values: [(&str, &dyn Display); 4] = [
            ("peer", &client),
            ("len", &data.len()),
            ("bufsize", &args.bufsize),
            ("data", &Printable(data)),
        ];
        log.event(message, &values);
    }
}

/// `ss = socket(AF_INET, SOCK_DGRAM)` and `ss.bind(ADDR)`.
fn open_socket(address: SocketAddr, trace: Trace) -> anyhow::Result<UdpSocket> {
    let ss = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .context(Message::CannotCreateSocket.with(&[("kind", &"UDP")]))?;
    trace.call("socket()");
    if address.is_ipv6() && address.ip().is_unspecified() {
        // `--host ::` means every interface, IPv4 ones included, on every system.
        ss.set_only_v6(false)
            .context(Message::CannotSetOption.with(&[("option", &"IPV6_V6ONLY")]))?;
    }
    // No SO_REUSEADDR here, unlike the TCP server: with it, a second UDP server could bind
    // the same port and silently share (or steal) the datagrams. Without it, the second one
    // fails with "address already in use", which is what a student needs to see.
    ss.bind(&address.into())
        .map_err(|error| common::net::bind_error(address, error))?;
    trace.call(format_args!("bind({address})"));
    Ok(ss.into())
}

/// `ss.recvfrom(BUFSIZ)`: the next datagram's length and sender, or `None` after an error
/// that concerns one client only (logged), so the loop goes on.
fn receive(
    ss: &UdpSocket,
    buffer: &mut [u8],
    log: &Log,
    trace: Trace,
) -> Option<(usize, SocketAddr)> {
    match ss.recv_from(buffer) {
        Ok((received, client)) => {
            // Named as the book calls it: recvfrom(BUFSIZ). The buffer's extra byte only
            // tells whether the datagram was longer.
            let bufsize = buffer.len() - 1;
            trace.call(format_args!(
                "recvfrom({bufsize}) -> {received} bytes from {client}"
            ));
            Some((received, client))
        }
        // An earlier reply bounced: its sender had gone, and the ICMP "port unreachable" that
        // came back surfaces here (on Windows even on this unconnected socket). That is one
        // client's business, not the server's.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
            ) =>
        {
            trace.call(format_args!("recvfrom() -> {error}"));
            log.event(Message::ReplyBounced, &[("error", &error)]);
            None
        }
        Err(error) if error.kind() == io::ErrorKind::Interrupted => None,
        Err(error) => {
            log.problem(Message::RecvfromFailed, &[("error", &error)]);
            // Never spin: a socket that keeps failing is retried ten times a second.
            thread::sleep(Duration::from_millis(100));
            None
        }
    }
}
