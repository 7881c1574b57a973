//! Where a UTF-8 character is cut: the one rule that tcp-server (a reply never cuts a
//! character in two) and tcp-client (a pause on the network never shows half a character)
//! both follow.
//!
//! TCP is a stream (book 16.2.3): a `recv(1024)` can end in the middle of a character, after
//! the first two of the three bytes of `中`. Whoever holds such a tail back must hold exactly
//! the start of a character that could still be finished, and nothing else: bytes that can
//! never become a character (`FF`, or `E0 80`, which RFC 3629 forbids: after `E0` only
//! `A0..BF` may follow) are shown or answered at once, so nothing is held forever.

/// How many bytes at the end of `bytes` are the start of a UTF-8 character that is not
/// finished yet: 0 to 3.
///
/// A character starts at a byte that is not a continuation byte (`10xxxxxx`). If the last
/// such byte begins a sequence that is valid so far (RFC 3629, as std's decoder reads it)
/// but too short, that sequence is unfinished.
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

/// True for a byte that continues a character (`10xxxxxx`), never one that starts it.
fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_text_is_never_held() {
        assert_eq!(unfinished_tail_len(b"hello"), 0);
        assert_eq!(unfinished_tail_len("中文".as_bytes()), 0);
        assert_eq!(unfinished_tail_len("😀".as_bytes()), 0);
        assert_eq!(unfinished_tail_len(b""), 0);
    }

    #[test]
    fn every_cut_of_1_to_4_byte_characters_is_held() {
        for ch in ['a', 'é', '中', '😀', '\u{85}'] {
            let mut encoded = [0; 4];
            let bytes = ch.encode_utf8(&mut encoded).as_bytes();
            for cut in 1..bytes.len() {
                let data = [b"ab", &bytes[..cut]].concat();
                assert_eq!(unfinished_tail_len(&data), cut, "{ch} cut after {cut}");
            }
            let whole = [b"ab", bytes].concat();
            assert_eq!(unfinished_tail_len(&whole), 0, "{ch} whole");
        }
    }

    #[test]
    fn bytes_that_can_never_be_a_character_are_not_held() {
        assert_eq!(unfinished_tail_len(b"\xff"), 0);
        assert_eq!(unfinished_tail_len(b"\x80\x80\x80"), 0);
        assert_eq!(unfinished_tail_len(b"a\xe0\x80"), 0); // overlong: after E0 only A0..BF
        assert_eq!(unfinished_tail_len(b"a\xe0\xa0"), 2); // U+0800's start
        assert_eq!(unfinished_tail_len(b"a\xed\xa0"), 0); // a surrogate
        assert_eq!(unfinished_tail_len(b"a\xf5"), 0); // beyond U+10FFFF
        assert_eq!(unfinished_tail_len(b"a\xf4\x90"), 0); // beyond U+10FFFF too
    }
}
