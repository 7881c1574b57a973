//! Every message the programs print for a person, in each language they speak.
//!
//! The chapter's readers follow a Chinese edition of the book, whose programs print
//! `等待客户端连接...`; so every log line, notice and error here comes in English and in
//! Chinese, chosen by the locale: `LC_ALL`, then `LC_MESSAGES`, then `LANG` (the first one set
//! decides, as in C); a value starting with `zh` means Chinese, anything else English.
//!
//! The table is [`Message::texts`]: one row a message, one column a language. Adding a
//! language is adding a column (and a [`Language`]). A message names its values, `{peer}`,
//! and [`Message::with`] fills them in.
//!
//! Not translated: `--help` (clap's), the socket calls of `--trace`, and the replies, which
//! are the client's own bytes.

use std::fmt::{self, Display};
use std::sync::OnceLock;

/// A language the programs speak; its number is its column in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// The default.
    English = 0,
    /// Simplified Chinese, as the book's Chinese edition.
    Chinese = 1,
}

impl Language {
    /// The language of this process's locale, read once.
    pub fn current() -> Language {
        static CURRENT: OnceLock<Language> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let var = |name| std::env::var(name).ok();
            Language::from_locale(var("LC_ALL"), var("LC_MESSAGES"), var("LANG"))
        })
    }

    /// The language the first set (non-empty) variable names, as C's locale rules pick it.
    pub fn from_locale(
        lc_all: Option<String>,
        lc_messages: Option<String>,
        lang: Option<String>,
    ) -> Language {
        let locale = [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|value| !value.is_empty());
        match locale {
            Some(value) if value.to_ascii_lowercase().starts_with("zh") => Language::Chinese,
            _ => Language::English,
        }
    }
}

/// Every message, by what it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each one's text is its documentation
pub enum Message {
    // What a server prints as it runs.
    Listening,
    TcpSettings,
    UdpSettings,
    WaitingForConnection,
    ConnectedFrom,
    ReceivedTcp,
    ClientLeft,
    EndLeft,
    EndIdle,
    EndNotReading,
    EndReset,
    EndVanished,
    EndFailed,
    TurnedAway,
    BusyLine,
    AcceptFailed,
    OutOfFiles,
    ThreadFailed,
    PollFailed,
    TcpStopped,
    WaitingForMessage,
    ReturnedTo,
    ReturnedCut,
    CouldNotAnswer,
    ReplyBounced,
    RecvfromFailed,
    LogSkipped,
    NoCtrlC,
    // Errors any program can meet.
    ErrorLine,
    InternalError,
    UnknownHost,
    HostHasNoAddress,
    AddressInUse,
    AddressNotHere,
    PortNeedsAdmin,
    CannotBind,
    CannotListen,
    CannotCreateSocket,
    CannotSetOption,
    CannotReadAddress,
    CannotSetUpEventLoop,
    CannotReadInput,
    UdpBufsizeTooLarge,
    NotSeconds,
    SecondsTooLong,
    MustBePositive,
    UdpStopped,
    // What the clients say.
    CannotConnect,
    ConnectionRefused,
    NoAnswerInTime,
    Tried,
    NoAddressToTry,
    CannotSend,
    NoReplyFrom,
    ReplyTimedOut,
    ServerReset,
    ServerClosed,
    LineNotSent,
    UdpServerDown,
    UdpNoReply,
    CannotReach,
    CannotReceive,
}

impl Message {
    /// Every message, for the tests that check the table.
    pub const ALL: [Message; 62] = {
        use Message::*;
        [
            Listening,
            TcpSettings,
            UdpSettings,
            WaitingForConnection,
            ConnectedFrom,
            ReceivedTcp,
            ClientLeft,
            EndLeft,
            EndIdle,
            EndNotReading,
            EndReset,
            EndVanished,
            EndFailed,
            TurnedAway,
            BusyLine,
            AcceptFailed,
            OutOfFiles,
            ThreadFailed,
            PollFailed,
            TcpStopped,
            WaitingForMessage,
            ReturnedTo,
            ReturnedCut,
            CouldNotAnswer,
            ReplyBounced,
            RecvfromFailed,
            LogSkipped,
            NoCtrlC,
            ErrorLine,
            InternalError,
            UnknownHost,
            HostHasNoAddress,
            AddressInUse,
            AddressNotHere,
            PortNeedsAdmin,
            CannotBind,
            CannotListen,
            CannotCreateSocket,
            CannotSetOption,
            CannotReadAddress,
            CannotSetUpEventLoop,
            CannotReadInput,
            UdpBufsizeTooLarge,
            NotSeconds,
            SecondsTooLong,
            MustBePositive,
            UdpStopped,
            CannotConnect,
            ConnectionRefused,
            NoAnswerInTime,
            Tried,
            NoAddressToTry,
            CannotSend,
            NoReplyFrom,
            ReplyTimedOut,
            ServerReset,
            ServerClosed,
            LineNotSent,
            UdpServerDown,
            UdpNoReply,
            CannotReach,
            CannotReceive,
        ]
    };

