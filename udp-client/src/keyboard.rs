//! `raw_input('> ')`: standard input, a whole line at a time, for one datagram each.
//!
//! The keyboard thread is the one both clients share ([`common::input`]): it reads a line in
//! pieces and the loop asks for each. What is udp-client's own is the joining: a datagram
//! carries a whole line, so the pieces are joined, and only up to one byte more than
//! `--bufsize`, enough to know that a line is too long to send (its length is still counted,
//! so the client can say how long it was without ever holding a 1 GB line).

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver};

use common::input::{Keyboard, Piece, TYPED_AHEAD, Typed};

use crate::screen::Screen;

/// One line of input.
pub struct Line {
    /// The line, without its `\n` (and `\r`): all of it when it fits `--bufsize`.
    pub bytes: Vec<u8>,
    /// How many bytes the whole line has.
    pub len: usize,
}

/// Standard input, as the keyboard thread hands it over.
pub struct Input {
    /// The pieces, as the keyboard thread reads them.
    pieces: Receiver<io::Result<Typed>>,
    /// Asks the keyboard thread for the next piece.
    keyboard: Keyboard,
    /// The most bytes of a line kept: one more than `--bufsize`.
    keep: usize,
}

impl Input {
    /// Starts reading what `open` gives (`|| io::stdin().lock()`), for lines of at most
    /// `bufsize` bytes.
    pub fn start<R: Read>(
        open: impl FnOnce() -> R + Send + 'static,
        bufsize: usize,
    ) -> anyhow::Result<Input> {
        let (tell, pieces) = mpsc::channel();
        let keyboard = Keyboard::start(open, move |typed| tell.send(typed).is_ok())?;
        Ok(Input {
            pieces,
            keyboard,
            keep: bufsize.saturating_add(1),
        })
    }

    /// `data = raw_input('> ')`: shows the prompt on a terminal, unless a line was typed
    /// ahead of it, and reads one line. `None` ends the client (`if not data: break`): end of
    /// input, or an empty line, as in the book.
    pub fn raw_input(&mut self, screen: &Screen) -> anyhow::Result<Option<Line>> {
        // A line typed ahead of the prompt (a quick typist, a paste) was echoed with its
        // Enter already: a prompt shown now would leave the reply glued after `> `.
        let mut prompted = false;
        let typed_ahead = if screen.typing() {
            self.pieces.recv_timeout(TYPED_AHEAD).ok()
        } else {
            None
        };
        let mut piece = match typed_ahead {
            Some(piece) => piece,
            None => {
                screen.prompt()?;
                prompted = true;
                self.next_piece()
            }
        }
        .map_err(common::program::cannot_read_input)?;
        let mut line = Line {
            bytes: Vec::new(),
            len: 0,
        };
        loop {
            match piece.piece {
                Piece::Stop => {
                    if piece.bytes.is_empty() && prompted {
                        // Ctrl+D at the prompt: the shell's prompt starts on a line of its own.
                        screen.end_line()?;
                    }
                    return Ok(None);
                }
                // Ctrl+D after some typing: the cursor is still after the typed text.
                Piece::LastLine => screen.end_line()?,
                Piece::Part | Piece::LineEnd => {}
            }
            let ends = piece.piece.ends_line();
            let bytes = piece.bytes.strip_suffix(b"\n").unwrap_or(&piece.bytes);
            line.len += bytes.len();
            let room = self.keep.saturating_sub(line.bytes.len()).min(bytes.len());
            line.bytes.extend_from_slice(&bytes[..room]);
            self.keyboard.more();
            if ends {
                return Ok(Some(line));
            }
            piece = self
                .next_piece()
                .map_err(common::program::cannot_read_input)?;
        }
    }

    /// The next piece; the end of input once the keyboard thread has ended.
    fn next_piece(&self) -> io::Result<Typed> {
        self.pieces.recv().unwrap_or_else(|_| {
            Ok(Typed {
                bytes: Vec::new(),
                piece: Piece::Stop,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `input` gives, as `(bytes, len)`, for lines of at most `bufsize` bytes.
    fn lines(input: &'static [u8], bufsize: usize) -> Vec<(Vec<u8>, usize)> {
        let mut input = Input::start(move || input, bufsize).expect("the keyboard thread");
        let pipes = Screen::piped();
        let mut all = Vec::new();
        while let Some(line) = input.raw_input(&pipes).expect("a line") {
            all.push((line.bytes, line.len));
        }
        all
    }

    #[test]
    fn lines_lose_their_newline_and_carriage_return_and_an_empty_line_ends() {
        let got = lines(b"one\r\ntwo\n\nthree", 100);
        assert_eq!(got, [(b"one".to_vec(), 3), (b"two".to_vec(), 3)]);
        assert_eq!(lines(b"last", 100), [(b"last".to_vec(), 4)]);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_counted_whole_and_kept_only_in_part() {
        let long: &'static [u8] =
            Box::leak([vec![b'x'; 200_000], b"\nnext\n".to_vec()].concat().into());
        let got = lines(long, 1000);
        assert_eq!(got[0].0.len(), 1001, "one byte more than --bufsize is kept");
        assert_eq!(got[0].1, 200_000, "the whole line is counted");
        assert_eq!(got[1], (b"next".to_vec(), 4));
    }
}
