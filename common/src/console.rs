//! What both clients do at the terminal: read a line as the book's `input('> ')` does, and
//! print each reply at once.

use std::io::{self, BufRead, Write};

use anyhow::Context;

use crate::text::Message;

/// Reads one line of input, without its `\n` (or `\r\n`, as Windows and `telnet` end lines).
/// `None` ends the client: end of input, or an empty line, as in the book.
pub fn read_line(input: &mut impl BufRead) -> anyhow::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    input
        .read_until(b'\n', &mut line)
        .context(Message::CannotReadInput.text())?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok((!line.is_empty()).then_some(line))
}

/// Writes to stdout and flushes, so each reply (or the prompt) shows at once. An error means
/// stdout is closed (`client | head -1`): nobody is reading, and the client stops quietly.
pub fn show(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_drops_the_newline_and_a_carriage_return() {
        let mut input = &b"one\r\ntwo\n\nthree"[..];
        assert_eq!(read_line(&mut input).unwrap(), Some(b"one".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), Some(b"two".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), None);
        assert_eq!(read_line(&mut input).unwrap(), Some(b"three".to_vec()));
        assert_eq!(read_line(&mut input).unwrap(), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        let mut input = &b"\xff\xfe\n"[..];
        assert_eq!(read_line(&mut input).unwrap(), Some(b"\xff\xfe".to_vec()));
    }
}
