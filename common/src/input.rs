//! A client's standard input, read by a thread of its own (the keyboard thread) a piece at a
//! time and handed to the client's loop, which asks for the next piece once it has taken one.
//!
//! Both clients read their input this way, for the same reasons:
//! - the loop can tell a line typed ahead of the prompt (a quick typist, a paste: the terminal
//!   has echoed it, Enter and all) from one not typed yet, and shows no prompt before a line
//!   that is already there ([`TYPED_AHEAD`]);
//! - the loop stays free while a person thinks: tcp-client shows a reply, or the server's
//!   goodbye, the moment it comes;
//! - a line of any length is read in pieces of at most [`PIECE`] bytes, so a 10 MB line (or a
//!   file with no newline at all) is never held whole.
//!
//! What differs stays in each client: tcp-client sends each piece as it comes, since a TCP
//! stream does not care where its writes begin and end; udp-client needs the whole line for
//! its one datagram, so it joins the pieces, up to `--bufsize` (a longer line is refused,
//! and only counted).

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use anyhow::Context;

use crate::lang::OsError;
use crate::tr;

/// How long a client's loop gives the keyboard thread, before it shows the prompt, to pass on
/// a line typed ahead: the terminal echoed that line and its Enter before the prompt, so a
/// prompt shown first would leave what follows glued after `> `.
pub const TYPED_AHEAD: Duration = Duration::from_millis(100);

/// The most of one line held at once; a longer line comes in pieces of this size.
pub const PIECE: usize = 64 * 1024;

/// What one piece of input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A piece of a line; more of it follows.
    Part,
    /// The rest of a line, with its `\n`.
    LineEnd,
    /// The rest of the last line, which the input ended without a `\n` (a file without a
    /// final newline, or Ctrl+D after some typing); the `\n` is added. On a terminal the
    /// cursor is still on the line typed.
    LastLine,
    /// An empty line (the piece is its `\n`), or the end of input (the piece is empty): the
    /// book's client stops here.
    Stop,
}

impl Piece {
    /// True when the piece ends a line.
    pub fn ends_line(self) -> bool {
        matches!(self, Piece::LineEnd | Piece::LastLine)
    }
}

/// A piece of input, as the keyboard thread hands it over.
#[derive(Debug, PartialEq, Eq)]
pub struct Typed {
    /// The bytes, with the line's `\n` when this piece ends a line (a trailing `\r` dropped).
    pub bytes: Vec<u8>,
    /// Whether the piece ends a line, is part of one, or ends the input.
    pub piece: Piece,
}

/// The loop's handle on the keyboard thread.
pub struct Keyboard {
    /// Tells the keyboard thread to read the next piece.
    more: Sender<()>,
}

impl Keyboard {
    /// Starts the keyboard thread on what `open` gives (`|| io::stdin().lock()`): it reads
    /// the first piece at once, gives each piece to `tell`, and reads the next when asked
    /// ([`Keyboard::more`]). It ends after the input does, or when `tell` returns false (the
    /// loop has gone).
    pub fn start<R: Read>(
        open: impl FnOnce() -> R + Send + 'static,
        tell: impl FnMut(io::Result<Typed>) -> bool + Send + 'static,
    ) -> anyhow::Result<Keyboard> {
        let (more, asked) = mpsc::channel();
        thread::Builder::new()
            .name("keyboard".into())
            .spawn(move || read_pieces(open(), &asked, tell))
            .map_err(OsError::new)
            .context(tr!(
                "cannot start the thread that reads standard input",
                "无法启动读取标准输入的线程"
            ))?;
        Ok(Keyboard { more })
    }

    /// The loop has taken the last piece: read the next.
    pub fn more(&self) {
        // The thread has ended only after the input did: nothing more to read then.
        let _ = self.more.send(());
    }
}

/// The keyboard thread: each piece to `tell`, the next only once the loop has asked.
fn read_pieces<R: Read>(
    source: R,
    asked: &Receiver<()>,
    mut tell: impl FnMut(io::Result<Typed>) -> bool,
) {
    let mut input = Input::new(source);
    let mut line_start = true;
    loop {
        let mut bytes = Vec::new();
        let read = input.next_piece(&mut bytes, line_start);
        let goes_on = matches!(read, Ok(piece) if piece != Piece::Stop);
        if let Ok(piece) = read {
            line_start = piece.ends_line();
        }
        if !tell(read.map(|piece| Typed { bytes, piece })) || !goes_on || asked.recv().is_err() {
            return;
        }
    }
}

/// Standard input, read into a buffer of [`PIECE`] bytes.
struct Input<R> {
    /// Where the lines come from.
    source: R,
    /// Bytes read and not yet handed out are `buffer[start..end]`.
    buffer: Box<[u8]>,
    /// Where the bytes not handed out start.
    start: usize,
    /// Where they end.
    end: usize,
    /// The source has ended: it is never read again (a terminal goes on reading after
    /// Ctrl+D, but the client has stopped listening).
    ended: bool,
}

impl<R: Read> Input<R> {
    /// Reads lines from `source`.
    fn new(source: R) -> Input<R> {
        Input {
            source,
            buffer: vec![0; PIECE].into_boxed_slice(),
            start: 0,
            end: 0,
            ended: false,
        }
    }

    /// Puts the next piece of the line into `out`: the whole line and its `\n` when it fits
    /// the buffer, so that a line leaves in one write. `first` is true at a line's start,
    /// where an empty line or the end of input means [`Piece::Stop`]. A trailing `\r` (as
    /// Windows and telnet end lines) is dropped.
    fn next_piece(&mut self, out: &mut Vec<u8>, first: bool) -> io::Result<Piece> {
        out.clear();
        loop {
            let pending = &self.buffer[self.start..self.end];
            let newline = pending.iter().position(|&byte| byte == b'\n');
            if newline.is_some() || self.ended {
                let at = newline.unwrap_or(pending.len());
                let line = &pending[..at];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                self.start = (self.start + at + 1).min(self.end);
                if first && line.is_empty() {
                    out.extend_from_slice(&pending[at..(at + 1).min(pending.len())]);
                    return Ok(Piece::Stop);
                }
                out.extend_from_slice(line);
                out.push(b'\n');
                return match newline {
                    Some(_) => Ok(Piece::LineEnd),
                    None => Ok(Piece::LastLine),
                };
            }
            if self.start == 0 && self.end == self.buffer.len() {
                // A full buffer and no end of line: hand it out, but keep a last `\r`, which
                // may be the start of a `\r\n`.
                let keep = usize::from(pending.ends_with(b"\r"));
                out.extend_from_slice(&pending[..pending.len() - keep]);
                self.start = self.end - keep;
                return Ok(Piece::Part);
            }
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            match self.source.read(&mut self.buffer[self.end..]) {
                Ok(0) => self.ended = true,
                Ok(n) => self.end += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests;
