//! One client's conversation, the same in every mode: what to answer to each read, and what
//! the log says of it.
//!
//! Nothing here touches a socket. Each mode reads (`data = cs.recv(BUFSIZ)`), builds the
//! reply with `crate::answer` (the book's step, in `main.rs`), and sends it (`cs.send(...)`):
//! the threaded and iterative modes at once, the event mode when the socket can take it.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::lang::count;
use common::out::{self, LogOrSkip, LogShare, Printable};
use common::{tr, trace};

use crate::connection_log::Shown;
use crate::tally::TALLY;
use crate::utf8::Utf8HoldBack;

/// One connected client, as every mode sees it.
pub struct Conversation {
    /// Who the client is, for the log and `--trace`.
    pub peer: SocketAddr,
    /// `--bufsize`: a read this long filled the buffer, and may have cut a character.
    bufsize: usize,
    /// The start of a character that the last full read cut off.
    held: Utf8HoldBack,
    /// This client's share of the log: a client that floods the server gets a few lines a
    /// second and a count of the rest, so it cannot fill the teacher's disk.
    share: LogShare,
    /// Whether the log shows this client at all (see [`crate::connection_log`]): a client
    /// reconnecting in a loop is counted, not shown, messages and all.
    shown: Shown,
}

impl Conversation {
    /// A client has just been accepted; `shown` says whether the log shows it.
    pub fn new(peer: SocketAddr, bufsize: usize, shown: Shown) -> Conversation {
        Conversation {
            peer,
            bufsize,
            held: Utf8HoldBack::default(),
            share: LogShare::new(Instant::now()),
            shown,
        }
    }

    /// `data = cs.recv(BUFSIZ)` returned `n` bytes: traced, and counted for the summary.
    pub fn received(&mut self, n: usize) {
        let (peer, bufsize) = (self.peer, self.bufsize);
        trace!("recv({bufsize}) -> {n} bytes  [{peer}]");
        TALLY.messages.fetch_add(1, Ordering::Relaxed);
        TALLY.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Appends `data` to a reply with whole characters only: after the bytes held back from the
    /// last read, all of `data` but the start of a character that a full read cut in two,
    /// which is held back to lead the next reply. Returns how many bytes it appended.
    pub fn whole_characters(&mut self, data: &[u8], reply: &mut Vec<u8>) -> usize {
        let filled_buffer = data.len() == self.bufsize;
        self.held.take_into(data, filled_buffer, reply)
    }

    /// The log line for one read (`n` bytes, of which the reply carries `answered`), within
    /// this client's share of the log. A client the log does not show keeps its first lines,
    /// in case the log shows it late (the first student of a class behind one address).
    pub fn log_received(&mut self, n: usize, answered: &[u8]) {
        if !out::logging() {
            return;
        }
        let peer = self.peer;
        if !self.shown.get() && !self.shown.keep(|| received_line(peer, n, answered)) {
            return; // kept, for the log to show if it shows this client late
        }
        // --trace asks for every call, and gets every line with it.
        let turn = if out::tracing() {
            LogOrSkip::Log { skipped: 0 }
        } else {
            self.share.take(Instant::now())
        };
        let LogOrSkip::Log { skipped } = turn else {
            return; // counted, and said with the next line shown
        };
        out::log_skipped(peer, skipped);
        out::log_line(received_line(peer, n, answered));
    }

    /// The conversation is over: how many of its log lines were not shown and not yet said.
    pub fn skipped_lines(self) -> u64 {
        self.share.finish()
    }

    /// `recv()` returned nothing: the client has finished sending. Appends the last reply,
    /// for bytes still held back, if any.
    pub fn on_end(&mut self, replies: &mut Vec<u8>) {
        let (peer, bufsize) = (self.peer, self.bufsize);
        trace!("recv({bufsize}) -> 0 bytes (end)  [{peer}]");
        self.answer_held(replies);
    }

    /// The client sent nothing for `--idle-timeout`: appends the bytes still held back, then
    /// one line that tells the client why the server closes its connection.
    pub fn on_idle(&mut self, after: Duration, replies: &mut Vec<u8>) {
        self.answer_held(replies);
        let secs = after.as_secs_f64();
        let line = common::last_words::last_words(&tr!(
            "idle for {secs} s (--idle-timeout): connection closed; connect again",
            "空闲 {secs} 秒（超过了 --idle-timeout），连接已断开；请重新连接"
        ));
        replies.extend_from_slice(line.as_bytes());
    }

    /// Appends a reply for the bytes still held back, if any.
    fn answer_held(&mut self, replies: &mut Vec<u8>) {
        let start = replies.len();
        common::ctime::stamp_into(replies);
        if self.held.finish_into(replies) == 0 {
            replies.truncate(start);
        }
    }
}

/// The book's log line for one read from `peer`: `n` bytes, of which the reply carries
/// `answered`.
fn received_line(peer: SocketAddr, n: usize, answered: &[u8]) -> String {
    let (shown, bytes) = (Printable(answered), count(n as u64, "byte"));
    tr!(
        "received {bytes} from {peer}: {shown}",
        "服务器接受TCP数据：来自 {peer}，{n} 字节：{shown}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::ctime::STAMP_LEN;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 50000))
    }

    /// The data of each `[ctime] data` reply in `replies`, which hold no `[` of their own.
    fn data_of(replies: &[u8]) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        let mut rest = replies;
        while !rest.is_empty() {
            assert_eq!(rest[0], b'[', "{:?}", String::from_utf8_lossy(rest));
            assert_eq!(&rest[25..STAMP_LEN], b"] ");
            let data = &rest[STAMP_LEN..];
            let end = data.iter().position(|&b| b == b'[').unwrap_or(data.len());
            parts.push(data[..end].to_vec());
            rest = &data[end..];
        }
        parts
    }

