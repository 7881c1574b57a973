//! No loops: the datagrams this server does not answer, and why.
//!
//! Not the book. The book's server answers every datagram, which is fine in a book and
//! dangerous in a lab. Two timestamp servers answer each other forever once one forged datagram
//! (its source set to the other server) starts them: each answer is a datagram to the other
//! server, which answers it, and so on, at full speed, until one is stopped. A datagram forged
//! to come from the server itself makes it answer itself the same way. So a datagram that is
//! itself a timestamp reply, or that claims to come from this server's own address and port,
//! is not answered; the log says so once per sender.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use common::ctime::begins_with_stamp;

/// How many senders the server remembers having told the log about. A spoofer can forge
/// datagrams from any number of addresses, so the memory is bounded: when it is full it starts
/// again, and a sender may then be named once more (the log's share per sender still holds).
const SENDERS_REMEMBERED: usize = 1024;

/// Why a datagram is not answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loop {
    /// Its data begins with `[` + a ctime + `] `: it is another server's answer.
    AReply,
    /// It claims to come from this server's own address and port: the answer would come back
    /// here.
    FromItself,
}

/// What tells a datagram that would start a loop.
pub struct Loops {
    /// The address this server is bound to.
    bound: SocketAddr,
    /// This machine's other addresses, where the server is bound to every interface: a
    /// datagram from one of them with the server's port claims to come from the server too.
    own: Vec<IpAddr>,
    /// Senders the log has already named for a datagram not answered.
    told: HashSet<SocketAddr>,
}

impl Loops {
    /// For a server bound to `bound`; `own` is this machine's addresses (for a server bound to
    /// every interface).
    pub fn new(bound: SocketAddr, own: Vec<IpAddr>) -> Loops {
        Loops {
            bound,
            own,
            told: HashSet::new(),
        }
    }

    /// Whether answering `data` from `from` (sent to `to`, where known) would start a loop.
    pub fn check(&self, data: &[u8], from: SocketAddr, to: Option<IpAddr>) -> Option<Loop> {
        if begins_with_stamp(data) {
            return Some(Loop::AReply);
        }
        if self.is_itself(from, to) {
            return Some(Loop::FromItself);
        }
        None
    }

    /// True the first time `sender` is named (within the bounded memory): the log says once
    /// per sender why its datagrams are not answered.
    pub fn first_from(&mut self, sender: SocketAddr) -> bool {
        if self.told.len() >= SENDERS_REMEMBERED {
            self.told.clear();
        }
        self.told.insert(sender)
    }

    /// True when `from` is this server's own address and port (an IPv4 client of a server on
    /// `::` is written `::ffff:a.b.c.d`: the same address).
    fn is_itself(&self, from: SocketAddr, to: Option<IpAddr>) -> bool {
        if from.port() != self.bound.port() {
            return false;
        }
        let ip = from.ip().to_canonical();
        let bound = self.bound.ip().to_canonical();
        if !bound.is_unspecified() {
            return ip == bound;
        }
        // Bound to every interface: any address of this machine is the server's own.
        ip.is_loopback()
            || ip.is_unspecified()
            || to.is_some_and(|to| to.to_canonical() == ip)
            || self.own.contains(&ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loops(bound: &str, own: &[&str]) -> Loops {
        let bound = bound.parse().expect("an address");
        let own = own.iter().map(|ip| ip.parse().expect("an IP")).collect();
        Loops::new(bound, own)
    }

    fn from(text: &str) -> SocketAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn a_timestamp_reply_is_told_from_a_message_by_common_s_rule() {
        assert!(begins_with_stamp(b"[Wed Nov 25 17:28:42 2026] hello"));
        assert!(begins_with_stamp(b"[Thu Nov  5 07:08:09 2026] "));
        assert!(begins_with_stamp(
            b"[Thu Jan  1 00:00:00 1970] [Thu Jan  1 00:00:00 1970] x"
        ));
        for message in [
            &b""[..],
            b"hello",
            b"[Wed Nov 25 17:28:42 2026]hello",
            b"[Wed Nov 25 17:28:42 2026 hello",
            b"[not a time at all, 24 c] x",
            b"[Xyz Nov 25 17:28:42 2026] hello",
            b"[Wed Nov 25 17:28:42 2026",
            b" [Wed Nov 25 17:28:42 2026] hello",
            "[中文中文中文中文] x".as_bytes(),
        ] {
            assert!(
                !begins_with_stamp(message),
                "{:?}",
                String::from_utf8_lossy(message)
            );
        }
    }

    #[test]
    fn a_datagram_from_the_servers_own_address_and_port_would_loop() {
        let one = loops("127.0.0.2:5000", &[]);
        assert_eq!(
            one.check(b"x", from("127.0.0.2:5000"), None),
            Some(Loop::FromItself)
        );
        assert_eq!(one.check(b"x", from("127.0.0.2:5001"), None), None);
        assert_eq!(one.check(b"x", from("127.0.0.3:5000"), None), None);
        let to = Some("192.0.2.7".parse().expect("an IP"));
        let every = loops("0.0.0.0:5000", &["192.0.2.7", "198.51.100.1"]);
        for itself in ["127.0.0.1:5000", "192.0.2.7:5000", "198.51.100.1:5000"] {
            assert_eq!(
                every.check(b"x", from(itself), to),
                Some(Loop::FromItself),
                "{itself}"
            );
        }
        assert_eq!(every.check(b"x", from("203.0.113.9:5000"), to), None);
        let dual = loops("[::]:5000", &[]);
        assert_eq!(
            dual.check(b"x", from("[::ffff:127.0.0.1]:5000"), None),
            Some(Loop::FromItself)
        );
        let mapped = loops("[::ffff:127.0.0.1]:5000", &[]);
        assert_eq!(
            mapped.check(b"x", from("127.0.0.1:5000"), None),
            Some(Loop::FromItself)
        );
    }

    #[test]
    fn a_reply_is_not_answered_whoever_sends_it() {
        let one = loops("127.0.0.1:5000", &[]);
        let reply = b"[Wed Nov 25 17:28:42 2026] hello";
        assert_eq!(
            one.check(reply, from("127.0.0.1:6000"), None),
            Some(Loop::AReply)
        );
    }

    #[test]
    fn each_sender_is_named_once_in_bounded_memory() {
        let mut loops = loops("127.0.0.1:5000", &[]);
        let sender = from("127.0.0.3:6000");
        assert!(loops.first_from(sender));
        assert!(!loops.first_from(sender));
        assert!(loops.first_from(from("127.0.0.3:6001")));
        // A spoofer's many addresses: the memory stays bounded.
        for port in 0..5000 {
            loops.first_from(SocketAddr::new(sender.ip(), port));
            assert!(loops.told.len() <= SENDERS_REMEMBERED);
        }
    }
}
