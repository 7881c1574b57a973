//! The mistakes students make, each named, so that the kit can say what one usually means and
//! the tests can assert on the name whatever the language of the words.

use common::tr;

/// A common mistake, recognised on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// Nothing listens at the address (or a host that cannot be found, or does not answer).
    NotListening,
    /// Refused at an address of another machine: a machine is there, but nothing takes
    /// connections from other machines on that port (not running, or on 127.0.0.1 only).
    RefusedFromOutside,
    /// Refused at one of this machine's addresses while the port answers at another of them
    /// (127.0.0.1): the server listens on one interface, not on every one.
    OneInterfaceOnly,
    /// The connection (or datagram) was taken, closed without a reply, and nothing listens
    /// since: the server crashed on its first message.
    CrashedOnFirstMessage,
    /// The server answered earlier checks, and nothing listens now: it stopped.
    Stopped,
    /// Nothing listens now, and the gradebook shows it answered in the last run: it stopped
    /// since, most likely on that run's `reset` check.
    StoppedSinceLastRun,
    /// It answered one client, and nothing listens since: no outer loop.
    EndsAfterFirstClient,
    /// A client connecting after another left gets no reply: stuck in the first client's loop.
    StuckOnGoneClient,
    /// No reply at all in time.
    Silent,
    /// The connection closed (or reset) before any reply.
    ClosedWithoutReply,
    /// More bytes than any reply could be, still coming.
    AnswersForever,
    /// Two replies (or more) came for one message.
    TwoReplies,
    /// The reply does not start with `[` + a timestamp + `]`.
    NoStamp,
    /// A ctime, but not in square brackets.
    NoBrackets,
    /// `]` followed straight by the data.
    NoSpace,
    /// A timestamp, but not in ctime's layout.
    OtherLayout,
    /// C's `ctime()` string with its own newline, inside the brackets.
    CtimeNewline,
    /// `Nov 05` for ctime's `Nov  5`: `strftime('%d')`.
    ZeroPaddedDay,
    /// `b'hello'`: Python 3's `'%s' % data` with `data` still bytes.
    PythonBytes,
    /// A newline the client never sent, at the end of the reply.
    ExtraNewline,
    /// The whole buffer went back, zero bytes after the data (Java's `new String(buf)`, C's
    /// `send(buf, sizeof buf)`).
    ZeroFilled,
    /// Spaces or newlines at the ends of the data taken off (`strip()`).
    Stripped,
    /// Only the start of the data came back: a datagram cut at a small `recvfrom()` buffer.
    Cut,
    /// Bytes that are not UTF-8 came back as U+FFFD.
    Replaced,
    /// Bytes that are not UTF-8 ended the connection or the server: a failed decode.
    FailedDecode,
    /// Chinese text ended the connection, the client's thread or the server.
    FailsOnChinese,
    /// The data came back changed in some other way.
    Changed,
    /// The time is UTC while local time is not.
    Utc,
    /// The time is a whole number of hours off: another zone.
    OtherZone,
    /// The time is off by as many hours as most of the room's: the room is in another zone
    /// than the kit's machine, which says nothing about this server's code.
    RoomZone,
    /// The time is off by some other amount.
    WrongClock,
    /// Two replies a second apart carry the same time: `ctime()` taken once.
    FrozenStamp,
    /// The connection closes after the first reply: no inner loop.
    ClosesAfterOneReply,
    /// A message longer than the buffer comes back in part only.
    NotWhole,
    /// Clients connected together are served one at a time.
    OneAtATime,
    /// A client that resets or vanishes ends the server.
    DiesOnReset,
    /// A reply goes to another client than the sender: a UDP server answering an address
    /// it kept, TCP threads sharing one connection.
    WrongAddress,
    /// A UDP reply comes from another address or port than the one written to.
    WrongSource,
}

impl Mistake {
    /// True for the mistakes that leave nobody to talk to: once one is found before any
    /// reply, every other check would only wait as long again to find it.
    pub fn nobody_there(self) -> bool {
        matches!(
            self,
            Mistake::NotListening
                | Mistake::RefusedFromOutside
                | Mistake::OneInterfaceOnly
                | Mistake::CrashedOnFirstMessage
                | Mistake::StoppedSinceLastRun
        )
    }

