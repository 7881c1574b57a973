//! No loops: the datagrams this server does not answer, and why.
//!
//! Not the book. The book's server answers every datagram, which is fine in a book and
//! dangerous in a lab. One forged datagram (its source set to a classmate's server) makes two
//! timestamp servers answer each other forever, at full speed, until one is stopped; and a
//! classroom is full of timestamp servers that stamp differently (`'[%s]%s'`, an ISO or a
//! Chinese date, Python 3's `b'...'`, upper case, a small buffer that cuts what it answers).
//!
//! What trusted UDP services do: after CERT's advisory CA-1996-01 (chargen and echo answering
//! each other), inetd stopped answering datagrams that look like another service's output
//! (from a well-known port, from a broadcast address) and never answers itself; DNS response
//! rate limiting judges a client by the responses it has been sent, not by its questions.
//! Classmates' servers listen on any port, so a port says nothing here; the idea taken is the
//! second one, with evidence instead of a rate: **a loop carries the server's own replies
//! back.** Whatever the other server's layout, what it sends back holds this server's reply
//! (whole, or cut at its buffer) and comes within milliseconds of it. So:
//!
//! - a datagram that carries one of this server's recent stamps (`[Wed Nov 25 17:28:42 2026] `,
//!   ASCII case ignored, or its start at the datagram's end) is an *echo*: answered, as the
//!   book answers it (a person who pastes a reply gets it back with a second stamp), and the
//!   start of that answer is remembered for a second;
//! - a datagram that carries such an answer back is the loop going round again: not
//!   answered, and the loop ends there. A person pasting replies never does that (it would
//!   mean pasting, within a second, the answer to a paste); a benchmark's datagrams hold no
//!   stamp at all.
//!
//! So a forged exchange ends after two or three datagrams each way, with servers in any
//! layout and language, two of them or a ring. A datagram that claims to come from this
//! server's own address and port (forged to make it answer itself) is not answered either,
//! as inetd does. The log names each peer once.

use std::collections::{HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::ctime::STAMP_LEN;

/// How long a stamp or an answer is remembered: a loop comes back within milliseconds.
const RECENT: Duration = Duration::from_secs(1);

/// How much of the start of an answer to an echo is remembered (at most).
const HEAD: usize = 40;

/// The most answers to echoes remembered at once; more loops at once than this (a spoofer
/// starting hundreds in the same second) go round a few more times before they end.
const HEADS: usize = 256;

/// The fewest bytes of a stamp or an answer that, at the end of a datagram, show that a
/// server cut it at its buffer (`[Mon`).
const CUT_AT_LEAST: usize = 4;

/// How many bytes may follow a cut stamp or answer at a datagram's end: what a server's layout
/// puts after the data (`'` or `"` closing a Python 3 `b'...'`, a `\n` or `\r\n`).
const AFTER_A_CUT: usize = 2;

/// How many senders the server remembers having told the log about. A spoofer can forge
/// datagrams from any number of addresses, so the memory is bounded: when it is full it starts
/// again, and a sender may then be named once more (the log's share per sender still holds).
const SENDERS_REMEMBERED: usize = 1024;

/// What to do with a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Answer it. `echo` when it carries one of this server's stamps: its answer is then
    /// remembered ([`Loops::answered`]).
    Answer {
        /// It carries one of this server's recent stamps.
        echo: bool,
    },
    /// Not answered: it carries back this server's answer to an echo. A loop.
    Loop,
    /// Not answered: it claims to come from this server's own address and port.
    FromItself,
}

/// The start of an answer to an echo, remembered for [`RECENT`].
#[derive(Clone, Copy, Debug)]
struct Head {
    /// Its first bytes, up to the first one another server may write differently.
    bytes: [u8; HEAD],
    /// How many of `bytes` count.
    len: usize,
    /// When it was sent.
    at: Instant,
}