    /// The table: this message in every language, in [`Language`] order.
    pub const fn texts(self) -> [&'static str; 2] {
        use Message::*;
        match self {
            Listening => [
                "{program} listening on {address}",
                "{program} 正在监听 {address}",
            ],
            TcpSettings => [
                "mode {mode}, buffer {bufsize} bytes; stop with Ctrl+C",
                "模式 {mode}，缓冲区 {bufsize} 字节；按 Ctrl+C 停止",
            ],
            UdpSettings => [
                "buffer {bufsize} bytes; stop with Ctrl+C",
                "缓冲区 {bufsize} 字节；按 Ctrl+C 停止",
            ],
            WaitingForConnection => ["waiting for connection...", "等待客户端连接..."],
            ConnectedFrom => [
                "...connected from: {peer} ({count} connected)",
                "...连接来自：{peer}（当前 {count} 个客户端）",
            ],
            ReceivedTcp => [
                "received {len} bytes from {peer}: {data}",
                "服务器接受TCP数据：来自 {peer}，{len} 字节：{data}",
            ],
            ClientLeft => [
                "{peer} {why} ({count} connected)",
                "{peer} {why}（当前 {count} 个客户端）",
            ],
            EndLeft => ["disconnected", "已断开连接"],
            EndIdle => [
                "closed: sent nothing for {secs} s (--idle-timeout)",
                "已关闭：{secs} 秒内没有发来任何数据（--idle-timeout）",
            ],
            EndNotReading => [
                "closed: left its replies unread for {secs} s (--write-timeout)",
                "已关闭：{secs} 秒内没有读取回复（--write-timeout）",
            ],
            EndReset => [
                "disconnected: connection reset by the client",
                "已断开：客户端重置了连接",
            ],
            EndVanished => [
                "disconnected: gone before its reply was sent",
                "已断开：回复发出之前客户端已经离开",
            ],
            EndFailed => ["disconnected: {error}", "已断开：{error}"],
            TurnedAway => [
                "{peer} turned away: the server is busy ({max} clients, --max-clients {max})",
                "{peer} 被拒绝：服务器忙（已有 {max} 个客户端，--max-clients {max}）",
            ],
            BusyLine => [
                "server busy: it is already serving {max} clients (its --max-clients); try again later",
                "服务器忙：已在为 {max} 个客户端服务（它的 --max-clients）；请稍后再试",
            ],
            AcceptFailed => [
                "accept() failed: {error}{advice}; trying again in {ms} ms",
                "accept() 失败：{error}{advice}；{ms} 毫秒后重试",
            ],
            OutOfFiles => [
                " (out of file descriptors: lower --max-clients, or raise the limit with ulimit -n)",
                "（文件描述符用尽：请调低 --max-clients，或用 ulimit -n 提高上限）",
            ],
            ThreadFailed => [
                "cannot start a thread for {peer}: {error}; closed it (lower --max-clients?)",
                "无法为 {peer} 启动线程：{error}；已关闭该连接（调低 --max-clients？）",
            ],
            PollFailed => ["poll() failed: {error}", "poll() 失败：{error}"],
            TcpStopped => [
                "tcp-server stopped: served {clients} clients, {messages} messages, {bytes} bytes",
                "tcp-server 已停止：共服务 {clients} 个客户端、{messages} 条消息、{bytes} 字节",
            ],
            WaitingForMessage => ["waiting for message...", "等待消息（数据报）的到来..."],
            ReturnedTo => [
                "...received from and returned to: {peer}: {len} bytes: {data}",
                "...接收自并返回到：{peer}，{len} 字节：{data}",
            ],
            ReturnedCut => [
                "...received from and returned to: {peer}: a datagram longer than {bufsize} bytes, cut: answered with its first {bufsize} bytes: {data}",
                "...接收自并返回到：{peer}，数据报超过 {bufsize} 字节，已截断（cut）：只回复了前 {bufsize} 字节：{data}",
            ],
            CouldNotAnswer => [
                "could not answer {peer}: {error}",
                "无法回复 {peer}：{error}",
            ],
            ReplyBounced => [
                "a reply could not be delivered (its sender has gone: {error}); going on",
                "有一个回复无法送达（发送方已经离开：{error}）；继续运行",
            ],
            RecvfromFailed => [
                "recvfrom() failed: {error}; trying again",
                "recvfrom() 失败：{error}；重试",
            ],
            LogSkipped => [
                "({count} log lines skipped: stdout was not keeping up)",
                "（跳过了 {count} 行日志：标准输出跟不上）",
            ],
            NoCtrlC => [
                "cannot catch Ctrl+C ({error}); the server will stop without a summary",
                "无法捕获 Ctrl+C（{error}）；服务器停止时将不打印汇总",
            ],
            ErrorLine => ["{program}: error: {error}", "{program}：错误：{error}"],
            InternalError => [
                "{program}: internal error{place}: {message} (this is a bug; please report it)",
                "{program}：内部错误{place}：{message}（这是程序的缺陷，请报告）",
            ],
            UnknownHost => [
                "unknown host '{host}' ({error}): check the spelling, or give an IP address such as 127.0.0.1",
                "未知主机 '{host}'（{error}）：请检查拼写，或直接给出 IP 地址，例如 127.0.0.1",
            ],
            HostHasNoAddress => [
                "unknown host '{host}': it has no address",
                "未知主机 '{host}'：它没有地址",
            ],
            AddressInUse => [
                "address {address} is already in use: another server is running on port {port}; stop it, or choose another port with --port (for example --port {next})",
                "地址 {address} 已被占用（address already in use）：端口 {port} 上已有服务器在运行；请停止它，或用 --port 换一个端口（例如 --port {next}）",
            ],
            AddressNotHere => [
                "cannot bind {address}: that address does not belong to this machine; use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)",
                "无法绑定 {address}：该地址不属于本机；请用 --host 127.0.0.1（仅本机）或 --host 0.0.0.0（所有网络接口）",
            ],
            PortNeedsAdmin => [
                "cannot bind {address}: permission denied (ports below 1024 need administrator rights); choose a port above 1023 with --port",
                "无法绑定 {address}：权限不足（1024 以下的端口需要管理员权限）；请用 --port 选择 1023 以上的端口",
            ],
            CannotBind => ["cannot bind {address}", "无法绑定 {address}"],
            CannotListen => ["cannot listen on {address}", "无法在 {address} 上监听"],
            CannotCreateSocket => ["cannot create a {kind} socket", "无法创建 {kind} 套接字"],
            CannotSetOption => ["cannot set {option}", "无法设置 {option}"],
            CannotReadAddress => ["cannot read the socket's address", "无法读取套接字的地址"],
            CannotSetUpEventLoop => ["cannot set up the event loop", "无法建立事件循环"],
            CannotReadInput => ["cannot read standard input", "无法读取标准输入"],
            UdpBufsizeTooLarge => [
                "invalid value '{bufsize}' for '--bufsize': a reply ({stamp} bytes of stamp + {bufsize}) would not fit in one {family} datagram; the largest --bufsize over {family} is {max}",
                "'--bufsize' 的值 '{bufsize}' 无效：回复（{stamp} 字节的时间戳 + {bufsize}）放不进一个 {family} 数据报；{family} 上 --bufsize 最大为 {max}",
            ],
            NotSeconds => [
                "'{text}' is not a number of seconds from 0 up",
                "'{text}' 不是一个大于等于 0 的秒数",
            ],
            SecondsTooLong => ["'{text}' seconds is too long", "'{text}' 秒太长了"],
            MustBePositive => ["must be more than 0 seconds", "必须大于 0 秒"],
            UdpStopped => [
                "udp-server stopped: answered {datagrams} datagrams, {bytes} bytes",
                "udp-server 已停止：共回复 {datagrams} 个数据报、{bytes} 字节",
            ],
            CannotConnect => [
                "cannot connect to {host}:{port}",
                "无法连接到 {host}:{port}",
            ],
            ConnectionRefused => [
                "connection refused at {tried}: no server is running there; start one with `cargo run -p {server}` (with the same --host and --port)",
                "连接被拒绝（connection refused）：{tried} 上没有服务器在运行；请先用 `cargo run -p {server}` 启动服务器（使用相同的 --host 和 --port）",
            ],
            NoAnswerInTime => [
                "no answer from {tried} within {secs} s (--timeout): check the address, that the server runs with --host 0.0.0.0, and that no firewall blocks the port",
                "{secs} 秒内 {tried} 没有应答（--timeout）：请检查地址、服务器是否以 --host 0.0.0.0 运行，以及防火墙是否放行了该端口",
            ],
            Tried => ["tried {tried}", "尝试了 {tried}"],
            NoAddressToTry => ["no address to connect to", "没有可以连接的地址"],
            CannotSend => [
                "cannot send to the server at {server}",
                "无法发送到服务器 {server}",
            ],
            NoReplyFrom => [
                "no reply from the server at {server}",
                "服务器 {server} 没有回复",
            ],
            ReplyTimedOut => [
                "nothing came within {secs} s (--timeout); the server may be stuck or overloaded",
                "{secs} 秒内什么也没有收到（--timeout）；服务器可能卡住了或负载过重",
            ],
            ServerReset => [
                "the server closed the connection (reset)",
                "服务器关闭了连接（重置）",
            ],
            ServerClosed => [
                "the server at {server} closed the connection",
                "服务器 {server} 关闭了连接",
            ],
            LineNotSent => [
                "udp-client: line of {len} bytes not sent: it is longer than --bufsize {bufsize}, and a datagram is all or nothing (the server would cut it); split the line, or raise --bufsize on both programs",
                "udp-client：这一行有 {len} 字节，没有发送：它超过了 --bufsize {bufsize}，而数据报要么整个送达、要么完全不送（服务器会截断它）；请拆分这一行，或在两个程序上都调大 --bufsize",
            ],
            UdpServerDown => [
                "no reply from {server}: the server is down (its port refused the datagrams: nothing is listening there); start it with `cargo run -p udp-server`, with the same --host and --port",
                "{server} 没有回复：服务器没有运行（它的端口拒绝了数据报：那里没有程序在监听）；请用 `cargo run -p udp-server` 启动它，使用相同的 --host 和 --port",
            ],
            UdpNoReply => [
                "no reply from {server} after {tries} tries, {secs} s each: the server may be down or unreachable (over UDP a lost datagram and a missing server look the same); check that udp-server runs there, with the same --port",
                "尝试 {tries} 次（每次等 {secs} 秒）后 {server} 仍没有回复：服务器可能没有运行或无法到达（在 UDP 上，丢失的数据报和不存在的服务器看起来一样）；请检查 udp-server 是否在那里运行，且使用相同的 --port",
            ],
            CannotReach => ["cannot reach {address}", "无法到达 {address}"],
            CannotReceive => ["cannot receive the reply", "无法接收回复"],
        }
    }