    /// What a mistake in the reply's form usually means, and what to do, in the reader's
    /// language. (Mistakes that need figures are worded by the check that finds them.)
    pub fn meaning(self) -> String {
        match self {
            Mistake::NoStamp => tr!(
                "the reply does not start with `[` + a ctime timestamp + `] `: the book's server sends '[%s] %s' % (ctime(), data)",
                "回复没有以“[”+ ctime 时间戳 +“] ”开头：书中的服务器发送的是 '[%s] %s' % (ctime(), data)"
            ),
            Mistake::NoBrackets => tr!(
                "the timestamp is not in square brackets: the reply is '[%s] %s' % (ctime(), data)",
                "时间戳没有放在方括号里：回复应为 '[%s] %s' % (ctime(), data)"
            ),
            Mistake::NoSpace => tr!(
                "no space after `]`: the data follows `] `, as in '[%s] %s'",
                "“]”后面缺少空格：数据应跟在“] ”之后，即 '[%s] %s'"
            ),
            Mistake::OtherLayout => tr!(
                "the timestamp is not in ctime's layout (`Wed Nov 25 17:28:42 2026`, 24 characters): use time.ctime(), or strftime('%a %b %e %H:%M:%S %Y')",
                "时间戳不是 ctime 的格式（Wed Nov 25 17:28:42 2026，24 个字符）：请用 time.ctime()，或 strftime('%a %b %e %H:%M:%S %Y')"
            ),
            Mistake::CtimeNewline => tr!(
                "the timestamp ends with a newline inside the brackets: C's ctime() returns its string with a `\\n` at the end; cut it off before formatting (stamp[24] = '\\0', or strftime(\"%a %b %e %H:%M:%S %Y\"))",
                "时间戳在方括号内以换行符结尾：C 的 ctime() 返回的字符串末尾带有“\\n”；请在拼接前去掉它（stamp[24] = '\\0'，或改用 strftime(\"%a %b %e %H:%M:%S %Y\")）"
            ),
            Mistake::ZeroPaddedDay => tr!(
                "the day is padded with a zero (`Nov 05`): that is strftime('%d'); ctime pads it with a space (`Nov  5`): use time.ctime(), or '%e'",
                "日期前补了 0（Nov 05）：这是 strftime('%d') 的写法；ctime 用空格补齐（Nov  5）：请用 time.ctime() 或 '%e'"
            ),
            Mistake::PythonBytes => tr!(
                "the data came back as b'...': in Python 3, '[%s] %s' % (ctime(), data) writes the bytes object's repr; join bytes instead: ('[%s] ' % ctime()).encode() + data",
                "数据以 b'...' 的形式返回：在 Python 3 中，'[%s] %s' % (ctime(), data) 写出的是 bytes 对象的表示形式；请直接拼接字节：('[%s] ' % ctime()).encode() + data"
            ),
            Mistake::ExtraNewline => tr!(
                "the reply ends with a newline the client never sent: send back exactly the bytes received, adding nothing",
                "回复末尾多了一个客户端并没有发送的换行符：请原样发回收到的字节，不要添加任何内容"
            ),
            Mistake::ZeroFilled => tr!(
                "zero bytes follow the data: the server sends its whole buffer, not the bytes it read; send only those (Java: new String(buf, 0, n) with n = in.read(buf); C: send(sock, buf, n, 0) with n from recv())",
                "数据后面跟着一串 0 字节：服务器发回的是整个缓冲区，而不是读到的那些字节；请只发送读到的字节（Java：new String(buf, 0, n)，n = in.read(buf)；C：send(sock, buf, n, 0)，n 取自 recv()）"
            ),
            Mistake::Stripped => tr!(
                "spaces or newlines at the ends of the data were taken off (strip()): send the data back byte for byte",
                "数据两端的空格或换行被去掉了（strip()）：请把数据逐字节原样发回"
            ),
            Mistake::Replaced => tr!(
                "bytes that are not UTF-8 came back as U+FFFD (\u{fffd}): the server decoded them with errors='replace'; send the received bytes back without decoding them",
                "不是 UTF-8 的字节变成了 U+FFFD（\u{fffd}）：服务器用 errors='replace' 解码了它们；请不经解码，直接发回收到的字节"
            ),
            Mistake::TwoReplies => tr!(
                "two replies came for one message: the server sends each reply twice (a send() and a sendall(), or a send() left in after a print); send one reply per message",
                "一条消息收到了两次回复：服务器把每个回复发送了两次（既调用了 send() 又调用了 sendall()，或者多留了一个 send()）；每条消息只回复一次"
            ),
            _ => tr!(
                "the data came back changed: send back exactly the bytes received",
                "数据被改动了：请原样发回收到的字节"
            ),
        }
    }
}
