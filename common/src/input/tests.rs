//! Lines in pieces, as both clients read them.

use std::collections::VecDeque;
use std::sync::mpsc;

use super::*;

/// Every piece of every line of `input`, then the piece that stopped.
fn pieces(input: &[u8]) -> Vec<(Vec<u8>, Piece)> {
    let mut input = Input::new(input);
    let mut out = Vec::new();
    let mut all = Vec::new();
    let mut first = true;
    for _ in 0..100 {
        let piece = input.next_piece(&mut out, first).expect("a piece");
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
fn the_last_line_without_a_newline_is_given_and_then_input_ends() {
    let got = pieces(b"last");
    assert_eq!(got[0], (b"last\n".to_vec(), Piece::LastLine));
    assert_eq!(got[1], (Vec::new(), Piece::Stop));
}

#[test]
fn a_long_line_comes_in_pieces_and_joins_whole() {
    let mut line = vec![b'x'; PIECE * 3 + 10];
    line[PIECE - 1] = b'\r'; // a carriage return at a piece's end is not lost
    let input = [&line[..], b"\r\nnext\n"].concat();
    let got = pieces(&input);
    let joined: Vec<u8> = got
        .iter()
        .take_while(|(_, piece)| *piece == Piece::Part)
        .flat_map(|(bytes, _)| bytes.clone())
        .collect();
    let end = got
        .iter()
        .find(|(_, piece)| piece.ends_line())
        .expect("the line's end");
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

/// A terminal: each read gives what was typed up to Enter or Ctrl+D, and Ctrl+D at a line's
/// start reads as the end (0 bytes), after which a terminal goes on reading.
struct Terminal(VecDeque<&'static [u8]>);

impl Read for Terminal {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let typed = self.0.pop_front().unwrap_or_default();
        buffer[..typed.len()].copy_from_slice(typed);
        Ok(typed.len())
    }
}

#[test]
fn the_keyboard_thread_hands_over_each_piece_when_asked_and_nothing_after_the_end() {
    // "last", then Ctrl+D: the text goes as the last line; what is typed after is not read.
    let typing = [&b"one\n"[..], b"last", b"", b"typed after Ctrl+D\n"];
    let (tell, told) = mpsc::channel();
    let keyboard = Keyboard::start(
        move || Terminal(typing.into()),
        move |typed| tell.send(typed.expect("typed")).is_ok(),
    )
    .expect("the keyboard thread");
    let next = || told.recv_timeout(Duration::from_secs(5)).expect("a piece");
    assert_eq!(next().bytes, b"one\n");
    assert!(
        told.recv_timeout(TYPED_AHEAD).is_err(),
        "not read before asked"
    );
    keyboard.more();
    assert_eq!(next().piece, Piece::LastLine);
    keyboard.more();
    assert_eq!(
        next(),
        Typed {
            bytes: Vec::new(),
            piece: Piece::Stop
        }
    );
    keyboard.more();
    assert!(
        told.recv_timeout(TYPED_AHEAD).is_err(),
        "the thread has ended"
    );
}
