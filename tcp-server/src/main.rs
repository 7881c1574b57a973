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
//! This file is the book's server, step by step, each step under the book's line for it
//! (`ss` and `cs` are the pseudo-code's names for `tcpSerSock` and `tcpCliSock`):
//!
//! ```python
//! tcpSerSock = socket(AF_INET,SOCK_STREAM)        # 创建服务器套接字
//! tcpSerSock.bind(ADDR)                           # 把地址绑定到套接字上
//! tcpSerSock.listen(5)                            # 监听连接
//!
//! try:
//!     while True:                                 # 服务器无限循环
//!         print '等待客户端连接...'
//!         tcpCliSock, addr = tcpSerSock.accept()  # 接受客户端连接
//!         print '...connected from:',addr
//!
//!         while True:                             # 通信循环
//!             data = tcpCliSock.recv(BUFSIZ)      # 接受TCP数据
//!             if not data:
//!                 break
//!             else:
//!                 print '服务器接受TCP数据：',data
//!                 tcpCliSock.send('[%s] %s' % (ctime(), data))
//!
//! except Exception, e:
//!     raise e
//!
//! tcpSerSock.close()
//! ```
//!
//! `--mode iterative` runs that loop exactly: one client at a time, the next waits in the
//! listen backlog. `--mode threaded` (the default) is the same loop with each client's part
//! moved onto a thread of its own, as SocketServer's `ThreadingMixIn` does, so a whole class
//! is served at once. `--mode event` (`event.rs`) serves every client from one thread with an
//! event loop, as the chapter's Twisted server does. All three answer each read with the same
//! [`answer`]. What is not the book says so where it happens, one named call each.

mod admission;
mod args;
mod backoff;
mod connection;
mod connection_log;
mod conversation;
mod ending;
mod event;
mod goodbye;
mod memory;
mod spare;
mod tally;
mod utf8;

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread::{self, Scope};

use clap::ValueEnum;
use socket2::{Domain, Protocol, Socket, Type};

use admission::{Limit, Permit, Shortage};
use args::{Args, Mode};
use backoff::Backoff;
use common::ctime::STAMP_LEN;
use common::net::{bind_error, cannot, cannot_set, is_timeout};
use common::{log, out, trace, trace_wait};
use connection::Settings;
use conversation::Conversation;
use ending::Ending;
use spare::Spare;
use tally::TALLY;

/// How much stack a client's thread gets. Its buffer is on the heap, so a small stack is
/// plenty, and thousands of connected clients cost little memory (and little address space,
/// which is what `ulimit -v` limits).
const CLIENT_STACK: usize = 128 * 1024;

