//! The chapter's TCP timestamp server (book 16.3.3), in Rust.
//!
//! It answers every message a client sends with the same bytes, stamped with the time:
//! `[Wed Nov 25 17:28:42 2026] hello`. Try it in two terminals:
//!
//! ```text
//! cargo run -p tcp-server          # terminal 1: waits for clients on 127.0.0.1:21567
//! cargo run -p tcp-client          # terminal 2: type a line, see it come back stamped
//! ```
//!
//! `main` follows the book's pseudo-code: `ss = socket()`, `ss.bind()`, `ss.listen()`, then
//! an endless loop of `cs = ss.accept()`, `cs.recv()/cs.send()`, `cs.close()`. That loop
//! comes in the chapter's three ways of serving (`--mode`), all sharing the per-read logic
//! of [`client::Session`]:
//! - `threaded` (the default): one thread per client, like SocketServer's `ThreadingMixIn`;
//! - `iterative`: exactly the book's loop, one client at a time;
//! - `event`: one thread and an event loop over every client, like the chapter's Twisted server.

mod client;
mod event;
mod iterative;
mod server;
mod threaded;

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use socket2::{Domain, Protocol, Socket, Type};

use common::cli::never_if_zero;
use common::output::{Log, Trace, goodbye_on_ctrl_c};
use common::text::Message;
use server::{Limits, Server};

/// The chapter's TCP timestamp server: answers each message with `[ctime] message`.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Try it: `cargo run -p tcp-server` here, then \
    `cargo run -p tcp-client` in another terminal.\nA lab across machines: --host 0.0.0.0"
)]
struct Args {
    /// Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 (or ::) lets other
    /// machines connect, as a lab needs
    #[arg(long, default_value = common::SERVER_HOST)]
    host: String,

    #[command(flatten)]
    shared: common::cli::Shared,

    /// How clients are served: threaded (a thread each), iterative (one at a time, the
    /// book's loop) or event (one thread, an event loop over all)
    #[arg(long, value_enum, default_value_t = Mode::Threaded)]
    mode: Mode,

    /// Most bytes one recv() reads (the book's BUFSIZ)
    #[arg(long, default_value_t = common::BUFSIZ,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=server::MAX_BUFSIZE as u64))]
    bufsize: usize,

    /// Length of the queue of connections not yet accepted (the book's listen(5))
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..=65535))]
    backlog: i32,

    /// Most clients served at once (threaded and event modes); one more is told the server
    /// is busy
    #[arg(long, default_value_t = 10_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    max_clients: usize,

    /// Close a client that sent nothing for this many seconds (0: never)
    #[arg(long, value_name = "SECS", default_value = "0",
          value_parser = common::cli::seconds)]
    idle_timeout: Duration,

    /// Close a client that has not read its replies for this many seconds (0: never), so a
    /// client that stops reading cannot hold the server's memory or a thread forever
    #[arg(long, value_name = "SECS", default_value = "30",
          value_parser = common::cli::seconds)]
    write_timeout: Duration,

    /// Log only the address line, problems with the server and the goodbye
    #[arg(long)]
    quiet: bool,
}

/// The chapter's three ways of serving many clients.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One thread per client (SocketServer's ThreadingMixIn): the default
    Threaded,
    /// One client at a time, exactly the book's loop; the next waits in the backlog
    Iterative,
    /// One thread running an event loop over all clients, as the Twisted server does
    Event,
}

impl Mode {
    /// The mode's name as `--mode` takes it.
    fn name(self) -> &'static str {
        match self {
            Mode::Threaded => "threaded",
            Mode::Iterative => "iterative",
            Mode::Event => "event",
        }
    }
}

fn main() -> ExitCode {
    common::output::one_line_panics("tcp-server");
    let args = Args::parse();
    common::output::exit_status("tcp-server", run(args))
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trace = args.shared.trace();
    let address = common::net::resolve(&args.host, args.shared.port)?[0];

    // The book's three steps: ss = socket(), ss.bind(ADDR), ss.listen(5).
    let listener = open_listener(address, args.backlog, trace)?;
    let bound = listener
        .local_addr()
        .context(Message::CannotReadAddress.text())?;

    let log = Log::start(args.quiet);
    log.always(
        Message::Listening,
        &[("program", &"tcp-server"), ("address", &bound)],
    );
    let mode = args.mode.name();
    log.event(
        Message::TcpSettings,
        &[("mode", &mode), ("bufsize", &args.bufsize)],
    );

    let limits = Limits {
        bufsize: args.bufsize,
        max_clients: args.max_clients,
        idle_timeout: never_if_zero(args.idle_timeout),
        write_timeout: never_if_zero(args.write_timeout),
    };
    let server = Arc::new(Server::new(listener, limits, log, trace));
    let counted = Arc::clone(&server);
    goodbye_on_ctrl_c(server.log.clone(), move || counted.summary());
    match args.mode {
        Mode::Iterative => iterative::serve(&server),
        Mode::Threaded => threaded::serve(&server),
        Mode::Event => event::serve(&server)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `ss = socket()`, `ss.bind(ADDR)`, `ss.listen(backlog)`: the book's three steps, one by one.
fn open_listener(address: SocketAddr, backlog: i32, trace: Trace) -> anyhow::Result<TcpListener> {
    // ss = socket(AF_INET, SOCK_STREAM)
    let ss = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .context(Message::CannotCreateSocket.with(&[("kind", &"TCP")]))?;
    trace.call("socket()");

    allow_quick_restart(&ss, trace)?;
    if address.is_ipv6() && address.ip().is_unspecified() {
        // `--host ::` means every interface, IPv4 ones included, on every system.
        ss.set_only_v6(false)
            .context(Message::CannotSetOption.with(&[("option", &"IPV6_V6ONLY")]))?;
    }

    // ss.bind(ADDR)
    ss.bind(&address.into())
        .map_err(|error| common::net::bind_error(address, error))?;
    trace.call(format_args!("bind({address})"));

    // ss.listen(5)
    ss.listen(backlog)
        .with_context(|| Message::CannotListen.with(&[("address", &address)]))?;
    trace.call(format_args!("listen({backlog})"));

    Ok(ss.into())
}

/// Sets SO_REUSEADDR, so that a server stopped and started again at once can bind its port
/// while the old connections linger in TIME_WAIT, instead of failing "address already in use".
///
/// Not on Windows: there SO_REUSEADDR lets a second server take a port that is in use
/// (Rust's std leaves it off there for the same reason), and Windows needs no help to restart.
fn allow_quick_restart(ss: &Socket, trace: Trace) -> anyhow::Result<()> {
    #[cfg(not(windows))]
    {
        ss.set_reuse_address(true)
            .context(Message::CannotSetOption.with(&[("option", &"SO_REUSEADDR")]))?;
        trace.call("setsockopt(SO_REUSEADDR, 1)");
    }
    #[cfg(windows)]
    let _ = (ss, trace);
    Ok(())
}
