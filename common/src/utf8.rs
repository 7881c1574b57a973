//! Replies never cut a UTF-8 character in two.
//!
//! TCP is a stream (book 16.2.3): a `recv(1024)` can end in the middle of a character, say
//! after the first two of the three bytes of `中`. Answered as it is, that reply would end in
//! a broken character and the next one would start with a stray byte, and a student's
//! terminal would print `�` twice. So when a read fills the whole buffer and ends inside a
//! character, the at most 3 bytes of that unfinished character are held back and lead the
//! next reply.
//!
//! The rule, exactly:
//! - only a read that filled the buffer holds bytes back: a shorter read is answered whole
//!   (the sender is slow, not cut off);
//! - only the start of a character that could still be finished is held (at most 3 bytes);
//!   invalid bytes are answered as they are, so nothing is held forever;
//! - when the client half-closes, whatever is held goes out as a last reply. Nothing is
//!   dropped.

/// The bytes held back between one read and the next, for one client.
#[derive(Debug, Default)]
pub struct Utf8HoldBack {
    /// The start of a character that the last full read cut off: 0 to 3 bytes.
    held: Vec<u8>,
}

impl Utf8HoldBack {
    /// Takes one read and returns the data to answer now: the bytes held back from before,
    /// then `read`, less an unfinished character at the end when `read` filled the buffer.
    ///
    /// Returns `None` when every byte is held back (only possible with a buffer below 4).
    pub fn take(&mut self, read: &[u8], filled_buffer: bool) -> Option<Vec<u8>> {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(read);
        if filled_buffer {
            let unfinished = unfinished_tail_len(&data);
            self.held = data.split_off(data.len() - unfinished);
        }
        (!data.is_empty()).then_some(data)
    }

    /// The client has finished sending: hands over whatever is still held back.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.held);
        (!rest.is_empty()).then_some(rest)
    }

    /// How many bytes are held back now.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character that is not
/// finished yet: 0 to 3.
///
/// A character starts at a byte that is not a continuation byte (`10xxxxxx`). If the last
/// such byte begins a sequence that is valid so far but too short, that sequence is unfinished.
pub fn unfinished_tail_len(bytes: &[u8]) -> usize {
    for len in 1..=bytes.len().min(3) {
        let tail = &bytes[bytes.len() - len..];
        if is_continuation(tail[0]) {
            continue;
        }
        // std's decoder tells "valid so far, but the input ended" (no error length) apart from
        // "invalid" (an error length).
        return match std::str::from_utf8(tail) {
            Err(error) if error.valid_up_to() == 0 && error.error_len().is_none() => len,
            _ => 0,
        };
    }
    0
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in reads of `size` bytes, as a server with `--bufsize size` would see it
    /// from a fast sender, and returns the data of every reply.
    fn replies(input: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut hold = Utf8HoldBack::default();
        let mut out: Vec<Vec<u8>> = input
            .chunks(size)
            .filter_map(|read| hold.take(read, read.len() == size))
            .collect();
        out.extend(hold.finish());
        out
    }

    #[test]
    fn complete_text_is_never_held() {
        assert_eq!(unfinished_tail_len(b"hello"), 0);
        assert_eq!(unfinished_tail_len("中文".as_bytes()), 0);
        assert_eq!(unfinished_tail_len("😀".as_bytes()), 0);
        assert_eq!(unfinished_tail_len(b""), 0);
    }

    #[test]
    fn every_cut_of_1_to_4_byte_characters() {
        for ch in ['a', 'é', '中', '😀'] {
            let mut encoded = [0; 4];
            let bytes = ch.encode_utf8(&mut encoded).as_bytes();
            for cut in 1..bytes.len() {
                let mut data = b"ab".to_vec();
                data.extend_from_slice(&bytes[..cut]);
                assert_eq!(
                    unfinished_tail_len(&data),
                    cut,
                    "{ch} cut after {cut} bytes"
                );
            }
            let mut whole = b"ab".to_vec();
            whole.extend_from_slice(bytes);
            assert_eq!(unfinished_tail_len(&whole), 0, "{ch} whole");
        }
    }

    #[test]
    fn invalid_bytes_are_not_held() {
        assert_eq!(unfinished_tail_len(b"\xff"), 0);
        assert_eq!(unfinished_tail_len(b"\x80\x80\x80"), 0);
        assert_eq!(unfinished_tail_len(b"a\xe0\x80"), 0); // overlong: can never be finished
        assert_eq!(unfinished_tail_len(b"a\xed\xa0"), 0); // a surrogate
        assert_eq!(unfinished_tail_len(b"a\xf5"), 0); // beyond U+10FFFF
    }

    #[test]
    fn a_full_read_cut_inside_a_character_holds_it_for_the_next_reply() {
        let mut hold = Utf8HoldBack::default();
        let text = "ab中".as_bytes(); // 5 bytes: a b E4 B8 AD
        assert_eq!(hold.take(&text[..4], true).as_deref(), Some(&b"ab"[..]));
        assert_eq!(hold.held_len(), 2);
        assert_eq!(
            hold.take(&text[4..], false).as_deref(),
            Some("中".as_bytes())
        );
        assert_eq!(hold.finish(), None);
    }

    #[test]
    fn a_short_read_is_answered_whole() {
        let mut hold = Utf8HoldBack::default();
        let cut = &"中".as_bytes()[..2];
        assert_eq!(hold.take(cut, false).as_deref(), Some(cut));
        assert_eq!(hold.held_len(), 0);
    }

    #[test]
    fn a_read_that_is_all_held_gets_no_reply() {
        let mut hold = Utf8HoldBack::default();
        let bytes = "😀".as_bytes();
        assert_eq!(hold.take(&bytes[..1], true), None);
        assert_eq!(hold.take(&bytes[1..2], true), None);
        assert_eq!(hold.take(&bytes[2..3], true), None);
        assert_eq!(hold.take(&bytes[3..], true).as_deref(), Some(bytes));
    }

    #[test]
    fn held_bytes_go_out_when_the_client_finishes() {
        let mut hold = Utf8HoldBack::default();
        assert_eq!(hold.take(b"x\xe4\xb8", true).as_deref(), Some(&b"x"[..]));
        assert_eq!(hold.finish().as_deref(), Some(&b"\xe4\xb8"[..]));
        assert_eq!(hold.finish(), None);
    }

    #[test]
    fn an_unfinished_start_followed_by_other_bytes_is_answered_not_held_forever() {
        let mut hold = Utf8HoldBack::default();
        assert_eq!(hold.take(b"\xe4", true), None);
        // 'A' cannot continue the character: everything goes out, invalid byte included.
        assert_eq!(hold.take(b"A", true).as_deref(), Some(&b"\xe4A"[..]));
        assert_eq!(hold.held_len(), 0);
    }

    #[test]
    fn nothing_is_lost_or_split_for_any_buffer_size() {
        let text = "hello 你好, 世界! 😀 é\u{10FFFF}x".repeat(3);
        for size in 1..=20 {
            let replies = replies(text.as_bytes(), size);
            assert_eq!(replies.concat(), text.as_bytes(), "size {size}");
            for reply in &replies {
                assert!(std::str::from_utf8(reply).is_ok(), "size {size}: {reply:?}");
            }
        }
    }

    #[test]
    fn invalid_input_comes_back_unchanged() {
        let input: Vec<u8> = (0..=255u8).chain([0xe4, 0xb8, 0xf0, 0x9f, 0x98]).collect();
        for size in 1..=9 {
            assert_eq!(replies(&input, size).concat(), input, "size {size}");
        }
    }
}
