//! What a client shows on its user's terminal.
//!
//! A reply is bytes from the network. Written raw to a terminal, some of them are commands to
//! the terminal, not text: `ESC ] 0 ; title BEL` retitles the window, `ESC ] 52 ; c ; ...`
//! writes the clipboard, `\r` goes back to overwrite the line. A classmate who forges a
//! datagram could drive a student's terminal that way. So on a terminal a client shows such
//! characters visibly (`\x1b`, `\r`), as the server's log does; into a pipe or a file it
//! writes the bytes exactly as they came.
//!
//! Both clients write to stdout alike here: at once (a person is watching), the prompt after
//! every note so far, and a reader that has gone ([`NobodyReads`]) as the quiet end it is.
//! How a reply is laid out stays in each client: tcp-client shows a stream as it comes, a
//! reply's pieces on one line up to its `\n`; udp-client shows each datagram whole, on a
//! line of its own.

use std::borrow::Cow;
use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use crate::program::{cannot_write_reply, nobody_reads, print_now};
use crate::tr;

/// Writing to stdout failed because nobody reads it any more (`client < lines | head -1`):
/// the client stops at once and quietly, with status 0 ([`quiet_when_nobody_reads`]).
#[derive(Debug)]
pub struct NobodyReads;

impl fmt::Display for NobodyReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tr!("nobody reads standard output", "标准输出已无人读取"))
    }
}

impl std::error::Error for NobodyReads {}

/// A client's result, with [`NobodyReads`] turned into the quiet success it is.
pub fn quiet_when_nobody_reads(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    match result {
        Err(error) if error.is::<NobodyReads>() => Ok(ExitCode::SUCCESS),
        result => result,
    }
}

/// Writes `bytes` to stdout at once. A reader that has gone is [`NobodyReads`]; any other
/// failure (a full disk) is an error.
pub fn write(bytes: &[u8]) -> anyhow::Result<()> {
    match print_now(bytes) {
        Ok(()) => Ok(()),
        Err(error) if nobody_reads(&error) => Err(NobodyReads.into()),
        Err(error) => Err(cannot_write_reply(error)),
    }
}

/// `raw_input('> ')`'s prompt, after every note and error given so far (stderr is written by
/// a thread of its own, see [`crate::out`]): they stand above it, never after it.
pub fn prompt() -> anyhow::Result<()> {
    crate::out::flush(Duration::from_millis(200));
    write(b"> ")
}

/// A reply's bytes as the screen shows them: visibly on a `terminal` (see [`visible`]), as
/// they came into a pipe or a file.
pub fn as_shown(bytes: &[u8], terminal: bool) -> Cow<'_, [u8]> {
    if terminal {
        visible(bytes)
    } else {
        Cow::Borrowed(bytes)
    }
}

/// The reply's bytes as a terminal should show them: every control character other than tab
/// (C0, DEL, and C1 written in UTF-8 as `C2 80`..`C2 9F`) spelled out as `\xNN` (`\r`, `\n`
/// and `\e`-style letters would need a table a student must decode; `\xNN` is what Python's
/// `repr` shows). Borrowed when there is nothing to change, as for almost every reply.
///
/// Give it whole characters: a C1 character cut in two across calls is not seen.
pub fn visible(bytes: &[u8]) -> Cow<'_, [u8]> {
    let is_c1 = |at: usize| {
        bytes[at] == 0xC2 && bytes.get(at + 1).is_some_and(|b| (0x80..=0x9F).contains(b))
    };
    let needs_escape = |at: usize| is_control(bytes[at]) || is_c1(at);
    if !(0..bytes.len()).any(needs_escape) {
        return Cow::Borrowed(bytes);
    }
    let mut shown = Vec::with_capacity(bytes.len() + 16);
    let mut at = 0;
    while at < bytes.len() {
        if is_control(bytes[at]) {
            shown.extend_from_slice(format!("\\x{:02x}", bytes[at]).as_bytes());
            at += 1;
        } else if is_c1(at) {
            shown.extend_from_slice(format!("\\u{{{:x}}}", bytes[at + 1]).as_bytes());
            at += 2;
        } else {
            shown.push(bytes[at]);
            at += 1;
        }
    }
    Cow::Owned(shown)
}

/// A C0 control character or DEL, except tab, which is only white space.
fn is_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || byte == 0x7F
}

#[cfg(test)]
mod tests;
