//! Reading one reply the way the chapter writes it, `[` + ctime + `] ` + the data, and
//! naming each common mistake in it.
//!
//! A reply with a mistake is still read as far as it goes (the data out of `b'...'`, a stamp
//! without its space), so each of the other checks judges only its own point: a server with
//! one mistake fails the checks for that mistake, not all of them.

use common::tr;

use super::stamp;

/// The mistakes students make, each named so that the kit can say what it usually means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// Nothing listens at the address (or a host that cannot be found).
    NotListening,
    /// The server answered earlier checks, and nothing listens now: it stopped.
    Stopped,
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
    /// The reply does not start with `[` + a timestamp + `]`.
    NoStamp,
    /// A ctime, but not in square brackets.
    NoBrackets,
    /// `]` followed straight by the data.
    NoSpace,
    /// A timestamp, but not in ctime's layout.
    OtherLayout,
    /// `Nov 05` for ctime's `Nov  5`: `strftime('%d')`.
    ZeroPaddedDay,
    /// `b'hello'`: Python 3's `'%s' % data` with `data` still bytes.
    PythonBytes,
    /// A newline the client never sent, at the end of the reply.
    ExtraNewline,
    /// Spaces or newlines at the ends of the data taken off (`strip()`).
    Stripped,
    /// Bytes that are not UTF-8 came back as U+FFFD.
    Replaced,
    /// Bytes that are not UTF-8 ended the connection or the server: a failed decode.
    FailedDecode,
    /// The data came back changed in some other way.
    Changed,
    /// The time is UTC while local time is not.
    Utc,
    /// The time is a whole number of hours off: another zone.
    OtherZone,
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
    /// A UDP reply goes to an address other than the sender's.
    WrongAddress,
    /// A UDP reply comes from another address or port than the one written to.
    WrongSource,
}

impl Mistake {
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
            Mistake::Stripped => tr!(
                "spaces or newlines at the ends of the data were taken off (strip()): send the data back byte for byte",
                "数据两端的空格或换行被去掉了（strip()）：请把数据逐字节原样发回"
            ),
            Mistake::Replaced => tr!(
                "bytes that are not UTF-8 came back as U+FFFD (\u{fffd}): the server decoded them with errors='replace'; send the received bytes back without decoding them",
                "不是 UTF-8 的字节变成了 U+FFFD（\u{fffd}）：服务器用 errors='replace' 解码了它们；请不经解码，直接发回收到的字节"
            ),
            _ => tr!(
                "the data came back changed: send back exactly the bytes received",
                "数据被改动了：请原样发回收到的字节"
            ),
        }
    }
}

/// One reply, read as far as it goes.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The stamp's text, when the reply has one.
    pub stamp: Option<String>,
    /// The data it carries, with the known mistakes of form undone.
    pub data: Vec<u8>,
    /// The mistakes of form found, in the order they occur in the reply.
    pub mistakes: Vec<Mistake>,
}

/// Reads `reply`, the answer to `sent`.
pub fn read(reply: &[u8], sent: &[u8]) -> Reading {
    let (stamp, mut data, mut mistakes) = split_stamp(reply);
    let extra_newline = data.ends_with(b"\n") && !sent.ends_with(b"\n");
    if extra_newline {
        data.pop();
        if data.ends_with(b"\r") && !sent.ends_with(b"\r") {
            data.pop();
        }
    }
    if let Some(bytes) = python_bytes(&data).filter(|_| !sent.starts_with(b"b'")) {
        data = bytes;
        mistakes.push(Mistake::PythonBytes);
    }
    if extra_newline {
        mistakes.push(Mistake::ExtraNewline);
    }
    Reading {
        stamp,
        data,
        mistakes,
    }
}

/// Splits `[stamp] data` into the stamp and the data, noting what is out of form.
fn split_stamp(reply: &[u8]) -> (Option<String>, Vec<u8>, Vec<Mistake>) {
    let mut mistakes = Vec::new();
    // `[` and a `]` soon after: a stamp, however it is written.
    if reply.first() == Some(&b'[') {
        let close = reply.iter().take(64).position(|&byte| byte == b']');
        if let Some(close) = close {
            let stamp = String::from_utf8_lossy(&reply[1..close]).into_owned();
            mistakes.extend(stamp::layout_mistake(&stamp));
            let rest = &reply[close + 1..];
            let data = match rest.strip_prefix(b" ") {
                Some(data) => data,
                None => {
                    mistakes.insert(0, Mistake::NoSpace);
                    rest
                }
            };
            return (Some(stamp), data.to_vec(), mistakes);
        }
    }
    // A bare ctime, without its brackets.
    if let Some(stamp) = reply
        .get(..24)
        .and_then(|head| std::str::from_utf8(head).ok())
    {
        if stamp::layout_mistake(stamp).is_none() {
            let rest = &reply[24..];
            let data = rest.strip_prefix(b" ").unwrap_or(rest);
            return (
                Some(stamp.to_string()),
                data.to_vec(),
                vec![Mistake::NoBrackets],
            );
        }
    }
    mistakes.push(Mistake::NoStamp);
    (None, reply.to_vec(), mistakes)
}

