//! Where the replies go: stdout, a terminal or a pipe; and the notes beside them.
//!
//! Into a pipe or a file the reply bytes go out exactly as they came (tests and scripts rely
//! on it): a pause adds nothing, so a reply that paused on the network is still one line.
//! On a terminal they are shown so that they cannot drive it ([`common::screen::visible`]),
//! and everything the client prints starts on a line of its own: a reply that arrives while
//! the prompt `> ` waits for typing moves to the next line, and a note or an error never runs
//! into half a reply.

use std::net::SocketAddr;
use std::time::Duration;

use crate::replies::{Note, Reader, Show};
use common::{out, problem, trace};

/// Where the cursor stands on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cursor {
    /// At a line's start.
    LineStart,
    /// After bytes of a reply whose `\n` has not come.
    InReply,
    /// After the prompt `> `, where the person may be typing.
    AfterPrompt,
}

/// What `recv()` brings, for `print data`.
pub enum Data {
    /// What the replies say to show: bytes, a pause, a line's end, a note.
    Show(Show),
    /// `--trace`: a `recv()` call, shown before what it brought.
    Call(String),
}

/// What the client has shown on stdout so far.
pub struct Screen {
    /// The server's address, for the notes.
    server: SocketAddr,
    /// Stdin is a terminal: a person types, so the prompt `> ` is shown.
    person_types: bool,
    /// Stdout is a terminal: show replies visibly.
    terminal: bool,
    /// `--trace` lines go where the replies go (`--trace 2>&1`, or both on a terminal): a
    /// reply's line is ended before a trace line, so that the two never run into each other.
    traced_alongside: bool,
    /// Where the cursor stands.
    cursor: Cursor,
}

impl Screen {
    /// The screen of a client talking to `server`, whose input `reader` types; `terminal`
    /// when its stdout is a terminal.
    pub fn new(server: SocketAddr, reader: Reader, terminal: bool) -> Screen {
        Screen {
            server,
            person_types: reader == Reader::Person,
            terminal,
            traced_alongside: out::tracing() && stdout_is_stderr(),
            cursor: Cursor::LineStart,
        }
    }

    /// `print data`: shows what `recv()` brought.
    pub fn print(&mut self, data: Data) -> anyhow::Result<()> {
        match data {
            Data::Show(Show::Bytes(bytes)) => self.reply(&bytes),
            // `--trace` lines of the next calls follow: they start a line of their own.
            Data::Show(Show::Paused) if self.traced_alongside => self.end_line(),
            Data::Show(Show::Paused) => Ok(()),
            Data::Show(Show::EndOfLine) => self.end_line(),
            Data::Show(Show::Note(note)) => self.note(note),
            Data::Call(call) => {
                if self.cursor == Cursor::AfterPrompt || self.traced_alongside {
                    self.end_line()?;
                }
                trace!("{call}");
                Ok(())
            }
        }
    }

    /// True when a person types, and so sees the prompt.
    pub fn prompts(&self) -> bool {
        self.person_types
    }

    /// True while the prompt is showing.
    pub fn prompt_showing(&self) -> bool {
        self.cursor == Cursor::AfterPrompt
    }

    /// `raw_input('> ')`'s prompt, on a line of its own, after every note so far.
    pub fn prompt(&mut self) -> anyhow::Result<()> {
        if !self.person_types || self.prompt_showing() {
            return Ok(());
        }
        self.end_line()?;
        common::screen::prompt()?;
        self.cursor = Cursor::AfterPrompt;
        Ok(())
    }

    /// The person pressed Enter: the terminal's echo has moved the cursor to a new line.
    pub fn entered(&mut self) {
        if self.cursor == Cursor::AfterPrompt || (self.person_types && self.terminal) {
            self.cursor = Cursor::LineStart;
        }
    }

    /// The input ended (Ctrl+D) after some typing, with no Enter: the terminal echoed no
    /// newline, so the cursor is still after the typed text. End that line.
    pub fn typed_without_enter(&mut self) -> anyhow::Result<()> {
        if self.person_types {
            common::screen::write(b"\n")?;
        }
        self.cursor = Cursor::LineStart;
        Ok(())
    }

    /// Ends the prompt's line, if the prompt is showing (after Ctrl+D at the prompt).
    pub fn end_prompt(&mut self) -> anyhow::Result<()> {
        if self.prompt_showing() {
            self.end_line()
        } else {
            Ok(())
        }
    }

    /// Ends the line on screen if the cursor is not at a line's start, so that what follows
    /// (a note, an error, the shell's prompt) starts on a line of its own.
    fn end_line(&mut self) -> anyhow::Result<()> {
        if self.cursor != Cursor::LineStart {
            common::screen::write(b"\n")?;
        }
        self.cursor = Cursor::LineStart;
        Ok(())
    }

    /// Writes reply bytes: visibly on a terminal, as they came elsewhere.
    fn reply(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if out::tracing() {
            // The `recv()` lines of `--trace` that brought these bytes go out first.
            out::flush(Duration::from_millis(200));
        }
        if self.cursor == Cursor::AfterPrompt {
            // A reply while the prompt waits for typing starts on the next line.
            self.end_line()?;
        }
        if self.terminal {
            // Each line ends with '\n', which `visible` would spell out: show it line by line.
            for line in bytes.split_inclusive(|&byte| byte == b'\n') {
                let text = line.strip_suffix(b"\n").unwrap_or(line);
                common::screen::write(&common::screen::visible(text))?;
                if text.len() < line.len() {
                    common::screen::write(b"\n")?;
                }
            }
        } else {
            common::screen::write(bytes)?;
        }
        self.cursor = if bytes.ends_with(b"\n") {
            Cursor::LineStart
        } else {
            Cursor::InReply
        };
        Ok(())
    }

    /// A note on stderr, on a line of its own, and out before anything more is shown (stderr
    /// is written by a thread of its own, see `common::out`).
    fn note(&mut self, note: Note) -> anyhow::Result<()> {
        self.end_line()?;
        let server = self.server;
        match note {
            // Two short lines each, so that an 80-column terminal never wraps them.
            Note::StillWaiting { secs } => {
                problem!(
                    "(still waiting for the reply from {server} after {secs} s)",
                    "（已等待 {server} 的回复 {secs} 秒；按 Ctrl+C 放弃）"
                );
                problem!(
                    "(an iterative server serves one at a time, or it is stuck; Ctrl+C gives up)",
                    "（iterative 模式的服务器一次只服务一个客户端，可能正在服务别人，也可能卡住了）"
                );
            }
            Note::Stopped { secs } => {
                problem!(
                    "(the reply from {server} has stopped for {secs} s before its newline)",
                    "（{server} 的回复停了 {secs} 秒，还没有收到换行符）"
                );
                problem!(
                    "(the rest is shown when it comes; type the next line, or Ctrl+C gives up)",
                    "（后面的部分一到就会显示；可以输入下一行，或按 Ctrl+C 放弃）"
                );
            }
            Note::NoNewline => problem!(
                "(the last reply from {server} had no newline at its end)",
                "（{server} 的最后一个回复末尾没有换行符）"
            ),
        }
        out::flush(Duration::from_millis(200));
        Ok(())
    }
}

/// True when stdout and stderr are the same pipe, file or terminal (`2>&1`).
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
