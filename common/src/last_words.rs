//! A TCP server's last words: the line our server sends on its own just before it closes a
//! connection (the busy line, the idle line), and how the client tells such a line from a reply.
//!
//! A reply is whatever the server sends, and the client never judges one by its content: a
//! server changed in an exercise may answer `date` with the time, `ls` with several lines, or
//! greet a client when it connects. But a busy or an idle line answers nothing: a client that
//! took it for the reply to its last line would then end as if all had gone well. So our
//! server marks its own words the way a program marks its own messages on a terminal, with
//! its name and a colon in front (`tcp-server: server busy, ...`): a person reads the line
//! naturally, and the client knows it for what it is. The mark is the same in every language,
//! since a client may read in another language than the server writes.

/// What our server's own lines begin with.
const MARK: &str = "tcp-server: ";

/// The line for `said`, marked as the server's own last words, with its `\n`.
pub fn last_words(said: &str) -> String {
    format!("{MARK}{said}\n")
}

/// True when `line` (a whole line from the server) is our server's own last words.
pub fn are_last_words(line: &[u8]) -> bool {
    line.starts_with(MARK.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_own_lines_are_told_by_their_mark_and_nothing_else() {
        let busy = last_words("server busy, try again later");
        assert_eq!(busy, "tcp-server: server busy, try again later\n");
        assert!(are_last_words(busy.as_bytes()));
        // A reply that says the same words is still a reply.
        assert!(!are_last_words(b"[Mon Nov 30 07:12:38 2026] server busy\n"));
        assert!(!are_last_words(b"server busy: try again later\n"));
    }
}
