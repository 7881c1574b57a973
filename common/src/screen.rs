//! What a client shows on its user's terminal.
//!
//! A reply is bytes from the network. Written raw to a terminal, some of them are commands to
//! the terminal, not text: `ESC ] 0 ; title BEL` retitles the window, `ESC ] 52 ; c ; ...`
//! writes the clipboard, `\r` goes back to overwrite the line. A classmate who forges a
//! datagram could drive a student's terminal that way. So on a terminal a client shows such
//! characters visibly (`\x1b`, `\r`), as the server's log does; into a pipe or a file it
//! writes the bytes exactly as they came.

use std::borrow::Cow;

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