/// The bytes written as Python's repr of a bytes object (`b'caf\xe9\n'`), if `data` is one.
fn python_bytes(data: &[u8]) -> Option<Vec<u8>> {
    let quote = match data {
        [b'b', quote @ (b'\'' | b'"'), .., last] if last == quote && data.len() >= 3 => *quote,
        _ => return None,
    };
    let inner = &data[2..data.len() - 1];
    let mut bytes = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        if byte == quote {
            return None; // an unescaped quote inside: not one repr
        }
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        let (&escape, after) = rest.split_first()?;
        rest = after;
        match escape {
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'\\' | b'\'' | b'"' => bytes.push(escape),
            b'x' => {
                let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &rest[2..];
            }
            _ => return None,
        }
    }
    Some(bytes)
}

/// How the data that came back differs from what was sent, if it does.
pub fn data_mistake(data: &[u8], sent: &[u8]) -> Option<Mistake> {
    if data == sent {
        return None;
    }
    if data == sent.trim_ascii() {
        return Some(Mistake::Stripped);
    }
    let replacement = "\u{fffd}".as_bytes();
    if std::str::from_utf8(sent).is_err()
        && data
            .windows(replacement.len())
            .any(|window| window == replacement)
    {
        return Some(Mistake::Replaced);
    }
    Some(Mistake::Changed)
}

#[cfg(test)]
mod unit {
    use super::*;

    fn mistakes(reply: &[u8], sent: &[u8]) -> (Vec<u8>, Vec<Mistake>) {
        let reading = read(reply, sent);
        (reading.data, reading.mistakes)
    }

    #[test]
    fn a_right_reply_has_no_mistake() {
        let (data, found) = mistakes(b"[Wed Nov 25 17:28:42 2026] hello", b"hello");
        assert_eq!((data.as_slice(), found), (&b"hello"[..], vec![]));
    }

    #[test]
    fn each_common_mistake_is_named_and_the_data_still_read() {
        let cases: [(&[u8], Vec<Mistake>); 7] = [
            (
                b"[Wed Nov 25 17:28:42 2026] b'hello'",
                vec![Mistake::PythonBytes],
            ),
            (b"[Wed Nov 25 17:28:42 2026]hello", vec![Mistake::NoSpace]),
            (b"[2026-11-25 17:28:42] hello", vec![Mistake::OtherLayout]),
            (
                b"[Thu Nov 05 17:28:42 2026] hello",
                vec![Mistake::ZeroPaddedDay],
            ),
            (
                b"[Wed Nov 25 17:28:42 2026] hello\n",
                vec![Mistake::ExtraNewline],
            ),
            (b"Wed Nov 25 17:28:42 2026 hello", vec![Mistake::NoBrackets]),
            (
                b"[Wed Nov 25 17:28:42 2026] b'hello'\r\n",
                vec![Mistake::PythonBytes, Mistake::ExtraNewline],
            ),
        ];
        for (reply, want) in cases {
            let (data, found) = mistakes(reply, b"hello");
            assert_eq!(found, want, "{}", String::from_utf8_lossy(reply));
            assert_eq!(data, b"hello", "{}", String::from_utf8_lossy(reply));
        }
        let (data, found) = mistakes(b"hello", b"hello");
        assert_eq!(
            (data.as_slice(), found),
            (&b"hello"[..], vec![Mistake::NoStamp])
        );
    }

    #[test]
    fn python_reprs_of_any_bytes_are_read_back() {
        assert_eq!(
            python_bytes(br"b'caf\xe9 \\ \' \n'"),
            Some(b"caf\xe9 \\ ' \n".to_vec())
        );
        assert_eq!(python_bytes(br#"b"it's""#), Some(b"it's".to_vec()));
        assert_eq!(python_bytes(b"b'a'b'"), None);
        assert_eq!(python_bytes(b"hello"), None);
    }

    #[test]
    fn changed_data_is_told_apart() {
        assert_eq!(data_mistake(b"hi", b"  hi\n"), Some(Mistake::Stripped));
        assert_eq!(
            data_mistake("caf\u{fffd}".as_bytes(), b"caf\xe9"),
            Some(Mistake::Replaced)
        );
        assert_eq!(data_mistake(b"HI", b"hi"), Some(Mistake::Changed));
        assert_eq!(data_mistake(b"hi", b"hi"), None);
    }
}
