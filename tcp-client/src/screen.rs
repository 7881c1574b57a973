//! Where the replies go: stdout, a terminal or a pipe.
//!
//! Into a pipe or a file the reply bytes go out exactly as they came (tests and scripts rely on
//! it). On a terminal they are shown so that they cannot drive it
//! ([`common::screen::visible`]), and everything the client prints starts on a line of its
//! own: a reply that arrives while the prompt `> ` waits for typing moves to the next line,
//! and a note or an error never runs into half a reply.
//!
//! Either way, a UTF-8 character cut by a pause on the network is held back until its last
//! byte comes, so a pause never shows a Chinese character as two broken halves.

use std::fmt;

use common::program::{nobody_reads, print_now};
use common::{out, tr};

/// How long the tail of a reply may wait for the rest of its UTF-8 character before it is
/// shown as it is (a server that sends a lone lead byte and then nothing).
pub const LONG_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// What the client has shown on stdout so far, and what it holds back.
pub struct Screen {
    /// Stdin is a terminal: a person types, so the prompt `> ` is shown.
    interactive: bool,
    /// Stdout is a terminal: show replies visibly, keep every message on a line of its own.
    terminal: bool,
    /// `--trace` lines go where the replies go (`--trace 2>&1`): a reply that pauses without
    /// its `\n` is ended there, as on a terminal, so the next trace line starts a line of its
    /// own instead of running into the reply.
    traced_alongside: bool,
    /// The cursor is not at the start of a line: a reply's bytes came without their `\n` yet
    /// (or the prompt is showing).
    mid_line: bool,
    /// The prompt `> ` is showing and the student may be typing after it.
    prompting: bool,
    /// The first bytes of a UTF-8 character whose other bytes have not come yet.
    unfinished: Vec<u8>,
}

/// Writing to stdout failed because nobody reads it any more (`tcp-client | head -1`): the
/// client stops quietly, with status 0.
#[derive(Debug)]
pub struct NobodyReads;

impl fmt::Display for NobodyReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tr!("nobody reads standard output", "标准输出已无人读取"))
    }
}

impl std::error::Error for NobodyReads {}

impl Screen {
    /// The screen of a client: `interactive` when its stdin is a terminal, `terminal` when
    /// its stdout is.
    pub fn new(interactive: bool, terminal: bool) -> Screen {
        Screen {
            interactive,
            terminal,
            traced_alongside: out::tracing() && stdout_is_stderr(),
            mid_line: false,
            prompting: false,
            unfinished: Vec::new(),
        }
    }

    /// True when a person types the input.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// `input('> ')`: shows the prompt when a person types, after every note printed so far.
    pub fn prompt(&mut self) -> anyhow::Result<()> {
        if !self.interactive || self.prompting {
            return Ok(());
        }
        self.end_line()?;
        out::flush(std::time::Duration::from_millis(200));
        write(b"> ")?;
        self.prompting = true;
        self.mid_line = true;
        Ok(())
    }

    /// The student pressed Enter: the terminal's echo has moved the cursor to a new line.
    pub fn typed(&mut self) {
        if self.prompting {
            self.prompting = false;
            self.mid_line = false;
        }
    }

    /// The input ended (Ctrl+D) after some typing, with no Enter: the terminal echoed no
    /// newline, so the cursor is still after the typed text, prompt or not. End that line.
    pub fn typed_without_enter(&mut self) -> anyhow::Result<()> {
        if self.interactive {
            write(b"\n")?;
        }
        self.mid_line = false;
        self.prompting = false;
        Ok(())
    }

    /// Shows bytes of a reply the moment they come, all but an unfinished UTF-8 character.
    pub fn reply(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if out::tracing() {
            // The `recv()` lines of `--trace` that brought these bytes go out first.
            out::flush(std::time::Duration::from_millis(200));
        }
        self.unfinished.extend_from_slice(bytes);
        let whole = self.unfinished.len() - unfinished_tail(&self.unfinished);
        let shown: Vec<u8> = self.unfinished.drain(..whole).collect();
        self.show(&shown)
    }

    /// Shows a held-back unfinished character as it is: its rest is not coming.
    pub fn release(&mut self) -> anyhow::Result<()> {
        let held = std::mem::take(&mut self.unfinished);
        self.show(&held)
    }

    /// True when the cursor is not at the start of a line.
    pub fn mid_line(&self) -> bool {
        self.mid_line
    }

    /// True while part of a character is held back.
    pub fn holds_back(&self) -> bool {
        !self.unfinished.is_empty()
    }

