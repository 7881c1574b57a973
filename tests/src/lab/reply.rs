//! Reading one reply the way the chapter writes it, `[` + ctime + `] ` + the data, and
//! naming each common mistake in it.
//!
//! A reply with a mistake is still read as far as it goes (the data out of `b'...'`, a stamp
//! without its space), so each of the other checks judges only its own point: a server with
//! one mistake fails the checks for that mistake, not all of them.

use super::mistake::Mistake;
use super::stamp;

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

/// Reads `reply`, the answer to `sent`; several replies to `sent` one after the other (as
/// they come on a stream) are read as the first, with [`Mistake::TwoReplies`].
pub fn read(reply: &[u8], sent: &[u8]) -> Reading {
    let whole = read_one(reply, sent);
    if whole.data == sent {
        return whole;
    }
    match replies_in(reply, sent) {
        Some(mut first) => {
            first.mistakes.push(Mistake::TwoReplies);
            first
        }
        None => whole,
    }
}

/// When `reply` is two or more replies to `sent` end to end, each cut where the next one's
/// `[` begins, the first of them.
fn replies_in(reply: &[u8], sent: &[u8]) -> Option<Reading> {
    // Where a reply could start: each `[` (a bounded number of them).
    let starts: Vec<usize> = reply
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte == b'[')
        .map(|(at, _)| at)
        .take(64)
        .chain([reply.len()])
        .collect();
    let mut readings = Vec::new();
    let mut from = 0;
    while from < reply.len() {
        let next = starts.iter().filter(|&&end| end > from).find_map(|&end| {
            let reading = read_one(&reply[from..end], sent);
            (reading.data == sent && reading.stamp.is_some()).then_some((end, reading))
        });
        let (end, reading) = next?;
        readings.push(reading);
        from = end;
    }
    (readings.len() >= 2).then(|| readings.swap_remove(0))
}

/// Reads one reply to `sent`, undoing each known mistake of form it finds.
fn read_one(reply: &[u8], sent: &[u8]) -> Reading {
    let (stamp, mut data, mut mistakes) = split_stamp(reply);
    let zeros = data.iter().rev().take_while(|&&byte| byte == 0).count();
    let zero_filled = zeros > 0 && !sent.ends_with(&[0]);
    if zero_filled {
        data.truncate(data.len() - zeros);
    }
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
    if zero_filled {
        mistakes.push(Mistake::ZeroFilled);
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
            // C's ctime() string keeps its newline: `[Wed Nov 25 17:28:42 2026\n] data`.
            let without_newline = stamp.strip_suffix('\n').map(|s| s.trim_end_matches('\r'));
            match without_newline {
                Some(bare) if stamp::layout_mistake(bare).is_none() => {
                    mistakes.push(Mistake::CtimeNewline);
                }
                _ => mistakes.extend(stamp::layout_mistake(&stamp)),
            }
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
    if !data.is_empty() && sent.starts_with(data) {
        return Some(Mistake::Cut);
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
        let java: &[u8] = &[&b"[Wed Nov 25 17:28:42 2026] hello"[..], &[0; 1019]].concat();
        let cases: [(&[u8], Vec<Mistake>); 11] = [
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
            (
                b"[Wed Nov 25 17:28:42 2026\n] hello",
                vec![Mistake::CtimeNewline],
            ),
            (java, vec![Mistake::ZeroFilled]),
            (
                b"[Wed Nov 25 17:28:42 2026] hello[Wed Nov 25 17:28:42 2026] hello",
                vec![Mistake::TwoReplies],
            ),
            (
                b"[Wed Nov 25 17:28:42 2026] b'hello'\n[Wed Nov 25 17:28:43 2026] b'hello'\n",
                vec![
                    Mistake::PythonBytes,
                    Mistake::ExtraNewline,
                    Mistake::TwoReplies,
                ],
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
    fn one_reply_with_a_bracket_in_its_data_is_not_two() {
        let sent = b"a [b] c";
        let (data, found) = mistakes(b"[Wed Nov 25 17:28:42 2026] a [b] c", sent);
        assert_eq!((data.as_slice(), found), (&sent[..], vec![]));
        let (_, found) = mistakes(b"[Wed Nov 25 17:28:42 2026] hello [x", b"hello");
        assert!(!found.contains(&Mistake::TwoReplies));
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
        assert_eq!(
            data_mistake(b"what time", b"what time is it?"),
            Some(Mistake::Cut)
        );
        assert_eq!(data_mistake(b"hi", b"hi"), None);
    }
}
