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
//!   invalid bytes are answered as they are, so nothing is held forever ([`common::utf8`],
//!   the rule tcp-client follows too);
//! - when the client half-closes, whatever is held goes out as a last reply. Nothing is
//!   dropped.

use common::utf8::unfinished_tail_len;

/// The bytes held back between one read and the next, for one client.
#[derive(Debug, Default)]
pub struct Utf8HoldBack {
    /// The start of a character that the last full read cut off...
    held: [u8; 3],
    /// ...and how many of those 3 bytes it is.
    len: usize,
}

impl Utf8HoldBack {
    /// Takes one read and appends to `out` the data to answer now: the bytes held back from
    /// before, then `read`, less an unfinished character at the end when `read` filled the
    /// buffer. Returns how many bytes it appended: 0 when every byte is held back (only
    /// possible with a buffer below 4).
    pub fn take_into(&mut self, read: &[u8], filled_buffer: bool, out: &mut Vec<u8>) -> usize {
        let held = self.len;
        let total = held + read.len();
        // The held bytes and the read, joined, when the read is too short to look at alone.
        let mut joined = [0; 6];
        let short = read.len() < 3;
        if short {
            joined[..held].copy_from_slice(&self.held[..held]);
            joined[held..total].copy_from_slice(read);
        }
        let keep = match (filled_buffer, short) {
            (false, _) => 0,
            (true, false) => unfinished_tail_len(read),
            (true, true) => unfinished_tail_len(&joined[..total]),
        };
        let answer = total - keep;
        let rest = if short {
            out.extend_from_slice(&joined[..answer]);
            &joined[answer..total]
        } else {
            out.extend_from_slice(&self.held[..held]);
            out.extend_from_slice(&read[..answer - held]);
            &read[answer - held..]
        };
        self.held[..rest.len()].copy_from_slice(rest);
        self.len = rest.len();
        answer
    }

    /// The client has finished sending: appends whatever is still held back to `out`, and
    /// returns how many bytes that was.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) -> usize {
        let held = std::mem::take(&mut self.len);
        out.extend_from_slice(&self.held[..held]);
        held
    }

    /// How many bytes are held back now.
    #[cfg(test)]
    pub fn held_len(&self) -> usize {
        self.len
    }

    /// [`take_into`](Self::take_into), returning the data in a buffer of its own (`None`
    /// when every byte is held back), for the tests.
    #[cfg(test)]
    pub fn take(&mut self, read: &[u8], filled_buffer: bool) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        (self.take_into(read, filled_buffer, &mut out) > 0).then_some(out)
    }

    /// [`finish_into`](Self::finish_into), for the tests.
    #[cfg(test)]
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        (self.finish_into(&mut out) > 0).then_some(out)
    }
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

    // Where a character is cut (`unfinished_tail_len`) is common's rule, tested there.

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

    mod properties {
        //! Properties, for inputs no one would think to write by hand.
        use super::*;
        use proptest::prelude::*;

        /// Answers `reads` as the TCP server does with `--bufsize bufsize`, then the half-close.
        fn replies(reads: &[&[u8]], bufsize: usize) -> (Vec<Vec<u8>>, usize) {
            let mut hold = Utf8HoldBack::default();
            let mut out = Vec::new();
            for read in reads {
                out.extend(hold.take(read, read.len() == bufsize));
                assert!(hold.held_len() <= 3, "at most 3 bytes are ever held");
            }
            out.extend(hold.finish());
            (out, hold.held_len())
        }

        /// Positions strictly inside a character that `input` has whole.
        fn inside_whole_characters(input: &[u8]) -> Vec<usize> {
            let mut inside = Vec::new();
            let mut at = 0;
            for chunk in input.utf8_chunks() {
                for (offset, ch) in chunk.valid().char_indices() {
                    inside.extend((1..ch.len_utf8()).map(|k| at + offset + k));
                }
                at += chunk.valid().len() + chunk.invalid().len();
            }
            inside
        }

        /// Text with characters of every length, and now and then bytes that are not UTF-8.
        fn input() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                "[a-z é中😀]{0,12}".prop_map(String::into_bytes),
                proptest::collection::vec(any::<u8>(), 0..6),
            ];
            proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
        }

        /// Cuts `input` into reads of at most `bufsize` bytes at the given cut sizes.
        fn split<'a>(input: &'a [u8], sizes: &[usize], bufsize: usize) -> Vec<&'a [u8]> {
            let mut reads = Vec::new();
            let mut rest = input;
            let mut sizes = sizes.iter().cycle();
            while !rest.is_empty() {
                let size = (sizes.next().copied().unwrap_or(bufsize) % bufsize + 1).min(rest.len());
                reads.push(&rest[..size]);
                rest = &rest[size..];
            }
            reads
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any bytes, split anywhere into reads of any sizes: the replies' data joined back is
            /// the input, and nothing is held once the input ends.
            #[test]
            fn nothing_is_lost_or_held_forever(
                input in input(),
                bufsize in 1usize..40,
                sizes in proptest::collection::vec(0usize..64, 1..16),
            ) {
                let reads = split(&input, &sizes, bufsize);
                let (out, held_at_end) = replies(&reads, bufsize);
                prop_assert_eq!(out.concat(), input);
                prop_assert_eq!(held_at_end, 0);
                prop_assert!(out.iter().all(|reply| !reply.is_empty()));
            }

            /// A fast sender fills every read: then no reply ends inside a character the input had
            /// whole.
            #[test]
            fn full_reads_never_split_a_whole_character(input in input(), bufsize in 1usize..40) {
                let reads: Vec<&[u8]> = input.chunks(bufsize).collect();
                let (out, _) = replies(&reads, bufsize);
                let inside = inside_whole_characters(&input);
                let mut boundary = 0;
                for reply in &out[..out.len().saturating_sub(1)] {
                    boundary += reply.len();
                    prop_assert!(!inside.contains(&boundary), "a reply ends inside a character at {}", boundary);
                }
            }

            /// A read shorter than the buffer is answered whole, held bytes first.
            #[test]
            fn a_short_read_is_answered_whole(read in proptest::collection::vec(any::<u8>(), 1..40)) {
                let mut hold = Utf8HoldBack::default();
                let answered = hold.take(&read, false);
                prop_assert_eq!(answered, Some(read));
                prop_assert_eq!(hold.held_len(), 0);
            }
        }
    }
}