    /// Ends the line on screen if the cursor is not at a line's start, so that what follows
    /// (a note, an error, the shell's prompt) starts on a line of its own.
    pub fn end_line(&mut self) -> anyhow::Result<()> {
        if self.mid_line {
            write(b"\n")?;
        }
        self.mid_line = false;
        self.prompting = false;
        Ok(())
    }

    /// Lets a note just given to stderr out before anything more is shown: stderr is written
    /// by a thread of its own (see `common::out`), and a reply shown meanwhile would run into
    /// the note on a terminal or with `2>&1`.
    pub fn after_note(&self) {
        out::flush(std::time::Duration::from_millis(200));
    }

    /// Ends the prompt's line, if the prompt is showing (after Ctrl+D at the prompt).
    pub fn end_prompt(&mut self) -> anyhow::Result<()> {
        if self.prompting {
            self.end_line()
        } else {
            Ok(())
        }
    }

    /// Ends a line of a reply shown on a terminal that has paused without its `\n`, so that
    /// the prompt (or the next `--trace` line) comes under it; into a pipe of its own the
    /// bytes stay exactly as they came.
    pub fn end_paused_line(&mut self) -> anyhow::Result<()> {
        let shared = self.terminal || self.interactive || self.traced_alongside;
        if shared && !self.prompting {
            self.end_line()
        } else {
            Ok(())
        }
    }

    /// Writes reply bytes: visibly on a terminal, as they came elsewhere.
    fn show(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.prompting {
            // A reply while the prompt waits for typing starts on the next line.
            self.end_line()?;
        }
        if self.terminal {
            // Each line ends with '\n', which `visible` would spell out: show it line by line.
            for line in bytes.split_inclusive(|&byte| byte == b'\n') {
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                write(&common::screen::visible(text))?;
                if text.len() < line.len() {
                    write(b"\n")?;
                }
            }
        } else {
            write(bytes)?;
        }
        self.mid_line = !bytes.ends_with(b"\n");
        Ok(())
    }
}

/// True when stdout and stderr are the same pipe or file (`2>&1`).
#[cfg(unix)]
fn stdout_is_stderr() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let identity = |fd: std::os::fd::BorrowedFd<'_>| {
        let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
        let metadata = file.metadata().ok()?;
        Some((metadata.dev(), metadata.ino()))
    };
    let stdout = identity(std::io::stdout().as_fd());
    stdout.is_some() && stdout == identity(std::io::stderr().as_fd())
}

/// True when stdout and stderr are the same pipe or file (`2>&1`): Windows does not tell
/// simply, so a paused reply's bytes are left as they came.
#[cfg(not(unix))]
fn stdout_is_stderr() -> bool {
    false
}

/// Writes to stdout at once; a reader that has gone becomes [`NobodyReads`].
fn write(bytes: &[u8]) -> anyhow::Result<()> {
    match print_now(bytes) {
        Ok(()) => Ok(()),
        Err(error) if nobody_reads(&error) => Err(NobodyReads.into()),
        Err(error) => Err(common::program::cannot_write_reply(error)),
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character whose other bytes
/// have not come yet (0 to 3).
pub fn unfinished_tail(bytes: &[u8]) -> usize {
    // The last byte that is not a continuation byte (10xx_xxxx) starts the last character.
    let start = bytes
        .iter()
        .rev()
        .take(4)
        .position(|&byte| byte & 0xC0 != 0x80);
    let Some(back) = start else { return 0 };
    let lead = bytes[bytes.len() - 1 - back];
    let width = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    };
    let have = back + 1;
    if have < width { have } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_character_at_the_end_is_found() {
        let zhong = "中".as_bytes(); // E4 B8 AD
        assert_eq!(unfinished_tail(b"abc"), 0);
        assert_eq!(unfinished_tail(zhong), 0);
        assert_eq!(unfinished_tail(&zhong[..1]), 1);
        assert_eq!(unfinished_tail(&[b"x", &zhong[..2]].concat()), 2);
        assert_eq!(unfinished_tail(&"😀".as_bytes()[..3]), 3);
        assert_eq!(unfinished_tail(&[0xC2]), 1); // a C1 control cut in two is held too
        assert_eq!(unfinished_tail(&[0xFF]), 0); // not UTF-8 at all: shown as it is
        assert_eq!(unfinished_tail(&[0x80, 0x80]), 0);
        assert_eq!(unfinished_tail(b""), 0);
    }
}