fn main() -> ExitCode {
    common::program::one_line_panics("tcp-server");
    let args: Args = match common::cli::parse() {
        Ok(args) => args,
        Err(usage) => return usage.report(), // --help, --version, or a usage error
    };
    out::start(args.listen.quiet, args.shared.trace);
    common::program::exit_status("tcp-server", run(&args))
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let address = common::net::resolve(&args.listen.host, args.listen.port)?[0];
    let backlog = args.backlog();

    // tcpSerSock = socket(AF_INET,SOCK_STREAM)
    let ss = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(|error| cannot("socket()", error))?;
    trace!("socket()");
    // not the book: a server restarted at once binds its port again (SO_REUSEADDR).
    connection::allow_quick_restart(&ss)?;
    // not the book: on `::`, IPv4 clients are heard too, on every system.
    common::net::hear_ipv4_too(&ss, address)?;
    // not the book: what a client that never reads costs the kernel stays small.
    connection::modest_kernel_buffers(&ss).map_err(|error| cannot_set("SO_SNDBUF", error))?;

    // tcpSerSock.bind(ADDR)
    ss.bind(&address.into())
        .map_err(|error| bind_error(address, error))?;
    trace!("bind({address})");

    // tcpSerSock.listen(5)
    ss.listen(backlog)
        .map_err(|error| cannot("listen()", error))?;
    trace!("listen({backlog})");
    let ss: TcpListener = ss.into();

    announce(&ss, args)?;
    out::on_stop(|| {
        connection_log::tell_the_rest();
        TALLY.summary()
    });
    let settings = args.settings();
    let limit = Limit::new(args.max_clients, settings.bufsize);
    match args.mode {
        Mode::Iterative => serve(&ss, &limit, settings, Clients::OneAtATime),
        Mode::Threaded => serve(&ss, &limit, settings, Clients::AThreadEach),
        Mode::Event => event::serve(&ss, &limit, settings)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// How the book's loop serves its clients.
#[derive(Clone, Copy)]
enum Clients {
    /// One at a time, as in the book: the next waits in the backlog.
    OneAtATime,
    /// Each on a thread of its own, as SocketServer's `ThreadingMixIn`.
    AThreadEach,
}

/// The book's loop: wait for a client, talk with it, close, and again, forever.
fn serve(ss: &TcpListener, limit: &Limit, settings: Settings, clients: Clients) -> ! {
    let mut spare = Spare::new(ss);
    let mut say_waiting = true;
    thread::scope(|scope| {
        loop {
            // print '等待客户端连接...'
            if say_waiting {
                log!("waiting for connection...", "等待客户端连接...");
            }
            // tcpCliSock, addr = tcpSerSock.accept()
            let (cs, addr) = accept(ss, &mut spare);
            // not the book: a client there is no room for (a file descriptor beside it, a
            // place under --max-clients, memory) is told why, and closed.
            let permit = match limit.admit(addr, spare.kept_beside(ss)) {
                Ok(permit) => permit,
                Err(refusal) => {
                    say_waiting = limit.turn_away(cs, addr, refusal);
                    continue;
                }
            };
            say_waiting = permit.shown.get();
            // print '...connected from:',addr
            connected_from(addr, &permit);
            match clients {
                // while True: ... (the inner loop, then the next client)
                Clients::OneAtATime => talk(cs, addr, permit, settings),
                // not the book: the same talk on a thread of its own, and back to accept().
                Clients::AThreadEach => {
                    talk_on_a_thread(scope, limit, (cs, addr), permit, settings)
                }
            }
        }
    })
}

/// `tcpCliSock, addr = tcpSerSock.accept()`: waits for the next client.
///
/// not the book: a failed accept is reported and tried again after a pause, instead of ending
/// the server; out of file descriptors, the spare one is given up at once, so that the client
/// waiting can be accepted and told ([`spare`]). An IPv4 client of a server on `::` is named
/// by its IPv4 address ([`common::net::unmapped`]).
fn accept(ss: &TcpListener, spare: &mut Spare) -> (TcpStream, SocketAddr) {
    let mut backoff = Backoff::new();
    loop {
        trace_wait!("accept() ...");
        match ss.accept() {
            Ok((cs, addr)) => {
                trace!("accept() -> {addr}");
                return (cs, common::net::unmapped(addr));
            }
            Err(error) => {
                let out_of_descriptors = Shortage::of(&error) == Some(Shortage::FileDescriptors);
                if !(out_of_descriptors && spare.give_up(&error)) {
                    thread::sleep(backoff.failed(&error));
                }
            }
        }
    }
}

/// The book's `print '...connected from:',addr`, in the book's words in every language (the
/// Chinese edition prints this line in English too), and how many clients are connected. A
/// client reconnecting in a loop is counted, not shown ([`connection_log`]).
pub fn connected_from(addr: SocketAddr, permit: &Permit<'_>) {
    if !permit.shown.get() {
        return;
    }
    let now = permit.connected;
    log!(
        "...connected from: {addr} ({now} connected)",
        "...connected from: {addr}（当前 {now} 个客户端）"
    );
}

/// One client: the book's inner loop, then `cs.close()`.
fn talk(mut cs: TcpStream, addr: SocketAddr, permit: Permit<'_>, settings: Settings) {
    let mut conversation = Conversation::new(addr, settings.bufsize, permit.shown.clone());
    let ending = recv_and_send(&mut cs, &mut conversation, settings);
    // cs.close()  (the pseudo-code's 关闭客户端套接字; the book's code leaves it to Python)
    drop(cs);
    ending::closed(addr, permit, &ending, conversation.skipped_lines());
}

/// The book's inner loop: `data = tcpCliSock.recv(BUFSIZ)` and the reply sent, until the
/// client leaves; returns why it ended.
fn recv_and_send(
    cs: &mut TcpStream,
    conversation: &mut Conversation,
    settings: Settings,
) -> Ending {
    // not the book: no Nagle delay, urgent bytes as data, --idle-timeout and --write-timeout.
    if let Err(error) = connection::prepare(cs, &settings) {
        return Ending::from_error(error);
    }
    let (addr, bufsize) = (conversation.peer, settings.bufsize);
    let mut data = vec![0; bufsize];
    let mut replies = Vec::new();
    loop {
        replies.clear();
        // data = tcpCliSock.recv(BUFSIZ)
        trace_wait!("recv({bufsize}) ...  [{addr}]");
        let last = match cs.read(&mut data) {
            // if not data: break
            Ok(0) => {
                conversation.on_end(&mut replies);
                Some(Ending::Left)
            }
            Ok(n) => {
                answer(conversation, &data[..n], &mut replies);
                None
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if is_timeout(&error) => {
                let after = settings.idle_timeout.unwrap_or_default();
                conversation.on_idle(after, &mut replies);
                Some(Ending::Idle(after))
            }
            Err(error) => return Ending::from_error(error),
        };
        // tcpCliSock.send('[%s] %s' % (ctime(), data)): the whole reply, as `sendall` sends it
        if !replies.is_empty() {
            if let Err(ending) = connection::send_all(cs, &replies, settings.write_timeout) {
                return ending;
            }
            trace!("send({} bytes)  [{addr}]", replies.len());
            connection::shrink_after_use(&mut replies);
        }
        if let Some(ending) = last {
            return ending;
        }
    }
}

/// The server's answer to one read, the same in every mode: the book's
/// `print '服务器接受TCP数据：',data`, and the reply `'[%s] %s' % (ctime(), data)` appended to
/// `replies` (sent by the caller).
pub fn answer(conversation: &mut Conversation, data: &[u8], replies: &mut Vec<u8>) {
    conversation.received(data.len());
    let start = replies.len();
    // '[%s] ' % ctime()
    common::ctime::stamp_into(replies);
    // ... + data, whole characters only (the start of one a full read cut waits for the rest)
    if conversation.whole_characters(data, replies) == 0 {
        replies.truncate(start); // every byte held back: no reply this time
    }
    // print '服务器接受TCP数据：',data  (as the reply carries it)
    let answered = replies.get(start + STAMP_LEN..).unwrap_or_default();
    conversation.log_received(data.len(), answered);
}

/// [`talk`] on a thread of its own. When no thread can start (the system's limit on threads,
/// or memory), the client is told the server is busy, and why, and the server goes on.
fn talk_on_a_thread<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    limit: &'env Limit,
    (cs, addr): (TcpStream, SocketAddr),
    permit: Permit<'env>,
    settings: Settings,
) {
    // A second handle on the socket, to say goodbye with if the thread cannot start.
    let spare = cs.try_clone();
    let started = thread::Builder::new()
        .name(format!("client {addr}"))
        .stack_size(CLIENT_STACK)
        .spawn_scoped(scope, move || talk(cs, addr, permit, settings));
    // The permit went with the closure that could not run: its place is free again.
    if let (Err(error), Ok(cs)) = (started, spare) {
        limit.could_not_serve(cs, addr, Shortage::of_thread(&error));
    }
}

/// The address the server is bound to, the board's lines ([`common::net::announce`]), and the
/// settings it serves with.
fn announce(ss: &TcpListener, args: &Args) -> anyhow::Result<()> {
    let bound = ss
        .local_addr()
        .map_err(|error| cannot("getsockname()", error))?;
    common::net::announce("tcp-server", "tcp-client", bound);
    let (mode, bufsize, backlog) = (args.mode, args.bufsize, args.backlog());
    let buffer = common::lang::count(bufsize as u64, "byte");
    let mode = mode
        .to_possible_value()
        .map(|value| value.get_name().to_string())
        .unwrap_or_default();
    log!(
        "mode {mode}, buffer {buffer}, backlog {backlog}; stop with Ctrl+C",
        "模式 {mode}，缓冲区 {bufsize} 字节，等待队列 {backlog}；按 Ctrl+C 停止"
    );
    Ok(())
}