    #[test]
    fn each_read_is_answered_with_the_stamp_and_its_bytes() {
        let mut conversation = Conversation::new(peer(), 1024, Shown::new(true));
        let mut replies = Vec::new();
        crate::answer(&mut conversation, b"hello\n", &mut replies);
        crate::answer(&mut conversation, b"\xff\x00binary", &mut replies);
        assert_eq!(
            data_of(&replies),
            [b"hello\n".to_vec(), b"\xff\x00binary".to_vec()]
        );
    }

    #[test]
    fn a_character_cut_by_a_full_read_leads_the_next_reply() {
        let text = "ab中".as_bytes();
        let mut conversation = Conversation::new(peer(), 4, Shown::new(true));
        let mut replies = Vec::new();
        crate::answer(&mut conversation, &text[..4], &mut replies);
        assert_eq!(data_of(&replies), [b"ab".to_vec()]);
        replies.clear();
        crate::answer(&mut conversation, &text[4..], &mut replies);
        assert_eq!(data_of(&replies), ["中".as_bytes().to_vec()]);
    }

    #[test]
    fn bytes_held_back_go_out_at_the_end_or_before_the_idle_line() {
        let mut conversation = Conversation::new(peer(), 3, Shown::new(true));
        let mut replies = Vec::new();
        crate::answer(&mut conversation, b"a\xe4\xb8", &mut replies);
        assert_eq!(data_of(&replies), [b"a".to_vec()]);
        let mut last = Vec::new();
        conversation.on_end(&mut last);
        assert_eq!(data_of(&last), [b"\xe4\xb8".to_vec()]);
        // Nothing held: nothing more at the end.
        let mut none = Vec::new();
        conversation.on_end(&mut none);
        assert!(none.is_empty());

        let mut idle = Conversation::new(peer(), 2, Shown::new(true));
        let mut replies = Vec::new();
        crate::answer(&mut idle, &"中".as_bytes()[..2], &mut replies);
        assert!(replies.is_empty(), "every byte held: no reply");
        idle.on_idle(Duration::from_secs(5), &mut replies);
        let text = String::from_utf8_lossy(&replies);
        assert!(replies.starts_with(b"["), "{text}");
        assert_eq!(&replies[STAMP_LEN..STAMP_LEN + 2], &"中".as_bytes()[..2]);
        assert!(
            text.ends_with("(--idle-timeout): connection closed; connect again\n")
                || text.ends_with("请重新连接\n"),
            "{text}"
        );
        // Even after an hour, one line on an 80-column terminal (a Chinese character two).
        let mut hour = Vec::new();
        Conversation::new(peer(), 2, Shown::new(true))
            .on_idle(Duration::from_secs(3600), &mut hour);
        let hour = String::from_utf8_lossy(&hour);
        let columns: usize = hour
            .trim_end()
            .chars()
            .map(|c| 1 + usize::from(!c.is_ascii()))
            .sum();
        assert!(columns < 80, "{columns} columns: {hour}");
    }

    #[test]
    fn a_flood_is_counted_though_the_log_shows_a_few_lines() {
        let before = TALLY.messages.load(Ordering::Relaxed);
        let mut conversation = Conversation::new(peer(), 1024, Shown::new(true));
        let mut replies = Vec::new();
        for _ in 0..100 {
            crate::answer(&mut conversation, b"x", &mut replies);
        }
        assert!(TALLY.messages.load(Ordering::Relaxed) >= before + 100);
        let shown = common::out::LINES_PER_SECOND as u64;
        let skipped = conversation.skipped_lines();
        // Within one second (a slow machine may start a second one).
        assert!(
            (100 - 2 * shown..=100 - shown).contains(&skipped),
            "{skipped}"
        );
    }
}
