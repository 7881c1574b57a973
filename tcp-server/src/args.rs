//! The TCP server's command line, and the settings it comes to.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use common::cli::{Listen, Shared, bytes_up_to, seconds};
use common::tr;

use crate::connection::{Settings, read_size};

/// The largest `--bufsize`: 16 MiB is far past any use, and keeps a typo from asking for
/// gigabytes per client.
pub const MAX_BUFSIZE: usize = 16 * 1024 * 1024;

/// The chapter's TCP timestamp server: answers each message with `[ctime] message`.
#[derive(Parser, Debug)]
#[command(
    version,
    about = tr!(
        "The chapter's TCP timestamp server: answers each message with [ctime] message.",
        "本章的 TCP 时间戳服务器：对收到的每条消息回复“[ctime] 消息”。"
    ),
    after_help = tr!(
        "Try it: `cargo run -p tcp-server` here, then `cargo run -p tcp-client` in another terminal.\n\
         A lab across machines: --host 0.0.0.0. The timestamp is local time (TZ on Linux and macOS).",
        "试一试：在这里运行 `cargo run -p tcp-server`，再在另一个终端运行 `cargo run -p tcp-client`。\n\
         跨机器的实验课：--host 0.0.0.0。时间戳是本地时间（在 Linux 和 macOS 上由环境变量 TZ 决定时区）。"
    ),
    mut_arg("trace", |arg| arg.help(tr!(
        "Print each socket call to stderr as it happens: socket(), bind(), listen(), accept(), recv(), send(), ...",
        "把每次套接字调用实时打印到标准错误（stderr）：socket()、bind()、listen()、accept()、recv()、send()……"
    )))
)]
pub struct Args {
    /// `--host`, `--port` and `--quiet`, as both servers take them.
    #[command(flatten)]
    pub listen: Listen,

    /// `--trace` and what every program takes.
    #[command(flatten)]
    pub shared: Shared,

    /// `--mode`: the chapter's three ways of serving.
    #[arg(long, value_enum, value_name = tr!("MODE", "模式"), default_value_t = Mode::Threaded, help = tr!(
        "How clients are served: threaded (a thread each), iterative (one at a time, the book's loop) or event (one thread, an event loop over all)",
        "服务客户端的模式：threaded 每个客户端一个线程，如书中 SocketServer 的 ThreadingMixIn；iterative 一次服务一个，即书中的循环，下一个在等待队列里等；event 一个线程用事件循环服务所有客户端，如本章的 Twisted 服务器"
    ))]
    pub mode: Mode,

    /// `--bufsize`: the book's BUFSIZ.
    #[arg(long, value_name = tr!("BUFSIZE", "字节数"), default_value_t = common::BUFSIZ, value_parser = bytes_up_to(MAX_BUFSIZE), help = tr!(
        "Most bytes one recv() reads (the book's BUFSIZ)",
        "一次 recv() 最多读取的字节数，即书中的 BUFSIZ"
    ))]
    pub bufsize: usize,

    /// `--backlog`: the queue of connections not yet accepted.
    #[arg(long, value_name = tr!("BACKLOG", "长度"), value_parser = common::cli::whole_number(0, 65535), help = tr!(
        "Length of the queue of connections not yet accepted: the book's listen(5) in the iterative mode, 128 in the others, so a class connecting at once is neither delayed nor refused",
        "等待队列的长度，即最多容纳多少个还没有被 accept() 的连接：iterative 模式默认为书中的 listen(5)，其他模式默认为 128，这样全班同时连接时既不会被延迟也不会被拒绝"
    ))]
    pub backlog: Option<i32>,

    /// `--max-clients`: a bound on what a class can take from the server.
    #[arg(long, value_name = tr!("MAX_CLIENTS", "数量"), default_value_t = 10_000, value_parser = at_least_one, help = tr!(
        "Most clients served at once (threaded and event modes); one more is told the server is busy",
        "threaded 和 event 模式下同时服务的客户端数上限；超出上限的客户端会收到“服务器忙”并被断开"
    ))]
    pub max_clients: usize,

    /// `--idle-timeout`: frees the place of a client that went quiet.
    #[arg(long, value_name = tr!("SECS", "秒数"), default_value = "0", value_parser = seconds, help = tr!(
        "Close a client that sent nothing for this many seconds, telling it why (0: never)",
        "客户端连续这么多秒未发送任何内容就断开它，并告诉它原因；0 表示不限"
    ))]
    pub idle_timeout: Duration,

    /// `--write-timeout`: frees the place of a client that stopped reading.
    #[arg(long, value_name = tr!("SECS", "秒数"), default_value = "30", value_parser = seconds, help = tr!(
        "Close a client that has not read its replies for this many seconds (0: never), so it cannot hold the server's memory or a thread forever",
        "客户端连续这么多秒未读取回复就断开它，免得它一直占用内存或线程；0 表示不限"
    ))]
    pub write_timeout: Duration,
}

/// Parses a count of at least 1, such as `--max-clients 30`.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => Err(tr!(
            "give a whole number from 1 up",
            "应为大于等于 1 的整数"
        )),
    }
}

/// The chapter's three ways of serving many clients.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One thread per client (SocketServer's ThreadingMixIn): the default.
    Threaded,
    /// One client at a time, exactly the book's loop; the next waits in the backlog.
    Iterative,
    /// One thread running an event loop over all clients, as the Twisted server does.
    Event,
}

impl Args {
    /// The listen queue: the book's 5 for its one-at-a-time loop, where the lesson is that
    /// the next client waits there; 128 where every client is served at once.
    pub fn backlog(&self) -> i32 {
        self.backlog.unwrap_or(match self.mode {
            Mode::Iterative => 5,
            Mode::Threaded | Mode::Event => 128,
        })
    }

    /// What serving one client needs to know.
    pub fn settings(&self) -> Settings {
        let never_if_zero = |duration: Duration| (!duration.is_zero()).then_some(duration);
        Settings {
            bufsize: read_size(self.bufsize),
            idle_timeout: never_if_zero(self.idle_timeout),
            write_timeout: never_if_zero(self.write_timeout),
        }
    }
}