    /// This message in the user's language, with each `{name}` filled from `values`.
    pub fn with(self, values: &[(&str, &dyn Display)]) -> String {
        Filled {
            template: self.text(),
            values,
        }
        .to_string()
    }

    /// This message in the user's language, when it has no values.
    pub fn text(self) -> &'static str {
        self.texts()[Language::current() as usize]
    }
}

/// A message with its values, ready to print.
struct Filled<'a> {
    /// The message in the chosen language.
    template: &'static str,
    /// The values for its `{name}`s.
    values: &'a [(&'a str, &'a dyn Display)],
}

impl Display for Filled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            f.write_str(&rest[..open])?;
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            let name = &after[..close];
            match self.values.iter().find(|(key, _)| *key == name) {
                Some((_, value)) => value.fmt(f)?,
                None => write!(f, "{{{name}}}")?, // a missing value shows as itself
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(template: &str) -> Vec<&str> {
        let mut names: Vec<&str> = template
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    #[test]
    fn every_language_names_the_same_values() {
        for message in Message::ALL {
            let [english, chinese] = message.texts();
            assert_eq!(names(english), names(chinese), "{message:?}");
            assert!(!chinese.is_empty() && !english.is_empty(), "{message:?}");
        }
    }

    #[test]
    fn values_are_filled_in() {
        let filled = Filled {
            template: "{peer} sent {len} bytes ({missing})",
            values: &[("peer", &"127.0.0.1:5"), ("len", &6)],
        };
        assert_eq!(filled.to_string(), "127.0.0.1:5 sent 6 bytes ({missing})");
    }

    #[test]
    fn the_locale_picks_the_language() {
        let some = |text: &str| Some(text.to_string());
        use Language::*;
        assert_eq!(Language::from_locale(None, None, None), English);
        assert_eq!(
            Language::from_locale(None, None, some("zh_CN.UTF-8")),
            Chinese
        );
        assert_eq!(
            Language::from_locale(None, some("zh_TW"), some("en_US")),
            Chinese
        );
        assert_eq!(
            Language::from_locale(some("C"), None, some("zh_CN.UTF-8")),
            English
        );
        assert_eq!(
            Language::from_locale(some(""), None, some("zh_CN")),
            Chinese
        );
        assert_eq!(
            Language::from_locale(some("en_GB.UTF-8"), None, None),
            English
        );
    }

    #[test]
    fn the_busy_line_says_busy_in_english() {
        assert!(Message::BusyLine.texts()[Language::English as usize].contains("busy"));
    }
}
