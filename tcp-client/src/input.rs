//! Standard input, line by line, in pieces: a line of any length (10 MB and more) goes out
//! without ever being held whole in memory.

use std::io::{self, Read};

/// The most of one line held at once; a longer line goes out in pieces of this size.
const PIECE: usize = 64 * 1024;

/// What [`Input::next_piece`] found.
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

/// Standard input, read into a buffer of [`PIECE`] bytes.
pub struct Input<R> {
    /// Where the lines come from.
    source: R,
    /// Bytes read and not yet handed out are `buffer[start..end]`.
    buffer: Box<[u8]>,
    /// Where the bytes not handed out start.
    start: usize,
    /// Where they end.
    end: usize,
    /// The source has ended.
    ended: bool,
}

impl<R: Read> Input<R> {
    /// Reads lines from `source`.
    pub fn new(source: R) -> Input<R> {
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
    pub fn next_piece(&mut self, out: &mut Vec<u8>, first: bool) -> io::Result<Piece> {
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
                // A full buffer and no end of line: send it, but keep a last `\r`, which may
                // be the start of a `\r\n`.
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
mod tests {
    use super::*;

    /// Every piece of every line of `input`, then the piece that stopped.
    fn pieces(input: &[u8]) -> Vec<(Vec<u8>, Piece)> {
        let mut input = Input::new(input);
        let mut out = Vec::new();
        let mut all = Vec::new();
        let mut first = true;
        for _ in 0..100 {
            let piece = input.next_piece(&mut out, first).unwrap();
            all.push((out.clone(), piece));
            if piece == Piece::Stop {
                break;
            }
            first = piece.ends_line();
        }
        all
    }

    #[test]
    fn lines_end_with_a_newline_and_a_carriage_return_is_dropped() {
        let got = pieces(b"one\r\ntwo\n\nthree");
        assert_eq!(got[0], (b"one\n".to_vec(), Piece::LineEnd));
        assert_eq!(got[1], (b"two\n".to_vec(), Piece::LineEnd));
        assert_eq!(got[2], (b"\n".to_vec(), Piece::Stop));
    }

    #[test]
    fn the_last_line_without_a_newline_is_sent_and_then_input_ends() {
        let got = pieces(b"last");
        assert_eq!(got[0], (b"last\n".to_vec(), Piece::LastLine));
        assert_eq!(got[1], (Vec::new(), Piece::Stop));
    }

    #[test]
    fn a_long_line_goes_in_pieces_and_comes_out_whole() {
        let mut line = vec![b'x'; PIECE * 3 + 10];
        line[PIECE - 1] = b'\r'; // a carriage return at a piece's end is not lost
        let mut input = line.clone();
        input.extend_from_slice(b"\r\nnext\n");
        let got = pieces(&input);
        let joined: Vec<u8> = got
            .iter()
            .take_while(|(_, piece)| *piece == Piece::Part)
            .flat_map(|(bytes, _)| bytes.clone())
            .collect();
        let end = got.iter().find(|(_, piece)| piece.ends_line()).unwrap();
        assert!(got.len() >= 4, "{}", got.len());
        assert_eq!(
            [joined, end.0.clone()].concat(),
            [line, b"\n".to_vec()].concat()
        );
        assert!(got.iter().any(|(bytes, _)| bytes == b"next\n"));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        assert_eq!(pieces(b"\xff\xfe\n")[0].0, b"\xff\xfe\n");
    }
}