impl Head {
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// What tells a datagram that would keep a loop going.
pub struct Loops {
    /// The address this server is bound to.
    bound: SocketAddr,
    /// This machine's other addresses, where the server is bound to every interface: a
    /// datagram from one of them with the server's port claims to come from the server too.
    own: Vec<IpAddr>,
    /// The stamps of this server's last replies (the newest first), and when each was last
    /// used: two, since the text changes every second.
    stamps: [Option<([u8; STAMP_LEN], Instant)>; 2],
    /// The starts of recent answers to echoes, the newest last.
    heads: VecDeque<Head>,
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
            stamps: [None, None],
            heads: VecDeque::new(),
            told: HashSet::new(),
        }
    }

    /// What to do with `data` (the whole datagram, before any cut) from `from`, sent to `to`
    /// where known, arriving at `now`.
    pub fn judge(
        &mut self,
        data: &[u8],
        from: SocketAddr,
        to: Option<IpAddr>,
        now: Instant,
    ) -> Verdict {
        if self.is_itself(from, to) {
            return Verdict::FromItself;
        }
        // Every stamp and every answer starts with `[`: most datagrams are judged by one look.
        if !data.contains(&b'[') {
            return Verdict::Answer { echo: false };
        }
        let echo =
            self.stamps.iter().flatten().any(|(stamp, at)| {
                now.saturating_duration_since(*at) < RECENT && carries(data, stamp)
            });
        if !echo {
            return Verdict::Answer { echo };
        }
        self.heads
            .retain(|head| now.saturating_duration_since(head.at) < RECENT);
        if self.heads.iter().any(|head| carries(data, head.bytes())) {
            return Verdict::Loop;
        }
        Verdict::Answer { echo }
    }

    /// `reply` has been sent at `now`, answering a datagram judged [`Verdict::Answer`]: its
    /// stamp is remembered, and its start too when it answered an echo.
    pub fn answered(&mut self, reply: &[u8], echo: bool, now: Instant) {
        let Some(stamp) = reply.get(..STAMP_LEN) else {
            return;
        };
        match &mut self.stamps {
            [Some((newest, at)), _] if newest[..] == *stamp => *at = now,
            [newest, older] => {
                *older = newest.take();
                let mut bytes = [0; STAMP_LEN];
                bytes.copy_from_slice(stamp);
                *newest = Some((bytes, now));
            }
        }
        if echo {
            if self.heads.len() == HEADS {
                self.heads.pop_front();
            }
            self.heads.push_back(head_of(reply, now));
        }
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

/// The start of `reply` that another server sends back unchanged: up to [`HEAD`] bytes, and
/// only up to the first one that a server may write differently (Python 3's `b'...'` writes
/// a quote, a backslash, a control character or a non-ASCII byte as an escape). The stamp,
/// plain ASCII, is always in it.
fn head_of(reply: &[u8], now: Instant) -> Head {
    let plain = reply
        .iter()
        .take(HEAD)
        .take_while(|&&byte| matches!(byte, b' '..=b'~') && !matches!(byte, b'\'' | b'"' | b'\\'))
        .count();
    let mut bytes = [0; HEAD];
    bytes[..plain].copy_from_slice(&reply[..plain]);
    Head {
        bytes,
        len: plain,
        at: now,
    }
}

/// Whether `data` carries `sent` back, ASCII case ignored: whole, anywhere in it; or cut, its
/// first [`CUT_AT_LEAST`] bytes or more at the end of `data` (a buffer cut it there), followed
/// by at most [`AFTER_A_CUT`] bytes of a layout's ending.
fn carries(data: &[u8], sent: &[u8]) -> bool {
    let Some(&first) = sent.first() else {
        return false;
    };
    let starts = data
        .iter()
        .enumerate()
        .filter(|&(_, byte)| byte.eq_ignore_ascii_case(&first));
    for (at, _) in starts {
        let rest = &data[at..];
        let same = rest
            .iter()
            .zip(sent)
            .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
            .count();
        if same == sent.len() {
            return true;
        }
        let after = &rest[same..];
        let an_ending = |byte: &u8| matches!(byte, b'\'' | b'"' | b'\r' | b'\n');
        if same >= CUT_AT_LEAST && after.len() <= AFTER_A_CUT && after.iter().all(an_ending) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
